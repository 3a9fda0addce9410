// The host's job state: the run training now (with its latest progress), the queue, and imports in progress.
import type { HostEvent, JobState } from '../../../core/api/contract';
import { invoke, messageOf } from '../api-client';

class Jobs {
  state = $state<JobState>({ active: null, queued: [], imports: [] });
  error = $state<string | null>(null);

  async refresh(): Promise<void> {
    try {
      this.state = await invoke('jobs:state');
      this.error = null;
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  set(state: JobState): void {
    this.state = state;
  }

  /** A step event carries fresher progress than the last 'jobs:changed'. */
  onStep(event: Extract<HostEvent, { type: 'run:step' }>): void {
    const active = this.state.active;
    if (active === null || active.runId !== event.runId) return;
    const { type: _type, runId: _runId, ...progress } = event;
    active.progress = progress;
  }
}

export const jobs = new Jobs();
