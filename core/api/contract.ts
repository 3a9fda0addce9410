// The one contract between the UI and the engine host: request channels with their payloads and results, events, errors.
// Electron's main process and the browser host (`alexnet serve`) serve it with the same handlers (core/service), the
// preload and the browser socket forward it, the renderer imports its types only. It imports nothing but the
// vocabulary (core/vocabulary.ts, which imports nothing), on purpose: the renderer type-checks this file under a
// DOM-only tsconfig. The request schemas live beside it, in schemas.ts.
import type { Ablations, CropMode, EpochRecord, NoticeLevel, Prediction, Preset, ProbeMeasurement, RecipeName, RunStatus, Split, TrainingEstimate } from '../vocabulary';

export type { Ablations, CropMode, NoticeLevel, Prediction, Preset, ProbeMeasurement, RecipeName, RunStatus, Split, TrainingEstimate };

export interface BackendSummary {
  /** 'webgpu', 'cpu' or 'tensorflow'. */
  name: string;
  /** The adapter in words, e.g. 'nvidia hopper' or 'google swiftshader'. */
  device: string;
  /** Set when the backend is not what was asked for, or is slow. */
  notice: string | null;
  /** A hardware GPU; false on the CPU and on software adapters. */
  accelerated: boolean;
}

export interface AppInfo {
  name: string;
  version: string;
  /** Which host answers: Electron's main process, or the browser host of `alexnet serve`. */
  host: 'electron' | 'browser';
  /** Electron's version; null in the browser host. */
  electron: string | null;
  /** Null until the engine has started its backend (the first computation). */
  backend: BackendSummary | null;
  /** The folders the user allowed this host to read (imports must lie inside one of them). */
  roots: string[];
  /** The embedded demo dataset's folder, when this install has it. */
  demoDataset: string | null;
}

// ---- Datasets ----

export interface DatasetSummary {
  id: string;
  name: string;
  /** The folder the images were imported from. */
  source: string;
  classes: number;
  images: number;
  train: number;
  test: number;
  updatedAt: string;
}

export interface SkippedFileInfo {
  path: string;
  /** 'undecodable', 'empty-file', 'not-an-image', 'unreadable', 'outside-class-folder', ... */
  reason: string;
  detail: string;
}

export interface ImportReportInfo {
  source: string;
  split: { kind: 'folders' } | { kind: 'seeded'; testFraction: number; seed: number };
  imported: number;
  decoded: number;
  reused: number;
  skipped: SkippedFileInfo[];
  conversions: { path: string; detail: string }[];
  emptyClasses: string[];
  /** Groups of the same picture: identical files, identical pixels, or near-identical pictures. */
  duplicates: DuplicateGroupInfo[];
  /** The duplicate groups whose images are in more than one class. */
  labelConflicts: DuplicateGroupInfo[];
  leakage: [string, string][];
  /** Images under 128 px on the shorter side (enlarged more than twice). */
  smallImages: { path: string; width: number; height: number }[];
  /** Files the user left out of the dataset (imported again without them). */
  excluded: string[];
  /** What to know before training on it, in sentences (label conflicts, classes without test images, ...). */
  warnings: string[];
  seconds: number;
  /**
   * How many of each there are: the lists above hold at most REPORT_LIST_LIMIT entries each (a folder of copies can
   * make hundreds of thousands of leakage pairs), the page shows these totals.
   */
  totals: { skipped: number; conversions: number; duplicates: number; labelConflicts: number; leakage: number; smallImages: number; excluded: number };
}

/** 'files': the same bytes; 'pixels': the same pixels in another encoding; 'near': near-identical pictures. */
export type DuplicateKind = 'files' | 'pixels' | 'near';

export interface DuplicateGroupInfo {
  kind: DuplicateKind;
  /** Sorted by path; `image` addresses its thumbnail (null for a path no longer in the dataset). */
  images: { path: string; className: string; image: ImageRef | null }[];
}

/** One dataset image opened on its own: the source file at up to 1024 px, with its facts. */
export interface DatasetImage extends ImageItem {
  className: string;
  /** Of the source file after EXIF orientation. */
  width: number;
  height: number;
  /** A JPEG data URL: the source file scaled to at most 1024 px, or the cached 256x256 when the file is gone. */
  url: string;
  /** False when the source file has been moved or changed since the import: `url` is then the cached copy. */
  fromSource: boolean;
}

