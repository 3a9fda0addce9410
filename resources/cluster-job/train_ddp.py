#!/usr/bin/env python3
"""Trains an AlexNet Workbench cluster job with PyTorch DistributedDataParallel; started by torchrun.

    torchrun --standalone --nproc_per_node=2 train_ddp.py          # from the job folder (README.md has more)

The job folder holds everything (written by `alexnet cluster-job`):
- job.json: the model and recipe as the workbench resolved them (model, recipe, ablations, seed, epochs, batch);
- data/: the dataset as the workbench caches it: images.u8 (uint8 256x256x3 records), manifest.json (labels, each
  image's record, label, split and CRC-32, the colour statistics) and mean.f32 (the training split's mean image);
- reference_train.py: the network (two towers, per-tower LRN, dropout), its initialisations and the paper's SGD, the
  same file as the workbench's accuracy reference (bench/reference_train.py), whose training steps a test compares
  with the workbench's.

It writes into run/ (or --out):
- checkpoint.pt after every epoch (written whole, then renamed): a restart, torchrun's elastic one included,
  continues from it; events.jsonl says when an attempt started and where from;
- metrics.jsonl: one JSON line per epoch (loss, top-1/top-5 error on both splits, learning rate, seconds);
- progress.json: where rank 0 is (attempt, epoch, step), rewritten every few seconds;
- at the end: model.f32 and model.json (every parameter, float32, PyTorch's layout, with its SHA-256),
  conv1.f32 (conv1's kernels after every epoch, epoch 0 the initial ones) and evaluation.json (this program's own
  centre-crop evaluation of the final weights on the test split, with every image's probabilities), which
  `alexnet import-job` reads.

Batch and learning rate: the global batch is the recipe's whatever the number of processes; each process takes
batch / world images per step (the batch must divide evenly) and DistributedDataParallel averages the gradients, so
a step is the step of one process on the whole batch, at the recipe's learning rate. Data order: DistributedSampler
(shuffled with the job's seed and the epoch) gives step k the images k*batch to (k+1)*batch-1 of that epoch's
permutation, spread over the processes; each image's crop, reflection and colour noise are drawn from a generator of
(seed, epoch), indexed by the image. So the batches and their augmentation do not depend on the world size; dropout
masks are drawn per process (from (seed, epoch, rank)), so a run is reproducible bit for bit for a fixed world size.
"""
import argparse
import hashlib
import json
import math
import os
import signal
import sys
import time
import zlib

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

sys.dont_write_bytecode = True  # the job folder stays as written
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_train import AlexNet, PaperSgd, initialise, preset_config, ten_crop_offsets  # noqa: E402

JOB_FORMAT = 'alexnet-workbench-cluster-job'
JOB_VERSION = 1
RECORD = 256 * 256 * 3
MIN_IMPROVEMENT = 1e-4  # as the workbench's plateau rule (core/train/schedule.ts)
PCA_NOISE_STD = 0.1


def fail(message):
    raise SystemExit(f'error: {message}')


def read_job(folder):
    path = os.path.join(folder, 'job.json')
    try:
        with open(path) as f:
            job = json.load(f)
    except (OSError, ValueError) as error:
        fail(f"'{path}' cannot be read as a job ({error}); write the job again with alexnet cluster-job.")
    if job.get('format') != JOB_FORMAT or job.get('version') != JOB_VERSION:
        fail(f"'{path}' is not a version {JOB_VERSION} AlexNet Workbench job (format {job.get('format')!r}, version {job.get('version')!r}).")
    return job


# --- the model and recipe of job.json ---------------------------------------------------------------------------

def build_model(model):
    """The network of the job's model configuration (core/model/config.ts' ModelConfig)."""
    cfg = dict(image=model['imageSize'], crop=model['cropSize'], conv=list(model['convWidths']), fc=list(model['fcWidths']))
    known = preset_config(model['preset'])
    if cfg != known:
        fail(f"the job's {model['preset']} model ({cfg}) is not the one this program builds ({known}).")
    return AlexNet(model['classes'], cfg, towers=model['towers'], lrn=model['lrn'], overlapping=model['overlappingPooling'],
                   dropout=model['dropout'])


