// The messages between a host (which owns the run log and the UI) and its compute side (which owns the GPU): the
// methods the host may call, their arguments and results, and the training events the compute side streams back.
// Everything is plain data that survives structured clone (typed arrays included), so the same protocol runs over a
// child process's IPC channel and over an Electron MessagePort.
import type { ControlAction, SerializedError } from '../api/contract';
import type { BackendInfo, BackendRequest } from '../backend/backend';
import type { CropMode } from '../evaluate/evaluate';
import type { ExportedFiles } from '../export/export';
import type { TrainEvent } from '../train/events';
import type { ProbeMeasurement, ProbeRequest } from '../train/probe';
import type { TrainResult } from '../train/trainer';
import type { Neighbour, Prediction } from './lookup';
import type { TrainJob } from './training-job';

/** A trained model to look inside: a checkpoint file and the folder of the dataset it was trained on. */
export interface ModelFiles {
  checkpoint: string;
  datasetDir: string;
}

export interface EvaluateJob extends ModelFiles {
  split: 'train' | 'test';
  crops: CropMode;
}

/** Top-1/top-5 error and the confusion matrix, with each image's answer (for listing a confusion cell's images). */
export interface EvaluateAnswer {
  crops: CropMode;
  count: number;
  top1Error: number;
  top5Error: number;
  loss: number;
  perClassAccuracy: (number | null)[];
  /** [true class][predicted class] counts. */
  confusion: number[][];
  /** Per image of the split, in manifest order: the true class, the top-1 class (-1 for an image damaged in the cache) and its probability. */
  labels: Int32Array;
  predicted: Int32Array;
  confidence: Float32Array;
}

export interface LookupJob extends ModelFiles {
  /** The run's stored fc7 features of the training images. */
  featuresFile: string;
  /** The query as the cache holds images: 256x256x3 uint8. */
  pixels: Uint8Array;
  /** The query's position among the training images when it is one (left out of its neighbours), else -1. */
  self: number;
  crops: CropMode;
  /** Neighbours of each kind. */
  k: number;
}

export interface LookupAnswer {
  predictions: Prediction[];
  /** Null when the run has no stored features (they are stored when training completes, or on request). */
  byFeatures: Neighbour[] | null;
  byPixels: Neighbour[];
}

/** Every method: what it takes and what it answers. */
export interface ComputeMethods {
  /** Starts the backend (once; later calls answer what was started). */
  backend: { args: { request: BackendRequest }; result: BackendInfo };
  /** Trains a job to its end; events stream meanwhile as EventMessages. */
  train: { args: TrainJob; result: TrainResult };
  /** Steers the job training `runId`; false when no such job is running here. */
  control: { args: { runId: string; action: ControlAction }; result: boolean };
  evaluate: { args: EvaluateJob; result: EvaluateAnswer };
  lookup: { args: LookupJob; result: LookupAnswer };
  /** Writes a checkpoint's model as ONNX and TensorFlow.js weights into `out`. */
  export: { args: ModelFiles & { out: string; run: { id: string; name: string } }; result: ExportedFiles & { folder: string } };
  /** Times a few training steps of a model on random pixels (refused while a run trains here). */
  probe: { args: ProbeRequest; result: ProbeMeasurement };
  /** Recomputes and stores the fc7 features of the training images in `runDir`. */
  features: { args: ModelFiles & { runDir: string }; result: { file: string } };
}
export type ComputeMethod = keyof ComputeMethods;

/** Host to compute. */
export interface CallMessage {
  id: number;
  method: ComputeMethod;
  args: unknown;
}
/** Host to compute: stop the call `cancel` at its next check (an evaluation between batches); it answers E_CANCELLED. */
export interface CancelMessage {
  cancel: number;
}

/** Compute to host. */
export type ReplyMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };
/** Compute to host: how far the call `id` has got (an evaluation's images), before its reply. */
export interface ProgressMessage {
  id: number;
  progress: { done: number; total: number };
}
export interface EventMessage {
  runId: string;
  event: TrainEvent;
}
export type ComputeMessage = ReplyMessage | EventMessage | ProgressMessage;

/** One side of a message channel: a child process's IPC, a worker port, an Electron MessagePort. */
export interface Endpoint {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the other side has gone (exited, crashed, closed the port), with the reason in words. */
  onClose(listener: (reason: string) => void): void;
  close(): void;
}
