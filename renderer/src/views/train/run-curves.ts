// A run's training curves as chart series: loss per step and per epoch, top-1 and top-5 error per epoch (train and
// validation), all over one x axis in epochs so that a step and the epoch it ends line up.
import type { EpochPoint, LearningRateChange, StepPoint } from '../../../../core/api/contract';
import type { ChartSeries } from '../../components/chart-scale';

export interface CurveInput {
  epochs: readonly EpochPoint[];
  steps: readonly StepPoint[];
  stepsPerEpoch: number | null;
  /** The divisions of the learning rate, each marked where it took effect. */
  drops: readonly LearningRateChange[];
}

export interface RunCurveSeries {
  loss: ChartSeries[];
  top1: ChartSeries[];
  top5: ChartSeries[];
  markers: { x: number; label: string }[];
}

const TRAIN = '#0072b2';
const VALIDATION = '#d55e00';
const STEPS = '#8fbfe0';

type Column = 'trainLoss' | 'validationLoss' | 'trainTop1Error' | 'validationTop1Error' | 'trainTop5Error' | 'validationTop5Error';

function perEpoch(epochs: readonly EpochPoint[], column: Column) {
  // EpochPoint.epoch counts epochs done (1-based), so a value sits at the end of its epoch.
  return epochs.filter((e) => e[column] !== null).map((e) => ({ x: e.epoch, y: e[column] as number }));
}

export function runCurves(input: CurveInput): RunCurveSeries {
  const perStep = input.stepsPerEpoch ?? null;
  const stepPoints = perStep === null ? [] : input.steps.map((s) => ({ x: s.step / perStep, y: s.loss }));
  const line = (label: string, colour: string, points: { x: number; y: number }[], dashed = false): ChartSeries => ({ label, colour, points, dashed });
  return {
    loss: [
      { label: 'Loss per step', colour: STEPS, points: stepPoints, thin: true },
      line('Train loss (epoch)', TRAIN, perEpoch(input.epochs, 'trainLoss')),
      line('Validation loss', VALIDATION, perEpoch(input.epochs, 'validationLoss'), true),
    ],
    top1: [line('Train top-1', TRAIN, perEpoch(input.epochs, 'trainTop1Error')), line('Validation top-1', VALIDATION, perEpoch(input.epochs, 'validationTop1Error'), true)],
    top5: [line('Train top-5', TRAIN, perEpoch(input.epochs, 'trainTop5Error')), line('Validation top-5', VALIDATION, perEpoch(input.epochs, 'validationTop5Error'), true)],
    markers: input.drops.map((d) => ({ x: d.epoch, label: dropLabel(d) })),
  };
}

/** A marker's words, as the run log's notice says them (core/train/schedule.ts' describeLearningRateChange). */
export function dropLabel(d: LearningRateChange): string {
  const why = d.reason === 'plateau' ? 'the validation error stopped improving' : 'by hand';
  return `Learning rate divided by 10, from ${d.previousLearningRate} to ${d.learningRate}, after step ${d.step} (epoch ${Number(d.epoch.toFixed(2))}): ${why}.`;
}

/** Two lists of changes as one, each change once (the run log's and the events' overlap), in the order they took effect. */
export function mergeChanges(a: readonly LearningRateChange[], b: readonly LearningRateChange[]): LearningRateChange[] {
  const byPlace = new Map<string, LearningRateChange>();
  for (const c of [...a, ...b]) byPlace.set(`${c.step}:${c.learningRate}`, c);
  return [...byPlace.values()].sort((x, y) => x.step - y.step || y.learningRate - x.learningRate);
}