def build_optimizer(recipe, params, lr):
    """Adam with L2 weight decay added to the gradient, or the paper's SGD (section 5), as the workbench's."""
    o = recipe['optimizer']
    if o['name'] == 'adam':
        return torch.optim.Adam(params, lr=lr, betas=(o['beta1'], o['beta2']), eps=o['epsilon'], weight_decay=o['weightDecay'])
    if o['name'] == 'sgd':
        if o['momentum'] != 0.9 or o['weightDecay'] != 0.0005:
            fail(f"the paper's SGD has momentum 0.9 and weight decay 0.0005; the job asks for {o['momentum']} and {o['weightDecay']}.")
        return PaperSgd(params, lr)
    fail(f"optimizer {o['name']!r} is not known; expected adam or sgd.")


def set_learning_rate(optimizer, lr):
    if isinstance(optimizer, PaperSgd):
        optimizer.lr = lr
    else:
        for group in optimizer.param_groups:
            group['lr'] = lr


def optimizer_state(optimizer):
    return {'v': optimizer.v, 'lr': optimizer.lr} if isinstance(optimizer, PaperSgd) else optimizer.state_dict()


def load_optimizer_state(optimizer, state):
    if isinstance(optimizer, PaperSgd):
        for v, saved in zip(optimizer.v, state['v']):
            v.copy_(saved)
        optimizer.lr = state['lr']
    else:
        optimizer.load_state_dict(state)


def training_step(model, optimizer, x, y, masks=None):
    """One step: the mean cross-entropy of the batch, its gradients (averaged over the processes by DDP), the update.
    masks: given dropout masks instead of drawn ones (bench/step_equivalence.py passes the workbench's). The
    gradients stay in each parameter's .grad after the update."""
    model.zero_grad(set_to_none=False)
    logits = model(x) if masks is None else model(x, masks=masks)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    return loss.detach(), logits.detach()


# --- the data -----------------------------------------------------------------------------------------------------

class JobData:
    """The job's images: uint8 records read from images.u8 as needed (a memory map, so a dataset larger than memory
    trains), each checked against its CRC-32 the first time this process reads it."""

    def __init__(self, folder, image_size):
        data = os.path.join(folder, 'data')
        with open(os.path.join(data, 'manifest.json')) as f:
            self.manifest = json.load(f)
        self.labels = self.manifest['labels']
        cache = os.path.join(data, 'images.u8')
        records = os.path.getsize(cache) // RECORD
        self.images = np.memmap(cache, dtype=np.uint8, mode='r', shape=(records, 256, 256, 3))
        self.checked = np.zeros(records, dtype=bool)
        self.cache = cache
        self.split = {}
        for split in ('train', 'test'):
            entries = [e for e in self.manifest['images'] if e['split'] == split]
            for e in entries:
                if e['record'] >= records:
                    fail(f"'{cache}' holds {records} records but {e['path']} is record {e['record']}: the file is cut short; copy the job folder again.")
            self.split[split] = entries
        if not self.split['train']:
            fail('the job has no training images.')
        mean = np.fromfile(os.path.join(data, 'mean.f32'), dtype='<f4')
        if mean.size != RECORD:
            fail(f"'{os.path.join(data, 'mean.f32')}' holds {mean.size} values; expected {RECORD} (256x256x3).")
        self.factor = 256 // image_size
        self.mean = self.shrink(torch.from_numpy(mean.reshape(1, 256, 256, 3)).permute(0, 3, 1, 2))[0]
        s = self.manifest['statistics']
        self.eigenvalues = torch.tensor(s['eigenvalues'], dtype=torch.float64) / (255 * 255)  # in the 0..1 scale
        self.eigenvectors = torch.tensor(s['eigenvectors'], dtype=torch.float64).reshape(3, 3)  # columns

    def shrink(self, x):
        x = x.float()
        return F.avg_pool2d(x, self.factor) if self.factor != 1 else x

    def batch(self, split, indices):
        """Images [n, 3, size, size] (0..255, float) and labels [n] of the split's entries `indices`."""
        entries = [self.split[split][i] for i in indices]
        records = [e['record'] for e in entries]
        raw = np.ascontiguousarray(self.images[records])
        for e, image in zip(entries, raw):
            if not self.checked[e['record']]:
                if zlib.crc32(image.tobytes()) != e['recordCrc32']:
                    fail(f"the record of {e['path']} in '{self.cache}' does not match its CRC-32: the job folder is damaged; copy it again.")
                self.checked[e['record']] = True
        x = self.shrink(torch.from_numpy(raw).permute(0, 3, 1, 2))
        return x, torch.tensor([e['label'] for e in entries], dtype=torch.long)


