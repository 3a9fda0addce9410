// Exports a trained run for use elsewhere: an ONNX model (for onnxruntime and every framework that reads ONNX) and
// TensorFlow.js weights, each with the labels and the exact preprocessing that the workbench applies to an image.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomically } from '../dataset/cache';
import { CACHE_IMAGE_SIZE } from '../dataset/types';
import { centreCropOffset } from '../evaluate/ten-crop';
import { parameterSpecs } from '../model/alexnet';
import type { ModelConfig } from '../model/config';
import type { InputTransform } from '../model/input';
import { codeVersion } from '../version';
import { alexnetGraph } from './onnx-graph';
import { encodeOnnx } from './onnx-file';

/** What an export needs: plain data, so that a host can export from a checkpoint file without a compute side. */
export interface ExportInput {
  config: ModelConfig;
  weights: Map<string, Float32Array>;
  labels: string[];
  /** The inputs the model was trained on: image size, crop, mean image at that size, scale. */
  transform: InputTransform;
  /** The checkpoint file the weights come from. */
  checkpoint: string;
  run: { id: string; name: string };
}

export interface ExportedFiles {
  onnx: string;
  tfjsModel: string;
  tfjsWeights: string;
}

/**
 * How to turn an image file into the model's input, in words: what `alexnet import` and look-up do. The ONNX graph
 * takes NCHW and subtracts the mean itself; the TensorFlow.js weights go with the engine's NHWC model, which does not.
 */
export function preprocessingText(transform: InputTransform, format: 'onnx' | 'tfjs'): string {
  const { size, crop, scale } = transform;
  const factor = CACHE_IMAGE_SIZE / size;
  const scaled = scale === 1 ? '1' : `1/${Math.round(1 / scale)}`;
  return [
    'Decode the image to 8-bit sRGB RGB (EXIF orientation applied, alpha flattened over white).',
    `Resize it so that its shorter side is ${CACHE_IMAGE_SIZE} pixels (Lanczos 3) and keep the centre ${CACHE_IMAGE_SIZE}x${CACHE_IMAGE_SIZE} (section 2 of the paper).`,
    ...(factor > 1 ? [`Shrink that to ${size}x${size} by averaging each ${factor}x${factor} block of pixels.`] : []),
    `Take the centre ${crop}x${crop} crop (offset ${centreCropOffset(size, crop)} from the top and left).`,
    format === 'onnx'
      ? `Feed it as float32 values 0..255, laid out [batch, 3 (R, G, B), ${crop}, ${crop}] (input 'image'); the graph subtracts the training set's mean image (its centre crop) and multiplies by ${scaled}. Outputs: 'probabilities' (softmax), 'logits', and 'fc7' (the last hidden layer, for nearest neighbours).`
      : `Subtract the same crop of 'preprocessing/mean_image' (0..255, [${size}, ${size}, 3]), multiply by ${scaled}, and feed it as float32 [batch, ${crop}, ${crop}, 3] (NHWC) to the workbench's AlexNet with the 'config' here.`,
  ].join(' ');
}

/** The centre crop of the mean image at the model's size, HWC. */
function meanCentreCrop(transform: InputTransform): Float32Array {
  const { size, crop, mean } = transform;
  const offset = centreCropOffset(size, crop);
  const out = new Float32Array(crop * crop * 3);
  for (let y = 0; y < crop; y++) out.set(mean.subarray(((offset + y) * size + offset) * 3, ((offset + y) * size + offset + crop) * 3), y * crop * 3);
  return out;
}

/** Writes `<out>/model.onnx` and `<out>/tfjs/{model.json, weights.bin}`; returns their paths. */
export function exportModel(input: ExportInput, out: string): ExportedFiles {
  const { config, weights, labels, transform, run } = input;
  const about = {
    run: run.id,
    name: run.name,
    checkpoint: path.basename(input.checkpoint),
    preset: config.preset,
    ...(config.preset === 'quick' ? { note: "The quick preset: NOT the paper's model (a quarter of the width, smaller input)." } : {}),
  };
  fs.mkdirSync(path.join(out, 'tfjs'), { recursive: true });

  const graph = alexnetGraph(config, weights, meanCentreCrop(transform), transform.scale);
  const onnxFile = path.join(out, 'model.onnx');
  writeFileAtomically(
    onnxFile,
    encodeOnnx(
      graph,
      {
        'alexnet-workbench.labels': JSON.stringify(labels),
        'alexnet-workbench.preprocessing': preprocessingText(transform, 'onnx'),
        'alexnet-workbench.config': JSON.stringify(config),
        'alexnet-workbench.run': JSON.stringify(about),
      },
      { name: 'AlexNet Workbench', version: codeVersion() },
      `alexnet_${config.preset}`,
    ),
  );

  // TensorFlow.js: a weights manifest (tf.io.decodeWeights reads it) with the mean image, for the engine's own model.
  const entries: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const tensors: Float32Array[] = [];
  for (const spec of parameterSpecs(config)) {
    entries.push({ name: spec.name, shape: spec.shape, dtype: 'float32' });
    const values = weights.get(spec.name);
    if (!values) throw new Error(`The weights have no '${spec.name}'.`);
    tensors.push(values);
  }
  entries.push({ name: 'preprocessing/mean_image', shape: [config.imageSize, config.imageSize, 3], dtype: 'float32' });
  tensors.push(transform.mean);
  const bytes = new Uint8Array(tensors.reduce((n, t) => n + t.byteLength, 0));
  let at = 0;
  for (const t of tensors) {
    bytes.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    at += t.byteLength;
  }
  const weightsFile = path.join(out, 'tfjs', 'weights.bin');
  writeFileAtomically(weightsFile, bytes);
  const modelFile = path.join(out, 'tfjs', 'model.json');
  const manifest: tf.io.WeightsManifestConfig = [{ paths: ['weights.bin'], weights: entries }];
  writeFileAtomically(
    modelFile,
    JSON.stringify(
      {
        format: 'alexnet-workbench-weights',
        generatedBy: `AlexNet Workbench ${codeVersion()}`,
        weightsManifest: manifest,
        userDefinedMetadata: { labels, config, inputScale: transform.scale, preprocessing: preprocessingText(transform, 'tfjs'), ...about },
      },
      null,
      2,
    ),
  );
  return { onnx: onnxFile, tfjsModel: modelFile, tfjsWeights: weightsFile };
}

