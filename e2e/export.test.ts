// The exported model, run by others' code: onnxruntime-node runs the ONNX file on real test photos and its top-5,
// probabilities and fc7 features match the workbench's own; the TensorFlow.js weights rebuild the same network.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../core/backend/backend';
import { importDataset } from '../core/dataset/import';
import { evaluationCrops, predictImages } from '../core/evaluate/evaluate';
import { topK } from '../core/evaluate/metrics';
import { centreCropOffset } from '../core/evaluate/ten-crop';
import { exportModel, type ExportedFiles } from '../core/export/export';
import { AlexNet } from '../core/model/alexnet';
import { RunLog } from '../core/runlog/run-log';
import { loadRun, type LoadedRun } from '../core/workbench/run-files';
import { startTraining } from '../core/service/local-training';
import { openWorkspace } from '../core/workspace';
import { smallDataset, tempHome } from './fixtures';
import { recordDataset } from '../core/workbench/record-dataset';

let loaded: LoadedRun;
let files: ExportedFiles;
/** The test photos at the model's size (the engine's own preprocessing up to the crop). */
let images: ArrayLike<number>[];

beforeAll(async () => {
  const backend = await selectBackend('wasm');
  const workspace = openWorkspace(tempHome());
  const log = RunLog.open(workspace.database);
  const dataset = await importDataset(smallDataset(6, 4, 2), workspace.datasets);
  recordDataset(log, dataset);
  const session = startTraining(workspace, log, backend, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 2, batchSize: 8 }, seed: 4 });
  expect((await session.done).outcome).toBe('completed');
  loaded = loadRun(log, session.runId);
  const input = { config: loaded.model.config, weights: await loaded.model.values(), labels: loaded.dataset.labels, transform: loaded.transform, checkpoint: loaded.checkpoint, run: { id: session.runId, name: 'export test' } };
  files = exportModel(input, path.join(workspace.runs, session.runId, 'export'));
  images = loaded.dataset.entries('test').map((e) => loaded.source.image(e.record));
});

/** The centre crops as the ONNX graph takes them: raw 0..255, [batch, 3, crop, crop]. */
function onnxInput(): ort.Tensor {
  const { size, crop } = loaded.transform;
  const offset = centreCropOffset(size, crop);
  const data = new Float32Array(images.length * 3 * crop * crop);
  images.forEach((image, n) => {
    for (let c = 0; c < 3; c++) for (let y = 0; y < crop; y++) for (let x = 0; x < crop; x++) data[((n * 3 + c) * crop + y) * crop + x] = image[((offset + y) * size + offset + x) * 3 + c]!;
  });
  return new ort.Tensor('float32', data, [images.length, 3, crop, crop]);
}

describe('the ONNX export', () => {
  it("gives the workbench's own probabilities, top-5 and fc7 features under onnxruntime", async () => {
    const session = await ort.InferenceSession.create(files.onnx);
    const result = await session.run({ image: onnxInput() });
    const classes = loaded.model.config.classes;
    const engineFeatures: Float32Array[] = [];
    const engine = await predictImages(loaded.model, images, loaded.transform, evaluationCrops('centre', loaded.transform.size, loaded.transform.crop), 16, (_, f) => engineFeatures.push(f));
    const onnxProbabilities = result.probabilities!.data as Float32Array;
    expect(result.probabilities!.dims).toEqual([images.length, classes]);
    let worst = 0;
    for (let i = 0; i < engine.length; i++) worst = Math.max(worst, Math.abs(onnxProbabilities[i]! - engine[i]!));
    expect(worst).toBeLessThan(1e-4); // float32 with other summation orders
    expect(topK(onnxProbabilities, classes, 5).map((r) => r.map((p) => p.label))).toEqual(topK(engine, classes, 5).map((r) => r.map((p) => p.label)));
    const features = result.fc7!.data as Float32Array;
    const expected = Float32Array.from(engineFeatures.flatMap((f) => Array.from(f)));
    const scale = Math.max(...expected.map(Math.abs));
    let worstFeature = 0;
    for (let i = 0; i < expected.length; i++) worstFeature = Math.max(worstFeature, Math.abs(features[i]! - expected[i]!));
    expect(worstFeature / scale).toBeLessThan(1e-4);
  });

  it('says in its metadata what the labels are and how to prepare an image', async () => {
    const bytes = fs.readFileSync(files.onnx);
    const text = bytes.toString('latin1');
    expect(text).toContain('alexnet-workbench.preprocessing');
    expect(text).toContain('shorter side is 256 pixels');
    expect(text).toContain('centre 115x115 crop');
    expect(text).toContain(JSON.stringify(loaded.dataset.labels));
  });
});

describe('the TensorFlow.js export', () => {
  it('rebuilds the same network from its weights manifest, with the mean image beside it', async () => {
    const model = JSON.parse(fs.readFileSync(files.tfjsModel, 'utf8')) as { weightsManifest: tf.io.WeightsManifestConfig; userDefinedMetadata: { config: AlexNet['config']; labels: string[] } };
    const buffer = fs.readFileSync(files.tfjsWeights);
    const tensors = tf.io.decodeWeights(new Uint8Array(buffer).buffer, model.weightsManifest[0]!.weights);
    const values = new Map(Object.entries(tensors).map(([name, t]) => [name, t.dataSync() as Float32Array]));
    expect(Array.from(values.get('preprocessing/mean_image')!)).toEqual(Array.from(loaded.transform.mean));
    const rebuilt = new AlexNet(model.userDefinedMetadata.config, values);
    const crops = evaluationCrops('centre', loaded.transform.size, loaded.transform.crop);
    const ours = await predictImages(loaded.model, images, loaded.transform, crops, 16);
    const theirs = await predictImages(rebuilt, images, loaded.transform, crops, 16);
    expect(Array.from(theirs)).toEqual(Array.from(ours));
    expect(model.userDefinedMetadata.labels).toEqual(loaded.dataset.labels);
    rebuilt.dispose();
    tf.dispose(Object.values(tensors));
  });
});