class Augmentation:
    """Each training image's crop, reflection and PCA colour coefficients for one epoch (section 4.1), drawn from one
    generator of (seed, epoch) for every image of the training split at once: the same on every process."""

    def __init__(self, seed, epoch, images, size, crop):
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        self.tops = torch.randint(0, size - crop + 1, (images,), generator=g)
        self.lefts = torch.randint(0, size - crop + 1, (images,), generator=g)
        self.flips = torch.rand(images, generator=g) < 0.5
        self.alphas = torch.randn(images, 3, generator=g, dtype=torch.float64) * PCA_NOISE_STD


def training_inputs(data, aug, indices, x, crop, scale, pca):
    """The network's inputs: (pixel - mean + colour shift) * scale, cropped and reflected as drawn."""
    x = x - data.mean
    views = []
    for j, i in enumerate(indices):
        top, left = int(aug.tops[i]), int(aug.lefts[i])
        v = x[j, :, top:top + crop, left:left + crop]
        if pca:
            shift = data.eigenvectors @ (aug.alphas[i] * data.eigenvalues) * 255  # 0..255 units, as the workbench's
            v = v + shift.float()[:, None, None]
        views.append(v.flip(2) if aug.flips[i] else v)
    return torch.stack(views) * scale


def evaluate(model, data, split, crop, scale, device, rank, world, batch=64, probabilities=False):
    """Centre-crop loss, top-1 and top-5 counts over the split, each process taking every world-th image; with
    `probabilities` (one process, world 1): every image's softmax too."""
    model.eval()
    entries = len(data.split[split])
    mine = list(range(rank, entries, world))
    top, left = ten_crop_offsets(data.mean.shape[-1], crop)[0]
    totals = torch.zeros(4, dtype=torch.float64)  # loss sum, top-1 correct, top-5 correct, images
    probs = []
    with torch.no_grad():
        for start in range(0, len(mine), batch):
            idx = mine[start:start + batch]
            x, y = data.batch(split, idx)
            x = ((x - data.mean)[:, :, top:top + crop, left:left + crop] * scale).to(device)
            y = y.to(device)
            logits = model(x)
            best = logits.topk(min(5, logits.shape[1]), 1).indices
            totals += torch.tensor([F.cross_entropy(logits, y, reduction='sum').item(), (best[:, 0] == y).sum().item(),
                                    (best == y[:, None]).any(1).sum().item(), len(idx)], dtype=torch.float64)
            if probabilities:
                probs.append(F.softmax(logits.double(), 1).cpu())
    model.train()
    if world > 1:
        dist.all_reduce(totals)
    return totals, (torch.cat(probs) if probs else None)


# --- files --------------------------------------------------------------------------------------------------------

def write_atomically(path, write):
    temp = f'{path}.{os.getpid()}.tmp'
    with open(temp, 'wb') as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def write_json(path, value, lines=False):
    text = '\n'.join(json.dumps(v) for v in value) + '\n' if lines else json.dumps(value, indent=1)
    write_atomically(path, lambda f: f.write(text.encode('utf8')))


def append_event(out, event):
    with open(os.path.join(out, 'events.jsonl'), 'a') as f:
        f.write(json.dumps({'time': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), **event}) + '\n')


def fault_point(name):
    """ALEXNET_FAULT=<point>:<n> sends this process SIGKILL the n-th time it passes <point>, in the first attempt only
    (the tests kill one process of a job mid-epoch this way, as a lost machine would)."""
    plan = os.environ.get('ALEXNET_FAULT', '')
    if not plan.startswith(name + ':') or os.environ.get('TORCHELASTIC_RESTART_COUNT', '0') != '0':
        return
    fault_point.passes = getattr(fault_point, 'passes', 0) + 1
    if fault_point.passes == int(plan.rsplit(':', 1)[1]):
        os.kill(os.getpid(), signal.SIGKILL)