/** The most entries of each import-report list that the host sends to the page. */
export const REPORT_LIST_LIMIT = 2000;

export interface DatasetDetail extends DatasetSummary {
  labels: string[];
  /** Images per class and split, in label order. */
  counts: { label: string; train: number; test: number }[];
  report: ImportReportInfo;
}

/** One image of a dataset, addressed by split and position in that split (the manifest's order). */
export interface ImageRef {
  split: Split;
  index: number;
}

export interface ImageItem extends ImageRef {
  /** Path relative to the dataset's source folder. */
  path: string;
  label: number;
}

// ---- Training ----

export interface TrainRequest {
  datasetId: string;
  preset: Preset;
  recipe: RecipeName;
  /** 1 to 10,000; default the recipe's. */
  epochs?: number;
  /** 1 to 4,096; default the recipe's (paper: 128). */
  batchSize?: number;
  /** Greater than 0, at most 10; default the recipe's. */
  learningRate?: number;
  /** Epochs without a better validation error before the rate is divided by 10; 1 to 1,000. */
  patience?: number;
  /** 0 to 2^31 - 1. */
  seed: number;
  ablations: Ablations;
  name?: string;
}

/** One division of the learning rate, where it took effect: the fact every host stores and shows. */
export interface LearningRateChange {
  /** Steps done when the new rate took effect: step `step + 1` is the first trained at it. */
  step: number;
  /** The same place in epochs (step / steps per epoch), the x of the charts: a plateau drop lands on a whole epoch. */
  epoch: number;
  previousLearningRate: number;
  learningRate: number;
  /** 'plateau': section 5's rule (the validation error stopped improving); 'manual': asked for by hand. */
  reason: 'plateau' | 'manual';
}

/** A cluster job just written: where, and how to train it. */
export interface ClusterJobWritten {
  jobId: string;
  folder: string;
  /** The torchrun command for one machine, run in the folder. */
  command: string;
  /** Numbers of processes that split the batch evenly. */
  processes: number[];
}

/** The defaults a training form starts from, for one preset and recipe. */
export interface RecipeDefaults {
  preset: Preset;
  recipe: RecipeName;
  description: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  patience: number;
  optimizer: string;
}

export interface AblationInfo {
  key: keyof Ablations;
  label: string;
  /** One line: what it changes and the paper's section. */
  explanation: string;
  section: string;
}

export interface TrainOptions {
  presets: { id: Preset; label: string; description: string }[];
  recipes: { id: RecipeName; label: string; description: string }[];
  defaults: RecipeDefaults[];
  ablations: AblationInfo[];
  backend: BackendSummary | null;
}

/** A run's time per epoch and memory, estimated before it starts from a probe on the backend in use. */
export interface TrainEstimate extends TrainingEstimate {
  backend: BackendSummary;
  epochs: number;
  batchSize: number;
  trainImages: number;
  testImages: number;
}

export type ControlAction = 'pause' | 'resume' | 'stop' | 'divide-learning-rate';

/** Where a training run is, as its last step reported it. */
export interface RunProgress {
  /** 0-based epoch in progress. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch (1-based after the first step). */
  stepInEpoch: number;
  stepsPerEpoch: number;
  globalStep: number;
  loss: number;
  learningRate: number;
  imagesPerSecond: number;
  /** Seconds left in the whole run, from the recent step times. */
  etaSeconds: number;
}

export interface JobState {
  /** The run training now, or null; progress is null until its first step. */
  active: { runId: string; status: 'running' | 'paused'; since: string; progress: RunProgress | null } | null;
  /** Runs waiting their turn, first first. */
  queued: string[];
  /** Imports in progress. */
  imports: { jobId: string; folder: string }[];
}

// ---- Runs ----

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  statusDetail: string | null;
  preset: Preset;
  recipe: string;
  seed: number;
  datasetId: string;
  datasetName: string | null;
  backend: string;
  device: string;
  epochsDone: number;
  epochsPlanned: number;
  stepsDone: number;
  /** Best validation top-1 error so far, 0 to 1; null before the first epoch ends. */
  bestTop1Error: number | null;
  createdAt: string;
  finishedAt: string | null;
  /** True when the run can be resumed (stopped, interrupted, failed with a checkpoint). */
  resumable: boolean;
}

