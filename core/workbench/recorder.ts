// Writes a training run's event stream into the run log (batched, so the log never slows the loop).
import fs from 'node:fs';
import type { RunLog } from '../runlog/run-log';
import type { TrainEvent, TrainListener } from '../train/events';
import { describeLearningRateChange, learningRateChange } from '../train/schedule';

/** Step metrics are written in batches of this many, or at each epoch's end. */
const STEP_BATCH = 25;

/**
 * Which steps' metrics the run log keeps, so that it stays small over a long run (the paper's 90 epochs are about
 * 900,000 steps): every step up to 10,000, then every 10th up to 100,000, then every 100th; the last step of each
 * epoch always. Epoch metrics are all kept. That is at most about 27,000 rows for a million steps.
 */
export function stepKept(step: number, lastOfEpoch: boolean): boolean {
  if (lastOfEpoch || step <= 10_000) return true;
  return step <= 100_000 ? step % 10 === 0 : step % 100 === 0;
}

export function runRecorder(log: RunLog, runId: string): TrainListener & { flush(): void } {
  let pending: { step: number; epoch: number; loss: number; learningRate: number; imagesPerSecond: number; time: string }[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    log.addStepMetrics(runId, pending);
    pending = [];
  };
  const listener = (event: TrainEvent) => {
    switch (event.type) {
      case 'started':
        log.updateRun(runId, { status: 'running', pid: process.pid, startedAt: new Date().toISOString(), statusDetail: null });
        break;
      case 'step':
        if (!stepKept(event.globalStep, event.stepInEpoch === event.stepsPerEpoch)) break;
        pending.push({
          step: event.globalStep,
          epoch: event.epoch,
          loss: event.loss,
          learningRate: event.learningRate,
          imagesPerSecond: event.imagesPerSecond,
          time: new Date().toISOString(),
        });
        if (pending.length >= STEP_BATCH) flush();
        break;
      case 'epoch': {
        flush();
        const { type: _type, learningRateDropped: _dropped, imagesPerSecond: _speed, ...record } = event;
        log.addEpochMetrics(runId, record);
        const run = log.getRun(runId);
        const best = run?.bestTop1Error ?? null;
        log.updateRun(runId, {
          epochsDone: event.epoch,
          bestTop1Error: best === null ? event.validationTop1Error : Math.min(best, event.validationTop1Error),
        });
        break;
      }
      case 'kernels':
        log.addKernelSnapshot({
          runId,
          epoch: event.epoch,
          step: event.globalStep,
          shape: event.shape,
          data: Buffer.concat(event.towers.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength))),
        });
        break;
      case 'checkpoint': {
        flush();
        const row = log.addCheckpoint({
          runId,
          epoch: event.position.epoch,
          step: event.position.globalStep,
          path: event.file,
          bytes: event.bytes,
          sha256: event.sha256,
        });
        log.updateRun(runId, { lastCheckpointId: row.id, stepsDone: event.position.globalStep, epochsDone: event.position.epoch });
        // The trainer keeps only the newest files; forget the rows of the ones it deleted.
        for (const c of log.checkpoints(runId)) if (!fs.existsSync(c.path)) log.deleteCheckpointRow(c.id);
        break;
      }
      case 'learning-rate':
        flush();
        log.addLearningRateChange(runId, learningRateChange(event));
        log.addNotice({ runId, level: 'info', code: `learning-rate-${event.reason}`, message: describeLearningRateChange(event) });
        break;
      case 'notice':
        log.addNotice({ runId, level: event.level, code: event.code, message: event.message });
        break;
      case 'finished':
        flush();
        log.updateRun(runId, {
          status: event.outcome,
          statusDetail: event.message,
          finishedAt: new Date().toISOString(),
          stepsDone: event.position.globalStep,
          pid: null,
        });
        break;
      case 'paused':
        log.updateRun(runId, { status: 'paused' });
        break;
      case 'resumed':
        log.updateRun(runId, { status: 'running' });
        break;
    }
  };
  return Object.assign(listener, { flush });
}
