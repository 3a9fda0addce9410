// The run history, and the run selected for Kernels, Look-up and Confusion (one choice shared by the three views;
// until the user picks one it is the newest completed run).
import type { RunSummary } from '../../../core/api/contract';
import { invoke, messageOf } from '../api-client';

const REFRESH_GAP_MS = 1000;

class Runs {
  list = $state.raw<RunSummary[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  selectedId = $state<string | null>(null);
  private chosen = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  async refresh(): Promise<void> {
    try {
      this.list = await invoke('runs:list');
      this.error = null;
      this.loaded = true;
      if (!this.chosen || !this.list.some((r) => r.id === this.selectedId)) this.selectedId = this.newest()?.id ?? null;
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  /** Events come in bursts (status, epoch, jobs); one reload a second is enough for the table. */
  scheduleRefresh(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, REFRESH_GAP_MS);
  }

  select(runId: string | null): void {
    this.selectedId = runId;
    this.chosen = runId !== null;
  }

  byId(id: string | null): RunSummary | undefined {
    return this.list.find((r) => r.id === id);
  }

  /** Newest first. */
  get byCreated(): RunSummary[] {
    return [...this.list].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private newest(): RunSummary | undefined {
    const sorted = this.byCreated;
    return sorted.find((r) => r.status === 'completed') ?? sorted[0];
  }
}

export const runs = new Runs();
