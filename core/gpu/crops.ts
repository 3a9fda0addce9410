// Section 4.1's training inputs made on the GPU: the batch goes up as the cache's uint8 256x256 records (a quarter of
// the bytes of float crops), and one dispatch shrinks them to the model's image size (the box filter of presets
// smaller than the cache), takes each image's crop, reflects it, subtracts the mean image, adds the PCA colour shift
// and scales. The crops and shifts are drawn on the host by the same seeded generators as before (core/train/
// augment.ts), so a run stays reproducible and resumable, and equal to the host's own assembly of the batch.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram, webgpu_util as WebGpuUtil } from '@tensorflow/tfjs-backend-webgpu';
import type { CropDraw, InputTransform } from '../model/input';

/** The kernel's name, registered for the webgpu backend only. */
export const CROPS_KERNEL = 'AlexNetTrainingCrops';
/** Per image: top, left, flip (0 or 1), and the colour shift's three channels. */
const PARAMETERS = 6;

interface CropAttributes {
  /** The cache's side (256), the model's image side, the crop's side, and the input scale. */
  cacheSize: number;
  size: number;
  crop: number;
  scale: number;
}

let util: typeof WebGpuUtil;

function program(shape: number[], factor: number): WebGPUProgram {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(shape);
  return {
    outputShape: shape,
    // The shrink's factor is compiled in: its loops then unroll.
    shaderKey: `alexnet_training_crops_${factor}`,
    variableNames: ['images', 'parameters', 'mean'],
    uniforms: 'cacheSize : i32, imageSize : i32, cropSize : i32, scale : f32,',
    workgroupSize,
    size: true,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, shape, workgroupSize),
    getUserCode: () => `
      fn cacheByte(image : i32, y : i32, x : i32, ch : i32) -> f32 {
        let at = image * uniforms.cacheSize * uniforms.cacheSize * 3 + (y * uniforms.cacheSize + x) * 3 + ch;
        let word = images[at / 4];
        return f32((word >> u32((at % 4) * 8)) & 255);
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getOutputCoords();
          let b = coords[0];
          let y = coords[1];
          let x = coords[2];
          let ch = coords[3];
          let p = b * ${PARAMETERS};
          let top = i32(parameters[p]);
          let left = i32(parameters[p + 1]);
          let flip = parameters[p + 2] > 0.5;
          let column = select(x, uniforms.cropSize - 1 - x, flip);
          let sy = top + y;
          let sx = left + column;
          var sum = 0.0;
          for (var dy = 0; dy < ${factor}; dy++) {
            for (var dx = 0; dx < ${factor}; dx++) {
              sum += cacheByte(b, sy * ${factor} + dy, sx * ${factor} + dx, ch);
            }
          }
          let pixel = sum * ${(1 / (factor * factor)).toFixed(10)};
          let m = mean[(sy * uniforms.imageSize + sx) * 3 + ch];
          setOutputAtIndex(index, (pixel - m + parameters[p + 3 + ch]) * uniforms.scale);
        }
      }`,
  };
}

function cropsKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { images, parameters, mean } = inputs as { images: tf.TensorInfo; parameters: tf.TensorInfo; mean: tf.TensorInfo };
  const { cacheSize, size, crop, scale } = attrs as unknown as CropAttributes;
  const batch = parameters.shape[0]!;
  const uniforms = [
    { type: 'int32', data: [cacheSize] },
    { type: 'int32', data: [size] },
    { type: 'int32', data: [crop] },
    { type: 'float32', data: [scale] },
  ];
  return (backend as WebGPUBackend).runWebGPUProgram(program([batch, crop, crop, 3], cacheSize / size), [images, parameters, mean], 'float32', uniforms);
}

export async function registerCropKernel(): Promise<void> {
  ({ webgpu_util: util } = await import('@tensorflow/tfjs-backend-webgpu'));
  if (tf.getKernel(CROPS_KERNEL, 'webgpu')) tf.unregisterKernel(CROPS_KERNEL, 'webgpu');
  tf.registerKernel({ kernelName: CROPS_KERNEL, backendName: 'webgpu', kernelFunc: cropsKernel as unknown as tf.KernelFunc });
}

/**
 * The batch's inputs [batch, crop, crop, 3] on the GPU from cache records (each cacheSize x cacheSize x 3 uint8) and
 * their draws; `mean` is the mean image at the model's size, kept on the GPU by the caller.
 */
export function trainingCrops(records: readonly Uint8Array[], draws: readonly CropDraw[], transform: InputTransform, mean: tf.Tensor, cacheSize: number): tf.Tensor4D {
  const recordBytes = cacheSize * cacheSize * 3;
  if (recordBytes % 4 !== 0) throw new Error(`A ${cacheSize}x${cacheSize} RGB record is not a whole number of 32-bit words.`);
  const packed = new Uint8Array(records.length * recordBytes);
  records.forEach((r, i) => packed.set(r, i * recordBytes));
  const parameters = new Float32Array(draws.length * PARAMETERS);
  draws.forEach(({ crop, shift }, i) => parameters.set([crop.top, crop.left, crop.flip ? 1 : 0, shift[0], shift[1], shift[2]], i * PARAMETERS));
  return tf.tidy(() => {
    const images = tf.tensor1d(new Int32Array(packed.buffer), 'int32');
    const params = tf.tensor2d(parameters, [draws.length, PARAMETERS]);
    return tf.engine().runKernel(CROPS_KERNEL, { images, parameters: params, mean }, { cacheSize, size: transform.size, crop: transform.crop, scale: transform.scale } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  });
}
