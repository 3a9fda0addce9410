// What the host is (AppInfo): its version, the folders it may read, the demo dataset, and the backend in use.
import type { AppInfo } from '../../../core/api/contract';
import { invoke, messageOf } from '../api-client';

class AppInfoState {
  info = $state<AppInfo | null>(null);
  error = $state<string | null>(null);

  async refresh(): Promise<void> {
    try {
      this.info = await invoke('app:info');
      this.error = null;
    } catch (error) {
      this.error = messageOf(error);
    }
  }
}

export const appInfo = new AppInfoState();
