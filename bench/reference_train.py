#!/usr/bin/env python3
"""The accuracy reference for `alexnet reproduce`: the workbench's model and recipe, written again in PyTorch.

Trains the same network (the paper's two-tower AlexNet, or the small `quick` preset, with any of the paper's
ablations) with the same recipe (`small-data` or `paper`) on the same data for the same epochs, under seeds 0 to n-1,
and evaluates each run on the test split with the centre crop and the paper's ten crops. It shares no code with the
workbench. The data is either

- a dataset the workbench imported (`<home>/datasets/<id>`: manifest.json, images.u8 and mean.f32): the reference
  reads the very pixels the workbench trains on (each record checked against its CRC-32), which is what a
  cross-check needs; or
- a folder with train/<class>/* and test/<class>/*: the reference decodes it with Pillow and resizes it with
  torchvision, which gives the workbench's resize byte for byte but not always its decoder's pixels (below).

    node bin/alexnet.js datasets    # the id, and --home's folder
    python3 bench/reference_train.py ~/.alexnet-workbench/datasets/<id> --preset quick --seeds 5 --out reference.json
    node bin/alexnet.js cross-check <report> reference.json

Seed i here is paired with seed i of the workbench's reproduction; the two draw from different generators, so a pair
shares its seed number and its data, not its random draws.

What is the same as the workbench (core/model, core/train):
- images resized with Lanczos-3 so the shorter side is 256, centre 256x256 (the quick preset: then averaged in 2x2 blocks to 128):
  torchvision's resize of a Pillow image, which the workbench's importer computes byte for byte (core/dataset/resample.ts,
  checked against Pillow by core/dataset/resample.test.ts; before that change the importer let libvips enlarge
  bicubically whatever kernel it named, so earlier references and workbench runs saw different pixels). The decoders
  still differ (libjpeg-turbo here, mozjpeg in sharp; alpha is dropped here, flattened over white there);
  the per-pixel mean image of the training split subtracted; inputs in 0..1 (small-data) or 0..255 (paper);
- random crops (227, quick 115) and reflections; PCA colour noise with a ~ N(0, 0.1) per image per epoch, from the
  eigenvalues of the training split's RGB covariance in the 0..1 scale;
- conv1 11x11/4, conv2 5x5 pad 2, conv3-5 3x3 pad 1; conv2, conv4 and conv5 see only their own tower, conv3 both;
  LRN per tower after the ReLUs of conv1 and conv2 with the paper's constants (k 2, n 5, alpha 1e-4 multiplying the
  window sum, beta 0.75); max pooling 3/2 (non-overlapping: 2/2); dropout 0.5 on the outputs of fc6 and fc7;
  one tower: half the kernels in conv1-4, conv5 kept;
- initialisation: kaiming-uniform U(+-1/sqrt(fan-in)) for weights and biases (small-data, paper preset), he-normal
  N(0, sqrt(2/fan-in)) with zero biases (small-data, quick preset), or the paper's N(0, 0.01) with biases 1 in
  conv2, conv4, conv5, fc6 and fc7;
- Adam (betas 0.9/0.999, eps 1e-8) with L2 weight decay 5e-4 added to the gradient, or the paper's SGD update
  v <- 0.9 v - 0.0005 lr w - lr g; w <- w + v; batch 128 (quick 16), the last partial batch of an epoch dropped;
- after every epoch the centre-crop top-1 error on the test split; the rate divided by 10 after `patience` (4) epochs
  without an improvement of at least 1e-4, never below the recipe's minimum.
Random draws (initial weights, order, crops, noise, dropout) come from PyTorch's generators, not the workbench's.
"""
import argparse
import json
import math
import os
import platform
import sys
import time
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
import torchvision.transforms.functional as TF

VARIANTS = ['full', 'one-tower', 'no-lrn', 'non-overlapping-pooling', 'no-dropout', 'no-pca-noise']


def recipe(name, preset):
    quick = preset == 'quick'
    if name == 'paper':
        return dict(optimizer='sgd', lr=0.01, batch=16 if quick else 128, epochs=10 if quick else 90, init='paper',
                    scale=1.0, patience=4, min_lr=1e-6)
    if name == 'small-data':
        return dict(optimizer='adam', lr=1e-3 if quick else 1e-4, batch=16 if quick else 128, epochs=10 if quick else 40,
                    init='he-normal' if quick else 'kaiming-uniform', scale=1 / 255, patience=4, min_lr=1e-7)
    raise SystemExit(f"Recipe '{name}' is not known; use paper or small-data.")


