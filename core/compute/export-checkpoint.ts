// Exports a checkpoint's model (ONNX and TensorFlow.js weights) from its file: no model is built and no backend is
// started, and no run log is needed, so the compute side runs it beside a training run.
import { openDataset } from '../dataset/dataset';
import { exportModel, type ExportedFiles } from '../export/export';
import { readCheckpoint } from '../train/checkpoint';
import { ImageSource } from '../dataset/image-source';

/** Writes the export of a checkpoint into `out`; needs no run log (the compute side runs it, off the host's thread). */
export function exportCheckpoint(checkpoint: string, datasetDir: string, out: string, run: { id: string; name: string }): ExportedFiles & { folder: string } {
  const contents = readCheckpoint(checkpoint);
  const dataset = openDataset(datasetDir);
  try {
    const config = contents.config;
    const mean = new ImageSource(dataset, config.imageSize).mean();
    const transform = { size: config.imageSize, crop: config.cropSize, mean, scale: contents.recipe.inputScale };
    return { ...exportModel({ config, weights: contents.weights, labels: dataset.labels, transform, checkpoint, run }, out), folder: out };
  } finally {
    dataset.close();
  }
}
