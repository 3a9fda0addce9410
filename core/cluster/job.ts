// A cluster job: a self-contained folder that trains a run's model and recipe with PyTorch DistributedDataParallel
// (started by torchrun, on any machines that run it), whose result `import-job` brings back as a run.
//
// <job>/job.json           the model, recipe, ablations and seed as the workbench resolved them, and the dataset's
//                           fingerprint
// <job>/data/               the dataset as the workbench caches it: images.u8 (the training then the test images'
//                           uint8 256x256x3 records), manifest.json (labels, records, splits, CRC-32s, colour
//                           statistics) and mean.f32
// <job>/train_ddp.py        the training program (resources/cluster-job), with reference_train.py, its network
// <job>/README.md           the torchrun commands for one machine, several, and Slurm
// <job>/run/                what training writes (train_ddp.py's docstring), read by import-job
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { CACHE_FILE, MANIFEST_FILE, MEAN_IMAGE_FILE, RecordWriter, writeFileAtomically } from '../dataset/cache';
import type { Dataset } from '../dataset/dataset';
import type { ColourStatistics, Split } from '../dataset/types';
import type { ModelConfig } from '../model/config';
import type { Ablations } from '../vocabulary';
import type { Recipe } from '../train/recipe';

export const JOB_FORMAT = 'alexnet-workbench-cluster-job';
export const JOB_VERSION = 1;
export const JOB_FILE = 'job.json';
/** The training program and the network it imports, copied into every job. */
export const JOB_PROGRAM = 'train_ddp.py';
export const JOB_NETWORK = 'reference_train.py';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The packaged desktop app keeps both files in its resources' cluster-job/ (electron-builder.yml). */
const PACKAGED = (process as { resourcesPath?: string }).resourcesPath;
/** Where the program's files come from (the network is the accuracy reference's, bench/reference_train.py). */
export const PROGRAM_SOURCES = {
  [JOB_PROGRAM]: source(path.join(ROOT, 'resources', 'cluster-job', JOB_PROGRAM), JOB_PROGRAM),
  [JOB_NETWORK]: source(path.join(ROOT, 'bench', JOB_NETWORK), JOB_NETWORK),
} as const;

function source(inCheckout: string, name: string): string {
  const packaged = PACKAGED === undefined ? undefined : path.join(PACKAGED, 'cluster-job', name);
  return packaged !== undefined && !fs.existsSync(inCheckout) && fs.existsSync(packaged) ? packaged : inCheckout;
}

/** job.json. */
export interface ClusterJob {
  format: typeof JOB_FORMAT;
  version: typeof JOB_VERSION;
  id: string;
  createdAt: string;
  /** The workbench's version that wrote the job. */
  workbench: string;
  dataset: { id: string; name: string; source: string; labels: string[]; train: number; test: number; fingerprint: string };
  model: ModelConfig;
  recipe: Recipe;
  ablations: Partial<Ablations>;
  seed: number;
}

/** One image of the job's data/manifest.json. */
export interface JobImage {
  path: string;
  label: number;
  split: Split;
  record: number;
  recordCrc32: number;
}

/** data/manifest.json. */
export interface JobManifest {
  labels: string[];
  statistics: ColourStatistics;
  images: JobImage[];
}

/**
 * What identifies a dataset's content for a job: its labels and, per image in manifest order, its file, split, label,
 * source file hash and cached record's CRC-32. A dataset imported again from changed files, relabelled or re-split
 * has another fingerprint. Records of manifests that predate their CRC-32 are read and checksummed.
 */
export function datasetFingerprint(dataset: Dataset): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(dataset.labels));
  for (const e of dataset.manifest.images) {
    const crc = e.recordCrc32 ?? crc32(dataset.readRecord(e.record));
    hash.update(`\n${JSON.stringify([e.path, e.split, e.label, e.sha256, crc])}`);
  }
  return hash.digest('hex');
}