def write_results(out, model, data, job, history, schedule, conv1, world, device, crop, scale, seconds):
    """model.f32/model.json, conv1.f32 and this program's own evaluation of the final weights (rank 0, world 1)."""
    named = [(n, p.detach().float().cpu().contiguous()) for n, p in model.named_parameters()]
    payload = b''.join(p.numpy().astype('<f4', copy=False).tobytes() for _, p in named)
    write_atomically(os.path.join(out, 'model.f32'), lambda f: f.write(payload))
    totals, probs = evaluate(model, data, 'test', crop, scale, device, 0, 1, probabilities=True) if data.split['test'] else (None, None)
    history_conv1 = b''.join(c.numpy().astype('<f4', copy=False).tobytes() for c in conv1)
    write_atomically(os.path.join(out, 'conv1.f32'), lambda f: f.write(history_conv1))
    if probs is not None:
        n = int(totals[3])
        write_json(os.path.join(out, 'evaluation.json'), {
            'split': 'test', 'crops': 'centre', 'count': n,
            'top1Error': 1 - totals[1].item() / n, 'top5Error': 1 - totals[2].item() / n, 'loss': totals[0].item() / n,
            'images': [e['path'] for e in data.split['test']],
            'probabilities': probs.tolist(),
        })
    write_json(os.path.join(out, 'model.json'), {
        'format': JOB_FORMAT, 'version': JOB_VERSION, 'job': job['id'],
        'layout': 'pytorch', 'parameters': [{'name': n, 'shape': list(p.shape)} for n, p in named],
        'bytes': len(payload), 'sha256': hashlib.sha256(payload).hexdigest(),
        'conv1': {'epochs': len(conv1), 'shape': list(conv1[0].shape), 'sha256': hashlib.sha256(history_conv1).hexdigest()},
        'epochs': len(history), 'schedule': schedule, 'processes': world, 'device': device_name(device), 'torch': torch.__version__, 'seconds': seconds,
    })


def device_name(device):
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    return f'CPU, {torch.get_num_threads()} thread' + ('s' if torch.get_num_threads() > 1 else '') + ' per process'


