// Keeps the shared app state up to date: loads it once, applies every host event to the rune modules, and reloads
// everything when the socket comes back (events sent while it was down are lost).
import { listen } from '../api-client';
import { appInfo } from './app-info.svelte';
import { connection } from './connection.svelte';
import { datasets } from './datasets.svelte';
import { imports } from './imports.svelte';
import { jobs } from './jobs.svelte';
import { liveRun } from './live-run.svelte';
import { notices } from './notices.svelte';
import { runs } from './runs.svelte';

async function loadAll(): Promise<void> {
  await Promise.all([appInfo.refresh(), datasets.refresh(), runs.refresh(), jobs.refresh()]);
  const active = jobs.state.active;
  if (active !== null) {
    await liveRun.follow(active.runId);
    // Events that came while the run log was read are newer than the state read before it (the run may even have ended).
    const now = jobs.state.active;
    if (now?.runId === active.runId) liveRun.setProgress(now.progress, now.status);
  } else if (liveRun.runId !== null) {
    await liveRun.reload();
  } else {
    // The newest run that trained at all: one taken off the queue before its first step has nothing to show.
    const newest = runs.byCreated.find((r) => r.stepsDone > 0) ?? runs.byCreated.find((r) => r.status !== 'created');
    if (newest !== undefined) await liveRun.follow(newest.id);
  }
}

export function startSync(): void {
  listen('import:progress', (event) => imports.onProgress(event));
  listen('import:finished', (event) => imports.onFinished(event));
  listen('run:started', (event) => {
    void liveRun.follow(event.runId);
    liveRun.onStarted(event);
    runs.scheduleRefresh();
    // The backend starts with the first computation; AppInfo says which one it became.
    if (appInfo.info?.backend === null) void appInfo.refresh();
  });
  listen('run:step', (event) => {
    jobs.onStep(event);
    liveRun.onStep(event);
  });
  listen('run:epoch', (event) => {
    liveRun.onEpoch(event);
    runs.scheduleRefresh();
  });
  listen('run:learning-rate', (event) => liveRun.onLearningRate(event));
  listen('run:status', (event) => {
    liveRun.onStatus(event);
    runs.scheduleRefresh();
  });
  listen('run:finished', (event) => {
    liveRun.onFinished(event);
    runs.scheduleRefresh();
  });
  listen('jobs:changed', (event) => {
    jobs.set(event.state);
    const active = event.state.active;
    if (active !== null) {
      if (active.runId !== liveRun.runId) void liveRun.follow(active.runId);
      liveRun.setProgress(active.progress, active.status);
    }
    runs.scheduleRefresh();
  });
  listen('notice', (event) => notices.add(event));
  connection.onReopen(() => void loadAll());
  void loadAll();
}
