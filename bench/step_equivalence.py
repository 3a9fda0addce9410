#!/usr/bin/env python3
"""The workbench's training steps done again by bench/reference_train.py's PyTorch model, from the same numbers.

    python3 bench/step_equivalence.py FOLDER

FOLDER/manifest.json lists cases that the workbench wrote (e2e/pytorch-equivalence.test.ts); each case's folder holds,
as raw little-endian float32 in the workbench's layout:
- parameters.f32: every parameter in the case's order (conv kernels per tower HWIO, dense kernels [in, out]);
- input.f32: the batch [batch, crop, crop, 3] (NHWC); masks.f32: the dropout masks of fc6 then fc7, [batch, width] each;
- record-<step>.f32: what the workbench's forward computed before each step (the case's `records` list it): every
  ReLU's output and the inputs of the first two max pools, per tower [batch, height, width, channels].
For each case this program converts the weights to PyTorch's layout (one grouped convolution per layer, OIHW, the
towers' output channels in tower order; fc6's inputs in NCHW flattening order; dense weights [out, in]), runs
`steps` steps of the case's optimizer on that batch with those masks (none, for 0: the first step's loss and gradients
only), and writes into the case's folder:
- result.json: per step the loss, each layer's largest difference from the workbench's outputs, and the choices
  taken from the workbench (below); and the PyTorch version;
- gradients.f32: every gradient of the first step, converted back to the workbench's layout and order;
- after.f32: every parameter after the last step, in the workbench's layout and order (not for 0 steps).

A case with "program": "job" is stepped by the cluster job's program instead (resources/cluster-job/train_ddp.py,
`alexnet cluster-job`): its build_model, build_optimizer (from the case's whole "recipe") and training_step, so that a
test shows the job trains the workbench's model with the workbench's steps.

Ties. A ReLU whose input is within float32 noise of 0, or a max-pool window whose two largest values are, may decide
either way in two float32 implementations, and the gradient then takes another path: a difference of a whole term,
not of rounding (measured: the paper preset's pool5 holds windows whose top two values differ by 1.5 ulp). So the
reference takes the workbench's decision at every ReLU and every pool window, and reports, for each layer, how many
of them differ from its own and the largest of its own margins it overrode (|input| for a ReLU, own maximum minus the
chosen value for a pool, over the layer's largest |value|): a correct workbench differs only within float noise.
Everything is float32 on the CPU, on one thread.
"""
import json
import math
import os
import sys
from unittest import mock

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # importing reference_train must leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_train  # noqa: E402
from reference_train import AlexNet, PaperSgd, preset_config  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'cluster-job'))
import train_ddp  # noqa: E402  (the cluster job's program, which imports the same reference_train)

# The workbench's layer names against the names of the reference's modules (model.named_parameters()).
LAYERS = {'conv1': 'conv.0', 'conv2': 'conv.1', 'conv3': 'conv.2', 'conv4': 'conv.3', 'conv5': 'conv.4',
          'fc6': 'fc6', 'fc7': 'fc7', 'fc8': 'fc8'}
# The order in which AlexNet.forward calls F.relu and self.pool.
RELUS = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7']
POOLS = ['pool1', 'pool2', 'pool5']


def read_f32(path, count):
    data = np.fromfile(path, dtype='<f4')
    if data.size != count:
        raise SystemExit(f"'{path}' holds {data.size} float32 values; expected {count}.")
    return torch.from_numpy(data)


def read_named(path, specs):
    """A file of float32 values cut into the named tensors of `specs` ({name, shape}), in order."""
    values = read_f32(path, sum(math.prod(s['shape']) for s in specs))
    named, offset = {}, 0
    for spec in specs:
        size = math.prod(spec['shape'])
        named[spec['name']] = values[offset:offset + size].reshape(spec['shape'])
        offset += size
    return named


def towers_to_nchw(parts):
    """Per-tower [batch, height, width, channels] maps to one [batch, channels, height, width], tower a first."""
    return torch.cat(parts, 3).permute(0, 3, 1, 2).contiguous()