/** One epoch's figures (core/vocabulary.ts). */
export type EpochPoint = EpochRecord;

export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  imagesPerSecond: number;
}

export interface NoticeInfo {
  time: string;
  level: NoticeLevel;
  code: string;
  message: string;
}

export interface RunDetail extends RunSummary {
  /** The run's whole configuration flattened to dotted keys ('model.conv1.kernels', 'recipe.learningRate'), for comparing runs. */
  settings: Record<string, string | number | boolean | null>;
  epochs: EpochPoint[];
  /** Per-step losses, thinned to at most 2,000 points. */
  steps: StepPoint[];
  /** Every division of the learning rate, where it took effect (the run log's facts, not guessed from the curves). */
  learningRateDrops: LearningRateChange[];
  notices: NoticeInfo[];
  checkpoints: { epoch: number; step: number; createdAt: string }[];
  evaluations: { split: Split; crops: CropMode; top1Error: number; top5Error: number; createdAt: string }[];
}

/** Where an export was written, on the host. */
export interface ExportedModel {
  folder: string;
  onnx: string;
  tfjsModel: string;
  tfjsWeights: string;
  /** The same files for the page to download (the browser's downloads, or a save dialog in the desktop app). */
  downloads: DownloadLink[];
}

/** A file on the host the page may download, behind a ticket valid for a while (core/service/downloads.ts). */
export interface DownloadLink {
  ticket: string;
  /** What it is, in words ('ONNX model'). */
  label: string;
  /** The file name it is saved under. */
  name: string;
  bytes: number;
}

/** A reproduction report: the paper's comparisons trained on one dataset. */
export interface ReportSummary {
  id: string;
  date: string;
  dataset: string;
  preset: string;
  recipe: string;
  epochs: number;
  /** The seeds of the full model's runs. */
  seeds: number[];
  runs: string[];
  /** The comparison with an independent reference (`alexnet cross-check`), when one was made. */
  crossCheck: { reference: string; differencePoints: number; tolerancePoints: number; verdict: 'within' | 'outside' | 'cannot tell'; pairs: number } | null;
}

// ---- Looking inside ----

export interface KernelTower {
  /** 'a' or 'b' (one tower: 'a' only). */
  tower: string;
  /** The grid as a PNG data URL; kernel k sits at column k % columns, row floor(k / columns). */
  image: string;
  width: number;
  height: number;
  columns: number;
  /** Kernel cell size and padding in image pixels, to map a pointer position to a kernel. */
  cell: number;
  padding: number;
  /** Each kernel's colour-specificity score, in [0, 1]; random kernels average about 2/3 (see ColourBaseline). */
  scores: number[];
  /** The tower's mean score. */
  score: number;
}

/** One tower's mean colour specificity against its baselines (core/inspect/colour-baseline.ts). */
export interface TowerColour {
  /** 'a' or 'b'. */
  tower: string;
  kernels: number;
  /** The tower's mean score. */
  score: number;
  /** The same tower's mean score at step 0, regenerated from the run's seed; null where the start is not known. */
  initialScore: number | null;
  /** What random kernels (i.i.d. Gaussian values) score: the expected mean, and the sd of a mean over `kernels` of them. */
  random: { mean: number; sd: number };
  /** Where the score lies against the random-kernel range, the expected mean ± 2 sd. */
  againstRandom: 'below' | 'within' | 'above';
}

/** Whether the towers differ in colour specificity: a permutation test that shuffles kernels between them. */
export interface TowerSplit {
  /** Tower b's mean score minus tower a's. */
  difference: number;
  /** The tower with the higher mean score. */
  moreSpecific: string;
  /** Two-sided: (1 + shuffles whose |split| reaches the observed |split|) / (1 + shuffles). */
  p: number;
  permutations: number;
  /** p below 0.05. */
  significant: boolean;
}