def preset_config(preset):
    if preset == 'paper':
        return dict(image=256, crop=227, conv=[96, 256, 384, 384, 256], fc=[4096, 4096])
    return dict(image=128, crop=115, conv=[24, 64, 96, 96, 64], fc=[256, 256])


class Lrn(nn.Module):
    """The paper's LRN over each tower's channels separately (PyTorch's module divides alpha by n, hence alpha * n)."""

    def __init__(self, towers):
        super().__init__()
        self.towers = towers
        self.norm = nn.LocalResponseNorm(5, alpha=1e-4 * 5, beta=0.75, k=2.0)

    def forward(self, x):
        return torch.cat([self.norm(part) for part in x.chunk(self.towers, dim=1)], dim=1)


class AlexNet(nn.Module):
    def __init__(self, classes, cfg, towers=2, lrn=True, overlapping=True, dropout=True):
        super().__init__()
        c = cfg['conv']
        widths = [w // 2 for w in c] if towers == 2 else [c[0] // 2, c[1] // 2, c[2] // 2, c[3] // 2, c[4]]
        total = [w * towers for w in widths]
        g = towers
        window, stride = (3, 2) if overlapping else (2, 2)
        self.conv = nn.ModuleList([
            nn.Conv2d(3, total[0], 11, 4),  # each tower's conv1 sees the whole image
            nn.Conv2d(total[0], total[1], 5, padding=2, groups=g),
            nn.Conv2d(total[1], total[2], 3, padding=1),  # conv3 sees both towers
            nn.Conv2d(total[2], total[3], 3, padding=1, groups=g),
            nn.Conv2d(total[3], total[4], 3, padding=1, groups=g),
        ])
        self.lrn = Lrn(towers) if lrn else nn.Identity()
        self.pool = nn.MaxPool2d(window, stride)
        side = (cfg['crop'] - 11) // 4 + 1
        for _ in range(3):
            side = (side - window) // stride + 1
        self.fc6 = nn.Linear(side * side * total[4], cfg['fc'][0])
        self.fc7 = nn.Linear(cfg['fc'][0], cfg['fc'][1])
        self.fc8 = nn.Linear(cfg['fc'][1], classes)
        self.dropout = dropout

    def layers(self):
        return list(self.conv) + [self.fc6, self.fc7, self.fc8]

    def forward(self, x, masks=None):
        """masks: optional given dropout masks (0 or 1/(1-p)) for fc6 and fc7, [batch, width] each, used instead of
        drawing them (bench/step_equivalence.py gives the workbench's)."""
        x = self.pool(self.lrn(F.relu(self.conv[0](x))))
        x = self.pool(self.lrn(F.relu(self.conv[1](x))))
        x = F.relu(self.conv[2](x))
        x = F.relu(self.conv[3](x))
        x = self.pool(F.relu(self.conv[4](x)))
        x = F.relu(self.fc6(torch.flatten(x, 1)))
        if self.dropout:
            x = x * masks[0] if masks is not None else F.dropout(x, 0.5, self.training)
        x = F.relu(self.fc7(x))
        if self.dropout:
            x = x * masks[1] if masks is not None else F.dropout(x, 0.5, self.training)
        return self.fc8(x)


def initialise(model, scheme):
    with torch.no_grad():
        for i, layer in enumerate(model.layers()):
            w = layer.weight
            fan_in = w[0].numel()  # a grouped conv's kernel sees only its group's channels
            if scheme == 'paper':
                w.normal_(0, 0.01)
                layer.bias.fill_(1.0 if i in (1, 3, 4, 5, 6) else 0.0)
            elif scheme == 'he-normal':
                w.normal_(0, math.sqrt(2 / fan_in))
                layer.bias.zero_()
            else:
                bound = 1 / math.sqrt(fan_in)
                w.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)


