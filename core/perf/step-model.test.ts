// The step model against figures that do not come from it: the paper's layer arithmetic by hand, the parameter count,
// a step's FLOPs as the issue measured them, and the stock profile it is calibrated on; then the planned kernels.
import { describe, expect, it } from 'vitest';
import { countParameters, parameterSpecs } from '../model/alexnet';
import { paperConfig } from '../model/config';
import { calibrateStock, H100, PLANNED, predict, PYTORCH_STEP_SECONDS, STOCK_PROFILE, stepKernels, summarise } from './step-model';

const config = paperConfig(1000);
const BATCH = 128;
const kernel = (fused: boolean, name: string) => stepKernels(config, BATCH, fused).find((k) => k.name === name)!;

describe('the kernels of a training step of the paper model', () => {
  it("have each convolution's FLOPs as the paper's shapes give them (2 x outputs x kernel area x input channels per group)", () => {
    const perImage = {
      conv1: 2 * 55 * 55 * 96 * 11 * 11 * 3,
      conv2: 2 * 27 * 27 * 256 * 5 * 5 * 48,
      conv3: 2 * 13 * 13 * 384 * 3 * 3 * 256,
      conv4: 2 * 13 * 13 * 384 * 3 * 3 * 192,
      conv5: 2 * 13 * 13 * 256 * 3 * 3 * 192,
    };
    for (const [layer, flops] of Object.entries(perImage)) {
      for (const part of ['forward', 'filter gradient']) expect(kernel(false, `${layer} ${part}`).flops, `${layer} ${part}`).toBe(flops * BATCH);
    }
    expect(kernel(false, 'fc6 forward').flops).toBe(2 * BATCH * 6 * 6 * 256 * 4096);
    // conv1's input is the image: no input gradient.
    expect(stepKernels(config, BATCH, false).some((k) => k.name === 'conv1 input gradient')).toBe(false);
  });

  it('sum to the 529 GFLOP of a step (within 1 %), and update the 60,965,224 parameters', () => {
    const flops = summarise(predict(stepKernels(config, BATCH, true), H100, PLANNED)).flops;
    expect(Math.abs(flops / 529e9 - 1)).toBeLessThan(0.01);
    expect(countParameters(parameterSpecs(config))).toBe(60_965_224);
    expect(kernel(true, 'optimizer update').bytes).toBe(60_965_224 * 4 * 7);
  });

  it("reproduce the stock profile they are calibrated on, and the stock step's measured ratio to PyTorch (0.021)", () => {
    const stock = predict(stepKernels(config, BATCH, false), H100, calibrateStock(config, BATCH, H100));
    const at = (name: string) => stock.find((k) => k.name === name)!.seconds;
    expect(at('conv1 filter gradient')).toBeCloseTo(STOCK_PROFILE.conv1FilterGradient, 6);
    expect(at('pool1 gradient')).toBeCloseTo(STOCK_PROFILE.pool1Gradient, 6);
    expect(stock.filter((k) => k.kind === 'lrn-gradient').reduce((a, k) => a + k.seconds, 0)).toBeCloseTo(STOCK_PROFILE.lrnGradient, 6);
    const step = summarise(stock).seconds;
    expect(step).toBeCloseTo(STOCK_PROFILE.step, 4);
    // 160 images/s against PyTorch's 7,609 (measured side by side): 0.021.
    expect(PYTORCH_STEP_SECONDS / step).toBeCloseTo(160 / 7609, 3);
    expect(stock.find((k) => k.name === 'conv1 filter gradient')!.bound).toBe('latency');
  });

  it('predict the planned kernels within 0.4 to 0.85 of PyTorch, with half the dispatches and about a third of the traffic', () => {
    const stock = summarise(predict(stepKernels(config, BATCH, false), H100, calibrateStock(config, BATCH, H100)));
    const planned = summarise(predict(stepKernels(config, BATCH, true), H100, PLANNED));
    const ratio = PYTORCH_STEP_SECONDS / planned.seconds;
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(0.85);
    // Split-K sums, argmax-then-gather pooling, the bias gradient's partial sums: two each; fc6 and fc7 as two tower
    // halves, joined after the forward and their input gradients summed; the update two passes over each of the 30
    // variables (a TensorFlow.js WebGPU program writes one output).
    expect(planned.dispatches).toBeLessThan(stock.dispatches / 2);
    expect(kernel(true, 'optimizer update').dispatches).toBe(2 * 30);
    expect(planned.bytes).toBeLessThan(stock.bytes * 0.36); // the split-K partials and the ReLU's mask read twice keep it above a third
    // Every planned convolution and matmul is compute-bound at its target efficiency.
    for (const k of planned.kernels.filter((x) => ['conv', 'conv-input-gradient', 'conv-filter-gradient', 'matmul'].includes(x.kind) && x.flops > 1e10)) expect(k.bound, k.name).toBe('compute');
  });
});
