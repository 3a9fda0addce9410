// npm run bench:model: the speed model of one training step of the paper's model at batch 128 on an H100
// (core/perf/step-model.ts), kernel by kernel, the stock TensorFlow.js WebGPU kernels and the planned ones side by
// side, against PyTorch + cuDNN's measured step. Predictions, not measurements: see docs/PERFORMANCE.md.
import { paperConfig } from '../core/model/config';
import { calibrateStock, H100, PLANNED, predict, PYTORCH_STEP_SECONDS, stepKernels, summarise, type StepPrediction } from '../core/perf/step-model';

const config = paperConfig(1000);
const batch = 128;
const calibrated = calibrateStock(config, batch, H100);
const stock = summarise(predict(stepKernels(config, batch, false), H100, calibrated));
const planned = summarise(predict(stepKernels(config, batch, true), H100, PLANNED));
/**
 * Host synchronisations per step: stock reads the loss and the logits back one after the other, the device idle while
 * the host waits; the engine's trainer reads both in one transfer, after it has queued the next step (core/train).
 */
const SYNCS = { stock: '2 blocking', planned: '1 overlapped' };

const ms = (s: number) => (s * 1e3).toFixed(s < 1e-3 ? 3 : 2).padStart(9);
const g = (x: number) => (x / 1e9).toFixed(2).padStart(8);
function table(title: string, p: StepPrediction, syncs: string): void {
  console.log(`\n${title}`);
  console.log(`${'kernel'.padEnd(52)} ${'GFLOP'.padStart(8)} ${'GB'.padStart(8)} ${'disp.'.padStart(5)} ${'ms'.padStart(9)}  bound`);
  for (const k of p.kernels) console.log(`${k.name.padEnd(52)} ${g(k.flops)} ${g(k.bytes)} ${String(k.dispatches).padStart(5)} ${ms(k.seconds)}  ${k.bound.padEnd(8)}${k.built === undefined ? '' : k.built ? ' built' : ' to build'}`);
  console.log(`${'step'.padEnd(52)} ${g(p.flops)} ${g(p.bytes)} ${String(p.dispatches).padStart(5)} ${ms(p.seconds)}  (host reads per step: ${syncs})`);
}
console.log(`One training step of the paper's model (60,965,224 parameters with 1000 classes), batch ${batch}, fp32, on ${H100.name}; ${H100.dispatchSeconds * 1e6} us per dispatch.`);
table('Stock tfjs-backend-webgpu kernels, calibrated on the measured stock profile (conv1 filter gradient 168 ms, LRN gradient 283 ms, pool1 gradient 34 ms, step 800 ms)', stock, SYNCS.stock);
table("The engine's kernels (core/gpu, 'built') and those still to build: design targets, 30 % of fp32 peak for GEMMs, 70 % of bandwidth for one-pass kernels", planned, SYNCS.planned);
console.log(`\nCalibrated stock efficiencies: filter gradient ${(calibrated.serialIteration * 1e9).toFixed(0)} ns per serial iteration; LRN gradient ${(calibrated.memory['lrn-gradient'] * 100).toFixed(1)} % and pool gradient ${(calibrated.memory['pool-gradient'] * 100).toFixed(2)} % of the bandwidth; convolutions and matmuls ${(calibrated.compute.conv * 100).toFixed(2)} % of fp32 peak.`);
console.log(`\nPyTorch + cuDNN measured: ${ms(PYTORCH_STEP_SECONDS)} ms per step.`);
console.log(`Predicted ratio to PyTorch (higher is faster): stock ${(PYTORCH_STEP_SECONDS / stock.seconds).toFixed(3)}, planned ${(PYTORCH_STEP_SECONDS / planned.seconds).toFixed(3)}.`);