/** Figure 3 as a finding or not: each tower against its baselines, the split between towers, and a verdict in words. */
export interface ColourBaseline {
  towers: TowerColour[];
  /** Null with one tower. */
  split: TowerSplit | null;
  /** The split is significant: one tower is detectably more colour-specific than the other. */
  specialised: boolean;
  /** One sentence, e.g. 'no specialisation detectable: the towers differ by 0.012 (p = 0.41, permutation test); ...'. */
  verdict: string;
}

export interface KernelView {
  /** The snapshots recorded (one per epoch), oldest first. */
  snapshots: { epoch: number; step: number }[];
  /** Which snapshot is shown. */
  index: number;
  /** [height, width, channels, kernels per tower]. */
  shape: number[];
  towers: KernelTower[];
  /** The shown snapshot's towers against the random-kernel expectation and their own initialisation. */
  colour: ColourBaseline;
  /** What the score is and how the verdict is reached, one sentence each, and the random-kernel range's width in sd. */
  colourNotes: { definition: string; method: string; rangeSds: number };
  /** Each tower's mean score at every snapshot (towers in `towers`' order), from the initialisation (epoch 0) on. */
  history: { epoch: number; step: number; scores: number[] }[];
}

export interface NeighbourInfo extends ImageRef {
  path: string;
  label: string;
  distance: number;
  /** A small JPEG data URL of the image. */
  thumbnail: string;
}

/** An image to look up: bytes the user dropped (base64, at most 32 MiB decoded) or an image of the run's dataset. */
export type LookupImage = { kind: 'bytes'; name: string; base64: string } | ({ kind: 'dataset' } & ImageRef);

export interface LookupResult {
  /** The query as the network sees it (256x256 after the import's resize and centre crop), a data URL. */
  query: string;
  crops: CropMode;
  predictions: Prediction[];
  /** Nearest training images by fc7 features (Figure 4, right); null when the run has no stored features yet. */
  byFeatures: NeighbourInfo[] | null;
  /** Activations of the run's fc7, the space of byFeatures (4096 in the paper's model, 256 in the quick preset). */
  featureWidth: number;
  /** Nearest training images by raw pixels, for contrast. */
  byPixels: NeighbourInfo[];
  /** The class a dataset image is filed under (null for a file from outside the dataset). */
  trueLabel: { label: string; labelIndex: number } | null;
}

export interface ConfusionView {
  crops: CropMode;
  /** The checkpoint evaluated: the run's newest readable one (null if the log no longer lists it). */
  checkpoint: { epoch: number; step: number } | null;
  labels: string[];
  /** [true class][predicted class] counts over the test split. */
  matrix: number[][];
  perClassAccuracy: (number | null)[];
  top1Error: number;
  top5Error: number;
  count: number;
}

export interface CellImage extends ImageRef {
  path: string;
  /** The probability of the predicted class. */
  confidence: number;
  thumbnail: string;
}

// ---- The channel table ----