# --- training -----------------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--job', default=os.path.dirname(os.path.abspath(__file__)), help='the job folder (default: this file\'s)')
    p.add_argument('--out', help='where checkpoints and results go (default: <job>/run)')
    p.add_argument('--backend', choices=['auto', 'nccl', 'gloo'], default='auto', help='auto: nccl on GPUs, gloo on CPUs')
    args = p.parse_args()
    if 'RANK' not in os.environ:
        fail('start this program with torchrun (README.md in the job folder has the commands), e.g. torchrun --standalone --nproc_per_node=2 train_ddp.py')
    job = read_job(args.job)
    out = args.out or os.path.join(args.job, 'run')
    os.makedirs(out, exist_ok=True)

    cuda = torch.cuda.is_available()
    backend = ('nccl' if cuda else 'gloo') if args.backend == 'auto' else args.backend
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get('LOCAL_RANK', '0'))
    device = torch.device('cuda', local) if cuda and backend == 'nccl' else torch.device('cpu')
    if device.type == 'cuda':
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True

    model_cfg, recipe, seed = job['model'], job['recipe'], job['seed']
    batch, epochs = recipe['batchSize'], recipe['epochs']
    if batch % world != 0:
        fail(f'the batch of {batch} images does not split evenly over {world} processes; use a world size that divides it (or write the job with another --batch-size).')
    per_process = batch // world
    data = JobData(args.job, model_cfg['imageSize'])
    crop, scale, pca = model_cfg['cropSize'], recipe['inputScale'], recipe['pcaNoise']
    train_count = len(data.split['train'])

    torch.manual_seed(seed)
    model = build_model(model_cfg)
    initialise(model, recipe['initialisation'])
    model.to(device)
    lr = recipe['learningRate']
    optimizer = build_optimizer(recipe, model.parameters(), lr)
    schedule = {'learningRate': lr, 'bestError': None, 'bestEpoch': None, 'epochsWithoutImprovement': 0, 'drops': []}
    history, conv1, start_epoch = [], [model.conv[0].weight.detach().cpu().clone()], 0
    checkpoint_file = os.path.join(out, 'checkpoint.pt')
    attempt = int(os.environ.get('TORCHELASTIC_RESTART_COUNT', '0'))
    if os.path.exists(checkpoint_file):
        try:
            saved = torch.load(checkpoint_file, map_location='cpu')
        except Exception as error:  # a damaged file names itself; nothing is overwritten
            fail(f"checkpoint '{checkpoint_file}' cannot be read ({error}); move it away to train from the start.")
        if saved.get('job') != job['id']:
            fail(f"checkpoint '{checkpoint_file}' belongs to job {saved.get('job')!r}, not {job['id']!r}.")
        model.load_state_dict(saved['model'])
        load_optimizer_state(optimizer, saved['optimizer'])
        schedule, history, conv1, start_epoch = saved['schedule'], saved['history'], saved['conv1'], saved['epoch']
        lr = schedule['learningRate']
        set_learning_rate(optimizer, lr)
        if rank == 0 and saved['world'] != world:
            print(f'note: the checkpoint was written by {saved["world"]} processes and this attempt has {world}; batches and their augmentation are the same, dropout masks are not.', file=sys.stderr)
    if rank == 0:
        append_event(out, {'event': 'attempt', 'attempt': attempt, 'processes': world, 'backend': backend, 'fromEpoch': start_epoch})
    ddp = DistributedDataParallel(model, device_ids=[local] if device.type == 'cuda' else None)
    sampler = DistributedSampler(range(train_count), num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True)
    steps = len(sampler) // per_process
    if steps == 0:
        fail(f'the training split has {train_count} images, fewer than one batch of {batch}.')
    started = time.time()
    last_progress = 0.0
    for epoch in range(start_epoch, epochs):
        epoch_started = time.time()
        sampler.set_epoch(epoch)
        order = list(sampler)
        aug = Augmentation(seed, epoch, train_count, data.mean.shape[-1], crop)
        torch.manual_seed(seed * 1_000_003 + epoch * 1009 + rank)  # this process's dropout masks in this epoch
        totals = torch.zeros(4, dtype=torch.float64)
        ddp.train()
        for step in range(steps):
            idx = order[step * per_process:(step + 1) * per_process]
            x, y = data.batch('train', idx)
            x = training_inputs(data, aug, idx, x, crop, scale, pca).to(device)
            y = y.to(device)
            loss, logits = training_step(ddp, optimizer, x, y)
            best = logits.topk(min(5, logits.shape[1]), 1).indices
            totals += torch.tensor([loss.item() * len(idx), (best[:, 0] == y).sum().item(), (best == y[:, None]).any(1).sum().item(), len(idx)], dtype=torch.float64)
            fault_point(f'job-step-rank-{rank}')
            if rank == 0 and (time.time() - last_progress > 2 or step == steps - 1):
                last_progress = time.time()
                write_json(os.path.join(out, 'progress.json'), {'attempt': attempt, 'epoch': epoch + 1, 'epochs': epochs, 'step': step + 1,
                                                               'steps': steps, 'loss': loss.item(), 'processes': world})
        dist.all_reduce(totals)
        val, _ = evaluate(model, data, 'test', crop, scale, device, rank, world) if data.split['test'] else (None, None)
        record = {'epoch': epoch + 1, 'trainLoss': totals[0].item() / totals[3].item(),
                  'trainTop1Error': 1 - totals[1].item() / totals[3].item(), 'trainTop5Error': 1 - totals[2].item() / totals[3].item(),
                  'validationLoss': None, 'validationTop1Error': None, 'validationTop5Error': None}
        if val is not None:
            n = val[3].item()
            record.update(validationLoss=val[0].item() / n, validationTop1Error=1 - val[1].item() / n, validationTop5Error=1 - val[2].item() / n)
            error = record['validationTop1Error']
            if schedule['bestError'] is None or error < schedule['bestError'] - MIN_IMPROVEMENT:
                schedule.update(bestError=error, bestEpoch=epoch + 1, epochsWithoutImprovement=0)
            else:
                schedule['epochsWithoutImprovement'] += 1
                if schedule['epochsWithoutImprovement'] >= recipe['patience'] and lr / 10 >= recipe['minimumLearningRate']:
                    lr /= 10
                    schedule.update(learningRate=lr, epochsWithoutImprovement=0)
                    schedule['drops'].append({'epoch': epoch + 1, 'learningRate': lr, 'reason': 'plateau'})
                    set_learning_rate(optimizer, lr)
        record.update(learningRate=lr, seconds=time.time() - epoch_started, images=int(totals[3].item()), processes=world)
        history.append(record)
        conv1.append(model.conv[0].weight.detach().cpu().clone())
        if rank == 0:
            state = {'job': job['id'], 'epoch': epoch + 1, 'world': world, 'model': model.state_dict(),
                     'optimizer': optimizer_state(optimizer), 'schedule': schedule, 'history': history, 'conv1': conv1}
            write_atomically(checkpoint_file, lambda f: torch.save(state, f))
            write_json(os.path.join(out, 'metrics.jsonl'), history, lines=True)
            shown = f", test top-1 error {record['validationTop1Error']:.3f}" if val is not None else ''
            print(f"epoch {epoch + 1}/{epochs}: train loss {record['trainLoss']:.3f}{shown} ({record['seconds']:.1f} s, {world} processes)", file=sys.stderr, flush=True)
        dist.barrier()  # no process starts the next epoch before the checkpoint of this one is on disk
    if rank == 0:
        write_results(out, model, data, job, history, schedule, conv1, world, device, crop, scale, time.time() - started)
        append_event(out, {'event': 'finished', 'attempt': attempt, 'epochs': len(history)})
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
