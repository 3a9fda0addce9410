// Notices the host pushes ('notice' events: a slow backend, a loss that stopped falling), shown until dismissed.
import type { HostEvent, NoticeLevel } from '../../../core/api/contract';

export interface Notice {
  key: number;
  level: NoticeLevel;
  code: string;
  message: string;
  runId: string | null;
}

const KEEP = 5;
/** Info notices say what happened and need no answer; warnings and errors stay until dismissed. */
const INFO_SHOWN_MS = 10_000;

class Notices {
  list = $state<Notice[]>([]);
  private next = 1;

  add(event: Extract<HostEvent, { type: 'notice' }>): void {
    const key = this.next++;
    this.list = [{ key, level: event.level, code: event.code, message: event.message, runId: event.runId }, ...this.list].slice(0, KEEP);
    if (event.level === 'info') setTimeout(() => this.dismiss(key), INFO_SHOWN_MS);
  }

  dismiss(key: number): void {
    this.list = this.list.filter((n) => n.key !== key);
  }
}

export const notices = new Notices();