/** Every request channel: what it takes (undefined: nothing) and what it answers. */
export interface Requests {
  'app:info': { request: undefined; response: AppInfo };
  'datasets:list': { request: undefined; response: DatasetSummary[] };
  'datasets:get': { request: { datasetId: string }; response: DatasetDetail };
  /** Starts importing a folder; progress and the end come as 'import:progress' and 'import:finished' events. */
  /** `exclude`: files to leave out (paths relative to the folder), replacing an earlier import's list. */
  'datasets:import': { request: { folder: string; testFraction?: number; seed?: number; name?: string; exclude?: string[] }; response: { jobId: string } };
  'datasets:rename': { request: { datasetId: string; name: string }; response: DatasetSummary };
  /** Deletes the imported copy (the source folder is never touched); refused while any run uses the dataset. */
  'datasets:delete': { request: { datasetId: string }; response: { deleted: string } };
  /** One image, larger: the source file at up to 1024 px. */
  'datasets:image': { request: { datasetId: string; image: ImageRef }; response: DatasetImage };
  /** A page of a dataset's images, of one class or all, in manifest order. */
  'datasets:images': {
    request: { datasetId: string; label: number | null; split: Split | 'all'; offset: number; limit: number };
    response: { total: number; items: ImageItem[] };
  };
  /** Small JPEG data URLs of up to 200 images. */
  'datasets:thumbnails': { request: { datasetId: string; images: ImageRef[]; size?: number }; response: string[] };
  'train:options': { request: undefined; response: TrainOptions };
  /** Starts a run now, or queues it behind the one training. */
  'train:start': { request: TrainRequest; response: { runId: string; queued: boolean } };
  /** Measures a few training steps of these settings on the backend in use; refused while a run trains. */
  'train:estimate': { request: TrainRequest; response: TrainEstimate };
  'train:resume': { request: { runId: string; epochs?: number }; response: { runId: string; queued: boolean } };
  'train:control': { request: { runId: string; action: ControlAction }; response: JobState };
  'jobs:state': { request: undefined; response: JobState };
  'runs:list': { request: undefined; response: RunSummary[] };
  'runs:get': { request: { runId: string }; response: RunDetail };
  'runs:delete': { request: { runId: string }; response: { deleted: string } };
  /** Writes the run's newest model as ONNX and TensorFlow.js weights into its folder on the host; answers the paths. */
  'runs:export': { request: { runId: string }; response: ExportedModel };
  /** The reproduction reports (`alexnet reproduce`), newest first. */
  'reports:list': { request: undefined; response: ReportSummary[] };
  /** One report: its summary, its Markdown, and its self-contained HTML page (no script, images as data URLs). */
  'reports:get': { request: { reportId: string }; response: { summary: ReportSummary; markdown: string; html: string } };
  /** Writes a cluster job (PyTorch DDP under torchrun) for these settings into <home>/jobs/<id> on the host. */
  'cluster:write': { request: TrainRequest; response: ClusterJobWritten };
  /** Creates a run from a finished cluster job's folder on the host, and computes its fc7 features. */
  'cluster:import': { request: { folder: string }; response: { runId: string; pytorchTop1Error: number | null } };
  'kernels:get': { request: { runId: string; snapshot?: number }; response: KernelView };
  'lookup:query': { request: { runId: string; image: LookupImage; crops?: CropMode; k?: number }; response: LookupResult };
  /** Computes and stores the fc7 features of the run's training images from its newest checkpoint, for Look-up's neighbours. */
  'lookup:features': { request: { runId: string }; response: { images: number } };
  'confusion:get': { request: { runId: string; crops: CropMode }; response: ConfusionView };
  'confusion:cell': { request: { runId: string; crops: CropMode; trueLabel: number; predictedLabel: number }; response: CellImage[] };
  /** Cancels the evaluation 'confusion:get' is waiting for (its request then fails with E_CANCELLED); false when none runs. */
  'confusion:cancel': { request: { runId: string; crops: CropMode }; response: { cancelled: boolean } };
}

export type Channel = keyof Requests;
export type RequestOf<C extends Channel> = Requests[C]['request'];
export type ResponseOf<C extends Channel> = Requests[C]['response'];
/** A channel that takes nothing is called as `invoke(channel)`. */
export type RequestArgs<C extends Channel> = undefined extends RequestOf<C> ? [request?: RequestOf<C>] : [request: RequestOf<C>];

// ---- Events ----

/** Events the host pushes to the UI, all on one channel. */
export type HostEvent =
  | { type: 'import:progress'; jobId: string; folder: string; phase: 'scanning' | 'decoding' | 'statistics' | 'done'; done: number; total: number; rate: number; etaSeconds: number | null; current: string | null }
  /** `skipped`: the files left out and why; on a failed import, what the scan found instead of images. */
  | { type: 'import:finished'; jobId: string; folder: string; datasetId: string | null; error: SerializedError | null; skipped: SkippedFileInfo[] }
  | { type: 'run:started'; runId: string; backend: string; device: string; stepsPerEpoch: number; trainImages: number; testImages: number }
  /** At most a few per second: steps in between are folded into the next event (every step is in the run log). */
  | ({ type: 'run:step'; runId: string } & RunProgress)
  | ({ type: 'run:epoch'; runId: string; learningRateDropped: boolean; imagesPerSecond: number } & EpochPoint)
  | ({ type: 'run:learning-rate'; runId: string } & LearningRateChange)
  /** How far an evaluation of a run's test split has got, in images. */
  | { type: 'evaluation:progress'; runId: string; crops: CropMode; done: number; total: number }
  | { type: 'run:status'; runId: string; status: RunStatus }
  | { type: 'run:finished'; runId: string; outcome: 'completed' | 'stopped' | 'diverged' | 'failed'; message: string }
  | { type: 'jobs:changed'; state: JobState }
  | { type: 'notice'; runId: string | null; level: NoticeLevel; code: string; message: string };