class Layout:
    """Converts between the workbench's named tensors and the reference's parameters, in both directions."""

    def __init__(self, model, specs, towers):
        self.specs = specs
        self.towers = towers
        self.tower_names = ['a', 'b'][:towers]
        # fc6's input: pool5 of every tower side by side, [side, side, channels] per image in the workbench (NHWC).
        self.pool5_channels = model.conv[4].out_channels
        flat = model.fc6.in_features
        self.pool5_side = math.isqrt(flat // self.pool5_channels)
        if self.pool5_side ** 2 * self.pool5_channels != flat:
            raise SystemExit(f'fc6 has {flat} inputs, which is not a square map of {self.pool5_channels} channels.')

    def to_reference(self, named):
        """named: workbench name -> tensor in the workbench's shape. Returns the reference's name -> tensor."""
        out = {}
        for layer, module in LAYERS.items():
            if layer.startswith('conv'):
                # Tower a's kernels first: the grouped convolution's first group, and the first half of its outputs.
                kernels = [named[f'{layer}/{t}/kernel'] for t in self.tower_names]
                out[f'{module}.weight'] = torch.cat([k.permute(3, 2, 0, 1) for k in kernels], 0)  # HWIO -> OIHW
                out[f'{module}.bias'] = torch.cat([named[f'{layer}/{t}/bias'] for t in self.tower_names], 0)
            else:
                kernel = named[f'{layer}/kernel']  # [in, out]
                if layer == 'fc6':
                    # Row (h * side + w) * channels + ch of the workbench's kernel is input ch * side^2 + h * side + w
                    # here: rows [side^2, channels] -> [channels, side^2], then [in, out] -> [out, in] (two copies
                    # that move whole rows or transpose a matrix: a single 3-D permutation is many times slower).
                    rows = kernel.reshape(self.pool5_side ** 2, self.pool5_channels, -1).transpose(0, 1).reshape(kernel.shape)
                    out[f'{module}.weight'] = rows.t().contiguous()
                else:
                    out[f'{module}.weight'] = kernel.t()
                out[f'{module}.bias'] = named[f'{layer}/bias']
        return out

    def from_reference(self, values):
        """values: the reference's name -> tensor in its layout. Returns workbench name -> tensor."""
        named = {}
        for layer, module in LAYERS.items():
            weight, bias = values[f'{module}.weight'], values[f'{module}.bias']
            if layer.startswith('conv'):
                for t, kernel, b in zip(self.tower_names, weight.chunk(self.towers, 0), bias.chunk(self.towers, 0)):
                    named[f'{layer}/{t}/kernel'] = kernel.permute(2, 3, 1, 0)  # OIHW -> HWIO
                    named[f'{layer}/{t}/bias'] = b
            else:
                if layer == 'fc6':  # [out, in] -> [in, out], then rows [channels, side^2] -> [side^2, channels]
                    rows = weight.t().contiguous()
                    named[f'{layer}/kernel'] = rows.reshape(self.pool5_channels, self.pool5_side ** 2, -1).transpose(0, 1).reshape(rows.shape)
                else:
                    named[f'{layer}/kernel'] = weight.t()
                named[f'{layer}/bias'] = bias
        return named

    def write(self, path, named):
        with open(path, 'wb') as f:
            for spec in self.specs:
                value = named[spec['name']]
                if list(value.shape) != spec['shape']:
                    raise SystemExit(f"'{spec['name']}' came back as {list(value.shape)}; expected {spec['shape']}.")
                value.detach().contiguous().numpy().astype('<f4', copy=False).tofile(f)


def pool_choices(x, window, stride):
    """The first maximum of each window in row-major order (as the workbench's max-pool gradient takes it), as flat
    indices into each [height, width] map: x [batch, channels, height, width] -> [batch, channels, out, out]."""
    width = x.shape[3]
    windows = x.unfold(2, window, stride).unfold(3, window, stride)  # [b, c, oh, ow, window, window]
    best = windows.reshape(*windows.shape[:4], window * window).argmax(-1)  # the first of equal maxima
    oy = torch.arange(windows.shape[2]).view(1, 1, -1, 1) * stride
    ox = torch.arange(windows.shape[3]).view(1, 1, 1, -1) * stride
    return (oy + best // window) * width + ox + best % window


class Follow:
    """One forward's ReLU and max-pool decisions, taken from the workbench, with what they cost the reference."""

    def __init__(self, record, pool_inputs, window, stride):
        self.relus = [(name, record[name]) for name in RELUS]
        self.pools = [(name, None if p is None else pool_choices(p, window, stride)) for name, p in zip(POOLS, pool_inputs)]
        self.forward = {}
        self.followed = {}

    def note(self, name, differ, margins, scale):
        count = int(differ.sum())
        worst = float(margins[differ].max() / scale) if count else 0.0
        self.followed[name] = {'count': count, 'worst': worst}

    def relu(self, z):
        if not self.relus:
            raise SystemExit('AlexNet.forward used more ReLUs than the workbench recorded.')
        name, theirs = self.relus.pop(0)
        if theirs.shape != z.shape:
            raise SystemExit(f"{name}'s outputs are {list(z.shape)} here, {list(theirs.shape)} in the workbench's record.")
        mask = (theirs > 0).to(z.dtype)
        own = z.detach()
        scale = max(float(own.abs().max()), 1e-30)
        self.note(name, (own > 0) != (theirs > 0), own.abs(), scale)
        out = z * mask  # the gradient passes where the workbench's ReLU passed it
        self.forward[name] = float((out.detach() - theirs).abs().max() / max(float(out.detach().abs().max()), 1e-30))
        return out

    def pool(self, module, x):
        if not self.pools:
            raise SystemExit('AlexNet.forward used more max pools than the workbench recorded.')
        name, chosen = self.pools.pop(0)
        own_max, own_choice = F.max_pool2d(x.detach(), module.kernel_size, module.stride, return_indices=True)
        if chosen is None:  # the workbench sent no input for this pool: the reference's own choices
            chosen = own_choice
        if chosen.shape != own_max.shape:
            raise SystemExit(f"{name}'s outputs are {list(own_max.shape)} here, {list(chosen.shape)} in the workbench's record.")
        out = x.flatten(2).gather(2, chosen.flatten(2)).view(own_max.shape)
        scale = max(float(x.detach().abs().max()), 1e-30)
        self.note(name, chosen != own_choice, own_max - out.detach(), scale)
        return out

    def done(self):
        if self.relus or self.pools:
            raise SystemExit('AlexNet.forward used fewer ReLUs or pools than the workbench recorded.')


class FollowingPool(nn.Module):
    """Stands in for the model's max pool: the same windows, with the current Follow's choices."""

    def __init__(self, pool):
        super().__init__()
        self.kernel_size, self.stride = pool.kernel_size, pool.stride
        self.follow = None

    def forward(self, x):
        return self.follow.pool(self, x)


class FollowingFunctional:
    """torch.nn.functional, with relu taking the current Follow's decisions (AlexNet.forward calls F.relu)."""

    def __init__(self, pool):
        self.pool = pool

    def __getattr__(self, name):
        return getattr(F, name)

    def relu(self, z):
        return self.pool.follow.relu(z)


def run_case(folder, case):
    config = case['config']
    cfg = preset_config(config['preset'])
    towers = config['towers']
    model = AlexNet(config['classes'], cfg, towers=towers, lrn=config['lrn'], overlapping=config['overlappingPooling'],
                    dropout=config['dropout'])
    specs = case['parameters']
    layout = Layout(model, specs, towers)
    converted = layout.to_reference(read_named(os.path.join(folder, 'parameters.f32'), specs))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name not in converted:
                raise SystemExit(f"The workbench sent no values for the reference's '{name}'.")
            if converted[name].shape != p.shape:
                raise SystemExit(f"'{name}' from the workbench has shape {list(converted[name].shape)}, the reference's {list(p.shape)}: "
                                 f"the presets of the workbench and of bench/reference_train.py differ ('{config['preset']}').")
            p.copy_(converted[name])

    batch, crop = case['batch'], cfg['crop']
    x = read_f32(os.path.join(folder, 'input.f32'), batch * crop * crop * 3).reshape(batch, crop, crop, 3)
    x = x.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    y = torch.tensor(case['labels'], dtype=torch.long)
    masks = None
    if config['dropout']:
        widths = cfg['fc']
        both = read_f32(os.path.join(folder, 'masks.f32'), batch * (widths[0] + widths[1]))
        masks = (both[:batch * widths[0]].reshape(batch, widths[0]), both[batch * widths[0]:].reshape(batch, widths[1]))

    lr = case['learningRate']
    job = case.get('program') == 'job'
    if job:
        # The cluster job's own program (resources/cluster-job/train_ddp.py): its model, optimizer and training step.
        model = train_ddp.build_model(config)
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(converted[name])
        opt = train_ddp.build_optimizer(case['recipe'], model.parameters(), lr)
    elif case['optimizer'] == 'adam':
        # As train_one in reference_train.py: Adam with L2 weight decay 5e-4 added to the gradient.
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-4)
    elif case['optimizer'] == 'sgd':
        opt = PaperSgd(model.parameters(), lr)
    else:
        raise SystemExit(f"Optimizer '{case['optimizer']}' is not known; use adam or sgd.")

    pool = FollowingPool(model.pool)
    model.pool = pool
    functional = FollowingFunctional(pool)
    model.train()
    steps = []
    for step in range(max(case['steps'], 1)):
        record = read_named(os.path.join(folder, f'record-{step}.f32'), case['records'][step])
        conv = {name: towers_to_nchw([record[f'{name}/{t}'] for t in layout.tower_names]) for name in RELUS if name.startswith('conv')}
        fc = {name: record[name] for name in ('fc6', 'fc7')}
        inputs = [towers_to_nchw([record[f'{name}-input/{t}'] for t in layout.tower_names]) if f'{name}-input/a' in record else None
                  for name in ('pool1', 'pool2')] + [conv['conv5']]
        pool.follow = Follow({**conv, **fc}, inputs, model.pool.kernel_size, model.pool.stride)
        if job:
            if case['steps'] == 0:
                raise SystemExit("A case of the job's program takes at least one step (its step includes the update).")
            with mock.patch.object(reference_train, 'F', functional):
                loss, _ = train_ddp.training_step(model, opt, x, y, masks=masks)
            pool.follow.done()
        else:
            model.zero_grad(set_to_none=False)
            with mock.patch.object(reference_train, 'F', functional):
                logits = model(x, masks=masks)
            pool.follow.done()
            loss = F.cross_entropy(logits, y)
            loss.backward()
        steps.append({'loss': loss.item(), 'forward': pool.follow.forward, 'followed': pool.follow.followed})
        if step == 0:
            layout.write(os.path.join(folder, 'gradients.f32'), layout.from_reference({n: p.grad for n, p in model.named_parameters()}))
        if case['steps'] > 0 and not job:
            opt.step()
    if case['steps'] > 0:
        layout.write(os.path.join(folder, 'after.f32'), layout.from_reference({n: p.detach() for n, p in model.named_parameters()}))
    with open(os.path.join(folder, 'result.json'), 'w') as f:
        json.dump({'steps': steps, 'torch': torch.__version__}, f)


def main():
    if len(sys.argv) != 2:
        raise SystemExit('usage: step_equivalence.py FOLDER (with FOLDER/manifest.json)')
    root = sys.argv[1]
    torch.set_num_threads(1)
    with open(os.path.join(root, 'manifest.json')) as f:
        manifest = json.load(f)
    for case in manifest['cases']:
        run_case(os.path.join(root, case['folder']), case)


if __name__ == '__main__':
    main()