/** A new job's id: its creation time and a random suffix. */
export function newJobId(now: Date = new Date()): string {
  return `job-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
}

export interface ClusterJobRequest {
  id: string;
  dataset: Dataset;
  model: ModelConfig;
  recipe: Recipe;
  ablations: ClusterJob['ablations'];
  seed: number;
  workbench: string;
  /** The folder to write; it must not exist or be empty. */
  folder: string;
}

/** Writes a job folder (nothing in `folder` is overwritten: it must be new or empty). */
export function writeClusterJob(request: ClusterJobRequest): ClusterJob {
  const { dataset, folder } = request;
  if (fs.existsSync(folder) && (!fs.statSync(folder).isDirectory() || fs.readdirSync(folder).length > 0)) {
    throw new Error(`'${folder}' already exists and is not an empty folder; a job is written into a new folder (choose another --out).`);
  }
  for (const [name, file] of Object.entries(PROGRAM_SOURCES)) {
    if (!fs.existsSync(file)) throw new Error(`The job's ${name} is missing from this installation ('${file}'); reinstall the workbench.`);
  }
  const train = dataset.entries('train');
  const test = dataset.entries('test');
  if (train.length < request.recipe.batchSize) {
    throw new Error(`Dataset '${dataset.manifest.name}' has ${train.length} training images, fewer than one batch of ${request.recipe.batchSize}; choose a smaller batch size.`);
  }
  const data = path.join(folder, 'data');
  fs.mkdirSync(data, { recursive: true });
  try {
    // The records of the training then the test images, in manifest order, each with the CRC-32 of its bytes.
    const writer = RecordWriter.open(path.join(data, CACHE_FILE), false);
    const images: JobImage[] = [];
    try {
      for (const e of [...train, ...test]) {
        const pixels = dataset.readRecord(e.record);
        images.push({ path: e.path, label: e.label, split: e.split, record: writer.append(pixels), recordCrc32: crc32(pixels) });
      }
      writer.close();
    } catch (error) {
      writer.close(false);
      throw error;
    }
    const manifest: JobManifest = { labels: dataset.labels, statistics: dataset.manifest.statistics, images };
    writeFileAtomically(path.join(data, MANIFEST_FILE), JSON.stringify(manifest));
    const mean = dataset.meanImage();
    writeFileAtomically(path.join(data, MEAN_IMAGE_FILE), new Uint8Array(mean.buffer, mean.byteOffset, mean.byteLength));
    for (const [name, file] of Object.entries(PROGRAM_SOURCES)) fs.copyFileSync(file, path.join(folder, name));
    const job: ClusterJob = {
      format: JOB_FORMAT,
      version: JOB_VERSION,
      id: request.id,
      createdAt: new Date().toISOString(),
      workbench: request.workbench,
      dataset: {
        id: dataset.manifest.id,
        name: dataset.manifest.name,
        source: dataset.manifest.source,
        labels: dataset.labels,
        train: train.length,
        test: test.length,
        fingerprint: datasetFingerprint(dataset),
      },
      model: request.model,
      recipe: request.recipe,
      ablations: request.ablations,
      seed: request.seed,
    };
    fs.writeFileSync(path.join(folder, 'README.md'), jobReadme(job));
    // job.json last: a folder without it is an unfinished job, which import-job and train_ddp.py refuse.
    writeFileAtomically(path.join(folder, JOB_FILE), `${JSON.stringify(job, null, 1)}\n`);
    return job;
  } catch (error) {
    fs.rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** The world sizes up to 64 that split a batch evenly. */
export function worldSizes(batch: number): number[] {
  return Array.from({ length: 64 }, (_, i) => i + 1).filter((n) => batch % n === 0);
}

function jobReadme(job: ClusterJob): string {
  const r = job.recipe;
  const sizes = worldSizes(r.batchSize);
  const gib = ((job.dataset.train + job.dataset.test) * 196_608) / 2 ** 30;
  return `# AlexNet Workbench cluster job ${job.id}

${job.model.preset === 'paper' ? "The paper's two-tower AlexNet" : "The quick preset (the paper's two-tower topology, narrower; not the paper's model)"}, recipe
\`${r.name}\` (${r.optimizer.name === 'adam' ? 'Adam' : "the paper's SGD"} at ${r.learningRate}, batch ${r.batchSize}, ${r.epochs} epochs), seed ${job.seed},
on dataset '${job.dataset.name}' (${job.dataset.labels.length} classes, ${job.dataset.train} training and ${job.dataset.test} test images,
${gib.toFixed(2)} GiB of cached pixels in data/). Written by AlexNet Workbench ${job.workbench}.

It needs Python 3 with PyTorch 1.13 or later (torchrun comes with it) and NumPy. The program is \`train_ddp.py\`
(its opening comment says what it writes); the network is \`reference_train.py\`. PyTorch 1.13 on Python 3.11 (as
Debian 12's python3-torch) has a torchrun that stops at once with \`AttributeError: 'NoneType' object has no
attribute 'get'\`: add \`--redirects 2 --tee 2\` to its options there.

## Processes, batch and learning rate

The global batch stays ${r.batchSize} and the learning rate the recipe's, whatever the number of processes: each
process takes ${r.batchSize} / (number of processes) images per step, and DistributedDataParallel averages the
gradients, so every step is the step of one process on the whole batch. The number of processes must divide
${r.batchSize}: ${sizes.join(', ')}. The batches and their augmentation are the same for any number of
processes; dropout masks are drawn per process, so a run repeats bit for bit for the same number.

## One machine

\`\`\`sh
cd ${job.id}      # this folder
torchrun --standalone --nproc_per_node=2 --max_restarts=3 train_ddp.py      # one process per GPU (NCCL), or per CPU socket (gloo)
\`\`\`

## Several machines

Put this folder on storage every machine sees (the checkpoint in run/ is what a restart continues from), then on
each of the N machines:

\`\`\`sh
torchrun --nnodes=N --nproc_per_node=GPUS_PER_MACHINE --max_restarts=3 \\
  --rdzv_backend=c10d --rdzv_endpoint=FIRST_MACHINE:29400 --rdzv_id=${job.id} train_ddp.py
\`\`\`

## Slurm

\`\`\`sh
#!/bin/bash
#SBATCH --job-name=${job.id}
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
srun torchrun --nnodes="$SLURM_NNODES" --nproc_per_node=4 --max_restarts=3 \\
  --rdzv_backend=c10d --rdzv_endpoint="$head:29400" --rdzv_id="$SLURM_JOB_ID" train_ddp.py
\`\`\`

## Stops and restarts

After every epoch the program writes run/checkpoint.pt whole and then renames it into place. Started again (by
torchrun's \`--max_restarts\`, or by hand with the same command) it continues from that checkpoint: a process
lost mid-epoch costs that epoch's steps, not the run. run/events.jsonl lists every attempt and where it started.

## Back in the workbench

\`\`\`sh
alexnet import-job ${job.id}      # this folder, after training has finished
\`\`\`

creates a run from run/model.f32 and run/metrics.jsonl; evaluation, look-up, neighbours, kernels, confusion and
export then work on it as on any run. The dataset must still be the one the job was written from (its fingerprint is
in job.json).
`;
}