def load_split(root, split, classes, size):
    """Every image of a split as [N, 3, size, size] (uint8 at 256, float averages below): shorter side resized to 256, centre 256x256, then 2x2
    averages for the quick preset. Unreadable files are left out and named."""
    images, labels, skipped = [], [], []
    for label, name in enumerate(classes):
        folder = os.path.join(root, split, name)
        for file in sorted(os.listdir(folder)):
            path = os.path.join(folder, file)
            try:
                with Image.open(path) as im:
                    im = im.convert('RGB')
                    im = TF.center_crop(TF.resize(im, 256, interpolation=TF.InterpolationMode.LANCZOS), 256)  # Lanczos-3, as the workbench's
                    x = TF.pil_to_tensor(im)
            except Exception as error:  # one bad file must not stop the reference either
                skipped.append(f'{path}: {error}')
                continue
            if size != 256:
                x = F.avg_pool2d(x.float().unsqueeze(0), 256 // size).squeeze(0)  # exact averages, as the workbench's
            images.append(x)
            labels.append(label)
    return torch.stack(images), torch.tensor(labels), skipped


def load_workbench_dataset(folder, size):
    """A dataset the workbench imported: its classes in label order and each split as in load_split, from the uint8
    256x256x3 records of images.u8 (record i at byte i * 196608), each checked against the manifest's CRC-32."""
    with open(os.path.join(folder, 'manifest.json')) as f:
        manifest = json.load(f)
    record_bytes = 256 * 256 * 3
    with open(os.path.join(folder, manifest.get('cacheFile', 'images.u8')), 'rb') as f:
        cache = f.read()
    splits = {}
    for split in ('train', 'test'):
        images, labels = [], []
        for entry in manifest['images']:
            if entry['split'] != split:
                continue
            start = entry['record'] * record_bytes
            raw = cache[start:start + record_bytes]
            if len(raw) != record_bytes:
                raise SystemExit(f"{folder}: the record of {entry['path']} is cut short in images.u8; import the dataset again.")
            if 'recordCrc32' in entry and zlib.crc32(raw) != entry['recordCrc32']:
                raise SystemExit(f"{folder}: the record of {entry['path']} does not match its CRC-32; import the dataset again.")
            x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(256, 256, 3).permute(2, 0, 1).contiguous()
            if size != 256:
                x = F.avg_pool2d(x.float().unsqueeze(0), 256 // size).squeeze(0)  # exact averages, as the workbench's
            images.append(x)
            labels.append(entry['label'])
        if not images:
            raise SystemExit(f"{folder}: the dataset has no {split} images.")
        splits[split] = (torch.stack(images), torch.tensor(labels))
    return manifest['labels'], splits


def colour_statistics(train):
    """Per-pixel mean image (0..255) and the RGB covariance's eigen-decomposition in the 0..1 scale."""
    x = train.double()
    mean_image = x.mean(0).float()
    pixels = x.permute(0, 2, 3, 1).reshape(-1, 3) / 255
    cov = torch.cov(pixels.T)
    eigval, eigvec = torch.linalg.eigh(cov)
    return mean_image, eigval.clamp(min=0).float(), eigvec.float()


def crops_of(batch, offsets, crop, flip):
    out = []
    for x, (top, left) in zip(batch, offsets):
        out.append(x[:, top:top + crop, left:left + crop])
    out = torch.stack(out)
    return out.flip(3) if flip else out


def ten_crop_offsets(size, crop):
    c, e = (size - crop) // 2, size - crop
    return [(c, c), (0, 0), (0, e), (e, 0), (e, e)]


def evaluate(model, images, labels, mean_image, scale, crop, mode, batch=64):
    """Top-1 and top-5 error: the centre crop, or the softmax averaged over the ten crops (section 4.1)."""
    model.eval()
    size = images.shape[-1]
    offsets = ten_crop_offsets(size, crop)
    views = [(offsets[0], False)] if mode == 'centre' else [(o, f) for f in (False, True) for o in offsets]
    top1 = top5 = 0
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = (images[start:start + batch].float() - mean_image) * scale
            y = labels[start:start + batch]
            probs = 0
            for (top, left), flip in views:
                view = x[:, :, top:top + crop, left:left + crop]
                probs = probs + F.softmax(model(view.flip(3) if flip else view), 1)
            best = probs.topk(min(5, probs.shape[1]), 1).indices
            top1 += (best[:, 0] == y).sum().item()
            top5 += (best == y[:, None]).any(1).sum().item()
    n = len(images)
    return {'top1': 1 - top1 / n, 'top5': 1 - top5 / n}


class PaperSgd:
    """Section 5's update: v <- 0.9 v - 0.0005 lr w - lr g; w <- w + v."""

    def __init__(self, params, lr):
        self.params = list(params)
        self.v = [torch.zeros_like(p) for p in self.params]
        self.lr = lr

    def step(self):
        with torch.no_grad():
            for p, v in zip(self.params, self.v):
                v.mul_(0.9).sub_(p, alpha=0.0005 * self.lr).sub_(p.grad, alpha=self.lr)
                p.add_(v)


def train_one(args, variant, seed, data, device):
    r = recipe(args.recipe, args.preset)
    cfg = preset_config(args.preset)
    epochs = args.epochs or r['epochs']
    batch = args.batch_size or r['batch']
    train_x, train_y, test_x, test_y, classes, mean_image, eigval, eigvec = data
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = AlexNet(len(classes), cfg, towers=1 if variant == 'one-tower' else 2, lrn=variant != 'no-lrn',
                    overlapping=variant != 'non-overlapping-pooling', dropout=variant != 'no-dropout')
    initialise(model, r['init'])
    model.to(device)
    lr = r['lr']
    if r['optimizer'] == 'adam':
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-4)
    else:
        opt = PaperSgd(model.parameters(), lr)
    pca = variant != 'no-pca-noise'
    size, crop, scale = cfg['image'], cfg['crop'], r['scale']
    mean_d, test_xd, test_yd = mean_image.to(device), test_x.to(device), test_y.to(device)
    best, stale, history = None, 0, []
    started = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=g)
        loss_sum, seen = 0.0, 0
        for start in range(0, len(order) - batch + 1, batch):
            idx = order[start:start + batch]
            tops = torch.randint(0, size - crop + 1, (batch,), generator=g)
            lefts = torch.randint(0, size - crop + 1, (batch,), generator=g)
            flips = torch.rand(batch, generator=g) < 0.5
            x = (train_x[idx].float() - mean_image) * scale
            views = []
            for i in range(batch):
                v = x[i, :, tops[i]:tops[i] + crop, lefts[i]:lefts[i] + crop]
                views.append(v.flip(2) if flips[i] else v)
            x = torch.stack(views)
            if pca:
                alpha = torch.randn(batch, 3, generator=g) * 0.1
                shift = (alpha * eigval) @ eigvec.T  # [batch, 3] in 0..1 units
                x = x + (shift * 255 * scale)[:, :, None, None]
            x, y = x.to(device), train_y[idx].to(device)
            loss = F.cross_entropy(model(x), y)
            if isinstance(opt, PaperSgd):
                model.zero_grad(set_to_none=False)
                loss.backward()
                opt.step()
            else:
                opt.zero_grad()
                loss.backward()
                opt.step()
            loss_sum += loss.item() * batch
            seen += batch
        val = evaluate(model, test_xd, test_yd, mean_d, scale, crop, 'centre')
        if best is None or val['top1'] < best - 1e-4:
            best, stale = val['top1'], 0
        else:
            stale += 1
        dropped = False
        if stale >= r['patience'] and lr / 10 >= r['min_lr']:
            lr /= 10
            stale = 0
            dropped = True
            if isinstance(opt, PaperSgd):
                opt.lr = lr
            else:
                for group in opt.param_groups:
                    group['lr'] = lr
        history.append({'epoch': epoch + 1, 'trainLoss': loss_sum / max(1, seen), 'validationTop1Error': val['top1'],
                        'learningRate': lr, 'learningRateDropped': dropped})
        print(f'  {variant} seed {seed} epoch {epoch + 1}/{epochs}: loss {loss_sum / max(1, seen):.3f} '
              f'test top-1 error {val["top1"]:.3f}', file=sys.stderr, flush=True)
    seconds = time.time() - started
    crops = {mode: evaluate(model, test_xd, test_yd, mean_d, scale, crop, mode) for mode in ('centre', 'ten')}
    return {'variant': variant, 'seed': seed, 'crops': crops, 'epochs': history, 'seconds': seconds}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data', help='a dataset the workbench imported (<home>/datasets/<id>), or a folder with train/<class>/* and test/<class>/*')
    p.add_argument('--preset', choices=['paper', 'quick'], default='paper')
    p.add_argument('--recipe', choices=['small-data', 'paper'], default='small-data')
    p.add_argument('--epochs', type=int, help="epochs of every run (default: the recipe's)")
    p.add_argument('--batch-size', type=int, help="images per step (default: the recipe's)")
    p.add_argument('--seeds', type=int, default=5, help='runs of the full model, seeds 0 to n-1 (a cross-check needs 5 paired with the workbench\'s)')
    p.add_argument('--variants', default='full', help=f"comma-separated, or 'all': {', '.join(VARIANTS)}; ablations run under seed 0")
    p.add_argument('--device', default='auto', help='auto (cuda when present), cuda or cpu')
    p.add_argument('--threads', type=int, help='CPU threads for PyTorch')
    p.add_argument('--out', required=True, help='the JSON file to write')
    args = p.parse_args()
    variants = VARIANTS if args.variants == 'all' else args.variants.split(',')
    for v in variants:
        if v not in VARIANTS:
            raise SystemExit(f"Variant '{v}' is not known; use {', '.join(VARIANTS)} or all.")
    if 'full' not in variants:
        variants = ['full'] + variants
    workbench = os.path.isfile(os.path.join(args.data, 'manifest.json'))
    if not workbench:
        for split in ('train', 'test'):
            if not os.path.isdir(os.path.join(args.data, split)):
                raise SystemExit(f"'{args.data}' is neither a dataset the workbench imported (no manifest.json) nor a folder with a {split}/ folder; "
                                 'expected <home>/datasets/<id>, or train/<class>/* and test/<class>/*.')
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device('cuda' if args.device == 'auto' and torch.cuda.is_available() else ('cpu' if args.device == 'auto' else args.device))
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
    cfg = preset_config(args.preset)
    if workbench:
        classes, splits = load_workbench_dataset(args.data, cfg['image'])
        (train_x, train_y), (test_x, test_y) = splits['train'], splits['test']
        # Statistics at 256 as the workbench takes them (computed here, not read from its mean.f32).
        full_train = load_workbench_dataset(args.data, 256)[1]['train'][0] if cfg['image'] != 256 else train_x
    else:
        classes = sorted(e for e in os.listdir(os.path.join(args.data, 'train')) if os.path.isdir(os.path.join(args.data, 'train', e)))
        train_x, train_y, skipped = load_split(args.data, 'train', classes, cfg['image'])
        test_x, test_y, skipped_test = load_split(args.data, 'test', classes, cfg['image'])
        for s in skipped + skipped_test:
            print(f'skipped {s}', file=sys.stderr)
        # Statistics at 256 as the workbench takes them; the 2x2 averages of the quick preset keep the mean exact.
        full_train = load_split(args.data, 'train', classes, 256)[0] if cfg['image'] != 256 else train_x
    mean256, eigval, eigvec = colour_statistics(full_train)
    mean_image = F.avg_pool2d(mean256.unsqueeze(0), 256 // cfg['image']).squeeze(0) if cfg['image'] != 256 else mean256
    del full_train
    data = (train_x, train_y, test_x, test_y, classes, mean_image, eigval, eigvec)
    r = recipe(args.recipe, args.preset)
    runs = []
    for variant in variants:
        for seed in (range(args.seeds) if variant == 'full' else [0]):
            runs.append(train_one(args, variant, seed, data, device))
    device_name = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} thread' + ('s' if torch.get_num_threads() > 1 else '')
    result = {
        'reference': 'pytorch',
        'torch': torch.__version__,
        'device': device_name,
        'date': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'preset': args.preset,
        'recipe': args.recipe,
        'epochs': args.epochs or r['epochs'],
        'batchSize': args.batch_size or r['batch'],
        'dataset': {'labels': classes, 'train': len(train_x), 'test': len(test_x), 'pixels': 'workbench cache' if workbench else 'decoded by Pillow'},
        'runs': runs,
    }
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=1)
    full = [run['crops']['centre']['top1'] for run in runs if run['variant'] == 'full']
    print(f'reference: {args.out}; full model centre-crop top-1 error {100 * sum(full) / len(full):.1f} % over {len(full)} seeds', file=sys.stderr)


if __name__ == '__main__':
    main()
