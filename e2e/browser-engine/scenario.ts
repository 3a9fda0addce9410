// A few training steps and a feature extraction of the quick model on fixed, seeded inputs: run by the Node test on
// the CPU backend and by a page on Chromium's WebGPU, with the engine's own code in both, so they can be compared.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendRequest } from '../../core/backend/backend';
import { evaluationCrops, predictImages } from '../../core/evaluate/evaluate';
import { AlexNet } from '../../core/model/alexnet';
import { quickConfig } from '../../core/model/config';
import { Rng } from '../../core/random/rng';
import { createOptimizer } from '../../core/train/optimizer';
import { recipe } from '../../core/train/recipe';
import { trainStep } from '../../core/train/step';

export const STEPS = 3;
export const BATCH = 4;
export const CLASSES = 3;

export interface ScenarioResult {
  backend: string;
  device: string;
  /** The loss of each training step, before its update. */
  losses: number[];
  /** fc7 features [2, 256] of two images after the steps (centre crop, no dropout). */
  features: number[];
  /** conv1 tower a's kernel after the steps. */
  conv1: number[];
  /** Tensors alive after each step (the optimizer's slots appear at the first; then nothing may grow). */
  tensors: number[];
}

export async function runScenario(backend: BackendRequest): Promise<ScenarioResult> {
  const info = await selectBackend(backend);
  const config = quickConfig(CLASSES);
  const settings = recipe('small-data', 'quick');
  const model = AlexNet.create(config, settings.initialisation, 7);
  const optimizer = createOptimizer(settings.optimizer, model.variables());
  const rng = new Rng(7, 'scenario');
  const per = config.cropSize * config.cropSize * 3;
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const input = new Float32Array(BATCH * per);
    for (let i = 0; i < input.length; i++) input[i] = rng.normal(0, 0.5);
    const labels = Int32Array.from({ length: BATCH }, (_, i) => (i + step) % CLASSES);
    const masks = model.dropoutMasks(BATCH, new Rng(7, 'dropout', step));
    const { loss } = await trainStep(model, optimizer, { input, labels, masks }, settings.learningRate);
    losses.push(loss);
    tensors.push(tf.memory().numTensors);
  }
  const images = [0, 1].map(() => Float32Array.from({ length: config.imageSize * config.imageSize * 3 }, () => Math.floor(rng.uniform() * 256)));
  const mean = new Float32Array(config.imageSize * config.imageSize * 3).fill(120);
  const transform = { size: config.imageSize, crop: config.cropSize, mean, scale: settings.inputScale };
  const features: number[] = [];
  await predictImages(model, images, transform, evaluationCrops('centre', config.imageSize, config.cropSize), 2, (_, f) => features.push(...f));
  const conv1 = Array.from((await model.parameter('conv1/a/kernel').data()) as Float32Array);
  tensors.push(tf.memory().numTensors);
  optimizer.dispose();
  model.dispose();
  return { backend: info.name, device: info.device, losses, features, conv1, tensors };
}