export type HostEventType = HostEvent['type'];
export const EVENT_CHANNEL = 'host:event';

// ---- Errors ----

/**
 * Codes of the errors the host raises. E_BAD_REQUEST: a request failed its schema; E_NOT_FOUND: no such dataset, run
 * or file; E_PATH_REFUSED: a path outside the folders the user chose; E_BUSY: the thing is in use (a running run);
 * E_STATE: not possible in the current state (resume a completed run); E_COMPUTE: the engine failed (out of memory);
 * E_CANCELLED: the user cancelled it (a ten-crop evaluation).
 */
export type ErrorCode =
  | 'E_BAD_REQUEST'
  | 'E_UNKNOWN_CHANNEL'
  | 'E_UNTRUSTED_SENDER'
  | 'E_NOT_FOUND'
  | 'E_PATH_REFUSED'
  | 'E_BUSY'
  | 'E_STATE'
  | 'E_COMPUTE'
  | 'E_TOO_MANY_REQUESTS'
  | 'E_CANCELLED';

/** Errors cross the boundary as data and become Errors again on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** The file a system error was about (Node's errors carry it): a full disk's message names it. */
  path?: string;
}

/** What a request channel answers on the wire. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** The API the page sees: the preload implements it as `window.api` (`satisfies HostApi`), the browser socket too. */
export interface HostApi {
  invoke<C extends Channel>(channel: C, ...request: RequestArgs<C>): Promise<Reply<ResponseOf<C>>>;
  /** Calls `listener` for each event of this type; returns the function that stops it. */
  on<T extends HostEventType>(type: T, listener: (event: Extract<HostEvent, { type: T }>) => void): () => void;
  /** Present in the desktop app only. */
  desktop?: DesktopApi;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const { code, path } = error as { code?: unknown; path?: unknown };
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(typeof path === 'string' ? { path } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/**
 * What only the desktop app offers (the preload adds it to `window.api`): the system's folder dialog, and the paths of
 * folders dropped on the window. Both also allow the chosen folders to be read. Absent in the browser UI, where the
 * user types a path inside the folders `alexnet serve` was started with.
 */
export interface DesktopApi {
  chooseFolders(): Promise<Reply<string[]>>;
  /** The folders among dropped items (DOM File objects from a drop event), now allowed; files are left out. */
  droppedPaths(files: readonly unknown[]): Promise<Reply<string[]>>;
  /** Saves a download's file where the user chooses (a save dialog); the path, or null when cancelled. */
  saveDownload(ticket: string): Promise<Reply<string | null>>;
}

/** The desktop app's own IPC channels behind DesktopApi: the folder dialog, allowing dropped folders, saving a download. */
export const DESKTOP_CHANNELS = { chooseFolders: 'desktop:choose-folders', allowPaths: 'desktop:allow-paths', saveDownload: 'desktop:save-download' } as const;

// ---- The page's security policy ----

/**
 * The page may load only the app's own scripts and reach only its own origin (its WebSocket included). Sent as a
 * header by Electron's session and by the browser host, and set as a meta tag in renderer/index.html, which is what
 * applies to the packaged file:// page; a test checks that the two agree.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'";

// ---- The browser host's socket ----

/** The browser host's WebSocket path; the page connects to `ws://<host>/api?token=<token>` (the token is in its URL's fragment). */
export const SOCKET_PATH = '/api';
/**
 * The close code of a socket whose token the host refused (a page kept from before the host restarted): the page
 * stops reconnecting and says what to do. A foreign Origin or Host name is refused before the handshake instead.
 */
export const TOKEN_REFUSED_CLOSE_CODE = 4001;
/** Page to host: a request, answered by the message with the same id. */
export interface SocketRequest {
  id: number;
  channel: string;
  request?: unknown;
}
/** Host to page: a reply to a request, or an event. */
export type SocketMessage = { id: number; reply: Reply<unknown> } | { event: HostEvent };
