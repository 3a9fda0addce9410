// RunDetail of the runs the Runs view shows (compared or opened), fetched once per state of the run: a detail is
// fetched again only when its run has moved on (more epochs done, another status).
import type { RunDetail, RunSummary } from '../../../../core/api/contract';
import { invoke, messageOf } from '../../api-client';

function versionOf(run: RunSummary): string {
  return `${run.status}/${run.epochsDone}/${run.stepsDone}`;
}

export class RunDetails {
  details = $state<Record<string, RunDetail>>({});
  errors = $state<Record<string, string>>({});
  /** The version of each run whose detail is loaded or loading: bookkeeping, never shown, so not reactive. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- see above
  private versions = new Map<string, string>();

  /** Makes sure each of `wanted` has a current detail. */
  ensure(wanted: readonly RunSummary[]): void {
    for (const run of wanted) {
      const version = versionOf(run);
      if (this.versions.get(run.id) === version) continue;
      this.versions.set(run.id, version);
      void invoke('runs:get', { runId: run.id }).then(
        (detail) => {
          this.details[run.id] = detail;
          delete this.errors[run.id];
        },
        (error: unknown) => {
          this.versions.delete(run.id);
          this.errors[run.id] = messageOf(error);
        },
      );
    }
  }

  forget(runId: string): void {
    this.versions.delete(runId);
    delete this.details[runId];
    delete this.errors[runId];
  }
}
