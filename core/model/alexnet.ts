// The two-tower AlexNet of section 3 as plain TensorFlow.js ops over named parameters.
//
// Tower connectivity (section 3.2, Figure 2): conv2, conv4 and conv5 see only their own tower's previous layer;
// conv3 and the fully connected layers see both towers. With one tower the same code runs with a single tower.
import * as tf from '@tensorflow/tfjs-core';
import { DROPOUT_RATE, LRN, towerWidths, validateConfig, type ModelConfig } from './config';
import { Rng } from '../random/rng';
import { convBiasRelu } from './conv-gradient';
import { dense } from './dense';
import { localResponseNorm } from './lrn';
import { maxPool } from './pool';
import { joinPieces, parameterPieces, pieceOf, type ParameterPiece } from './pieces';

/** How a parameter was created, and the shape it has (filters are HWIO, fc weights [in, out]). */
export interface ParameterSpec {
  name: string;
  shape: number[];
  /** Inputs feeding one output: the fan-in used by Kaiming initialisation. */
  fanIn: number;
  /** The paper's bias of 1 (section 5: conv2, conv4, conv5 and the hidden fc layers), else 0. */
  paperBiasOne: boolean;
  kind: 'weight' | 'bias';
}

/**
 * 'paper': weights N(0, 0.01), biases 1 or 0 (section 5). 'kaiming-uniform': PyTorch's default layer initialisation,
 * weights and biases U(+-1/sqrt(fanIn)). 'he-normal': weights N(0, sqrt(2 / fanIn)) (He et al. 2015, which keeps the
 * activations' scale through ReLUs), biases 0.
 */
export type Initialisation = 'paper' | 'kaiming-uniform' | 'he-normal';

const TOWER_NAMES = ['a', 'b'];

/** The slot kinds ('m', 'v', 'momentum') of optimizer slots keyed '<name>#<slot>'. */
function slotKinds(slots: Map<string, Float32Array>): Set<string> {
  return new Set([...slots.keys()].map((key) => key.slice(key.lastIndexOf('#') + 1)));
}

/** Every parameter of the model, in a fixed order. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  validateConfig(config);
  const widths = towerWidths(config);
  const towers = config.towers;
  const specs: ParameterSpec[] = [];
  const conv = (layer: number, k: number, inChannels: number, out: number, biasOne: boolean) => {
    for (let t = 0; t < towers; t++) {
      const prefix = `conv${layer}/${TOWER_NAMES[t]}`;
      specs.push({ name: `${prefix}/kernel`, shape: [k, k, inChannels, out], fanIn: k * k * inChannels, paperBiasOne: false, kind: 'weight' });
      specs.push({ name: `${prefix}/bias`, shape: [out], fanIn: k * k * inChannels, paperBiasOne: biasOne, kind: 'bias' });
    }
  };
  const [w1, w2, w3, w4, w5] = widths as [number, number, number, number, number];
  conv(1, 11, 3, w1, false);
  conv(2, 5, w1, w2, true); // own tower only
  conv(3, 3, w2 * towers, w3, false); // sees both towers
  conv(4, 3, w3, w4, true); // own tower only
  conv(5, 3, w4, w5, true); // own tower only
  const pool5 = poolOutputSide(config);
  const flat = pool5 * pool5 * w5 * towers;
  const fc = (name: string, inputs: number, outputs: number, biasOne: boolean) => {
    specs.push({ name: `${name}/kernel`, shape: [inputs, outputs], fanIn: inputs, paperBiasOne: false, kind: 'weight' });
    specs.push({ name: `${name}/bias`, shape: [outputs], fanIn: inputs, paperBiasOne: biasOne, kind: 'bias' });
  };
  fc('fc6', flat, config.fcWidths[0], true);
  fc('fc7', config.fcWidths[0], config.fcWidths[1], true);
  fc('fc8', config.fcWidths[1], config.classes, false);
  return specs;
}

function poolOutputSide(config: ModelConfig): number {
  const [window, stride] = config.overlappingPooling ? [3, 2] : [2, 2];
  const out = (size: number) => Math.floor((size - window) / stride) + 1;
  const conv1 = Math.floor((config.cropSize - 11) / 4) + 1;
  return out(out(out(conv1)));
}

export function countParameters(specs: ParameterSpec[]): number {
  return specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** Initial values on the host, from a seeded generator, so every backend starts from the same numbers. */
export function initialValues(spec: ParameterSpec, scheme: Initialisation, rng: Rng): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (scheme === 'paper') {
    if (spec.kind === 'bias') values.fill(spec.paperBiasOne ? 1 : 0);
    else for (let i = 0; i < size; i++) values[i] = rng.normal(0, 0.01);
  } else if (scheme === 'he-normal') {
    if (spec.kind === 'weight') {
      const std = Math.sqrt(2 / spec.fanIn);
      for (let i = 0; i < size; i++) values[i] = rng.normal(0, std);
    }
  } else {
    const bound = 1 / Math.sqrt(spec.fanIn);
    for (let i = 0; i < size; i++) values[i] = (rng.uniform() * 2 - 1) * bound;
  }
  return values;
}

/**
 * Every parameter's initial values in spec order, all drawn from one stream keyed by the seed and 'initialisation':
 * what AlexNet.create starts from. Lazy, so a caller that needs only the first layers (conv1's kernels, for Figure 3's
 * baseline at step 0) draws only those, and draws them exactly as the whole model does.
 */
export function* initialParameters(config: ModelConfig, scheme: Initialisation, seed: number): Generator<[ParameterSpec, Float32Array]> {
  const rng = new Rng(seed, 'initialisation');
  for (const spec of parameterSpecs(config)) yield [spec, initialValues(spec, scheme, rng)];
}

/** Per-layer outputs, reported when a caller asks to look inside (shapes, features, dead units). */
export type Tap = (name: string, tensor: tf.Tensor) => void;

export interface ForwardOptions {
  /** Training mode applies dropout; it needs masks (0 or 1/(1-p)), one per fc6 and fc7, each [batch, width]. */
  dropoutMasks?: [tf.Tensor2D, tf.Tensor2D] | undefined;
  tap?: Tap | undefined;
}

export class AlexNet {
  readonly specs: ParameterSpec[];
  /** The variables as the device holds them: fc6 and fc7 of two towers in tower halves (pieces.ts). */
  readonly pieces: ParameterPiece[];
  private readonly params: Map<string, tf.Variable>;

  constructor(
    readonly config: ModelConfig,
    values: Map<string, Float32Array>,
  ) {
    this.specs = parameterSpecs(config);
    this.pieces = parameterPieces(config, this.specs);
    this.params = new Map();
    for (const spec of this.specs) {
      const data = values.get(spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (!data || data.length !== size) {
        this.dispose();
        throw new Error(`Parameter '${spec.name}' needs ${size} values of shape [${spec.shape}]; got ${data?.length ?? 'none'}.`);
      }
    }
    for (const piece of this.pieces) {
      // The variable keeps the values; the tensor it was made from would otherwise stay alive after dispose().
      const initial = tf.tensor(pieceOf(piece, values.get(piece.spec.name)!), piece.shape, 'float32');
      this.params.set(piece.name, tf.variable(initial, true));
      initial.dispose();
    }
  }

  /** A freshly initialised model: the same seed gives the same weights on every backend. */
  static create(config: ModelConfig, scheme: Initialisation, seed: number): AlexNet {
    const values = new Map<string, Float32Array>();
    for (const [spec, initial] of initialParameters(config, scheme, seed)) values.set(spec.name, initial);
    return new AlexNet(config, values);
  }

  parameterCount(): number {
    return countParameters(this.specs);
  }

  /** The trainable variables, one per piece, in the order of `pieces`. */
  variables(): tf.Variable[] {
    return this.pieces.map((piece) => this.params.get(piece.name)!);
  }

  /** A parameter held whole on the device (every conv parameter, fc8; fc6 and fc7 too with one tower). */
  parameter(name: string): tf.Variable {
    const variable = this.params.get(name);
    if (!variable) throw new Error(`The model has no parameter '${name}' held whole${this.pieces.some((p) => p.spec.name === name) ? ' (it is held in tower halves; read it with values())' : ''}.`);
    return variable;
  }

  /** Reads every parameter back to the host, whole (for checkpoints and export). */
  async values(): Promise<Map<string, Float32Array>> {
    const read = new Map<string, Float32Array>();
    for (const piece of this.pieces) read.set(piece.name, (await this.params.get(piece.name)!.data()) as Float32Array);
    return joinPieces(this.pieces, (piece) => read.get(piece.name)!);
  }

  /** Replaces every parameter's value (for resuming from a checkpoint). */
  assign(values: Map<string, Float32Array>): void {
    for (const spec of this.specs) if (!values.get(spec.name)) throw new Error(`Checkpoint has no values for parameter '${spec.name}'.`);
    for (const piece of this.pieces) {
      tf.tidy(() => this.params.get(piece.name)!.assign(tf.tensor(pieceOf(piece, values.get(piece.spec.name)!), piece.shape, 'float32')));
    }
  }

  /**
   * Optimizer slots keyed '<piece>#<slot>' (as the optimizer names them after `pieces`) as whole parameters'
   * '<name>#<slot>', for the parameters whose pieces all have that slot.
   */
  wholeSlots(slots: Map<string, Float32Array>): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const which of slotKinds(slots)) {
      const complete = this.pieces.filter((piece) => this.pieces.every((other) => other.spec !== piece.spec || slots.has(`${other.name}#${which}`)));
      for (const [name, data] of joinPieces(complete, (piece) => slots.get(`${piece.name}#${which}`)!)) out.set(`${name}#${which}`, data);
    }
    return out;
  }

  /** Whole parameters' optimizer slots ('<name>#<slot>', as checkpoints keep them) as the pieces' ('<piece>#<slot>'). */
  pieceSlots(slots: Map<string, Float32Array>): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const which of slotKinds(slots)) {
      for (const piece of this.pieces) {
        const whole = slots.get(`${piece.spec.name}#${which}`);
        if (whole) out.set(`${piece.name}#${which}`, pieceOf(piece, whole));
      }
    }
    return out;
  }

  /**
   * images: [batch, crop, crop, 3], already mean-subtracted and scaled. Returns logits [batch, classes].
   * Call inside tf.tidy (or tf.variableGrads); every intermediate tensor is left to the caller's scope.
   */
  forward(images: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    const config = this.config;
    const tap = options.tap;
    const towers = Array.from({ length: config.towers }, (_, t) => TOWER_NAMES[t]!);
    const p = (name: string) => this.params.get(name)!;
    const [poolWindow, poolStride] = config.overlappingPooling ? [3, 2] : [2, 2];
    const pool = (x: tf.Tensor4D) => maxPool(x, poolWindow, poolStride);
    const convRelu = (x: tf.Tensor4D, layer: string, stride: number, pad: 'valid' | 'same', inputGradient = true) =>
      convBiasRelu(x, p(`${layer}/kernel`) as tf.Tensor4D, p(`${layer}/bias`), stride, pad, inputGradient);
    // Section 3.3: b = a / (k + alpha * sum of a^2 over n adjacent maps)^beta, within each tower's maps as on each GPU.
    const lrn = (x: tf.Tensor4D) =>
      config.lrn ? localResponseNorm(x, LRN.k, LRN.n, LRN.alpha, LRN.beta) : x;
    const report = (name: string, xs: tf.Tensor[]) => {
      if (tap) for (const x of xs) tap(name, x);
    };

    // conv1: [batch, 55, 55, 48] per tower (paper), 11x11 stride 4, no padding. Both towers see the same image, so
    // their kernels go into one convolution (the same sums per output, one pass over the image), and the towers stay
    // side by side, [batch, 55, 55, 96], until pool1: LRN normalises within each tower as on each GPU (the towers'
    // channels, reshaped into pixels of their own, never meet in a window) and pooling is per channel anyway.
    const kernel1 = towers.length === 1 ? p('conv1/a/kernel') : tf.concat(towers.map((t) => p(`conv1/${t}/kernel`)), 3);
    const bias1 = towers.length === 1 ? p('conv1/a/bias') : tf.concat(towers.map((t) => p(`conv1/${t}/bias`)));
    const c1 = convBiasRelu(images, kernel1 as tf.Tensor4D, bias1, 4, 'valid', false); // the image needs no gradient
    const perTower = (x: tf.Tensor4D) => (towers.length === 1 ? [x] : (tf.split(x, towers.length, 3) as tf.Tensor4D[]));
    if (tap) report('conv1', perTower(c1));
    const [b1, h1, w1, channels1] = c1.shape;
    const n1 = config.lrn ? tf.reshape(lrn(tf.reshape(c1, [b1, h1, w1 * towers.length, channels1 / towers.length]) as tf.Tensor4D), c1.shape) : c1;
    const p1 = perTower(pool(n1 as tf.Tensor4D)); // [batch, 27, 27, 48] per tower
    report('pool1', p1);
    const c2 = towers.map((t, i) => convRelu(p1[i]!, `conv2/${t}`, 1, 'same')); // [batch, 27, 27, 128]
    report('conv2', c2);
    const p2 = c2.map((x) => pool(lrn(x))); // [batch, 13, 13, 128]
    report('pool2', p2);
    const both = p2.length === 1 ? p2[0]! : tf.concat(p2, 3); // [batch, 13, 13, 256]: conv3 sees both towers
    const c3 = towers.map((t) => convRelu(both, `conv3/${t}`, 1, 'same')); // [batch, 13, 13, 192]
    report('conv3', c3);
    const c4 = towers.map((t, i) => convRelu(c3[i]!, `conv4/${t}`, 1, 'same')); // [batch, 13, 13, 192]
    report('conv4', c4);
    const c5 = towers.map((t, i) => convRelu(c4[i]!, `conv5/${t}`, 1, 'same')); // [batch, 13, 13, 128]
    report('conv5', c5);
    const p5 = c5.map((x) => pool(x)); // [batch, 6, 6, 128]
    report('pool5', p5);
    const joined = p5.length === 1 ? p5[0]! : tf.concat(p5, 3); // [batch, 6, 6, 256]
    const batch = images.shape[0];
    const flat = tf.reshape(joined, [batch, -1]) as tf.Tensor2D; // [batch, 9216]
    const whole = (x: tf.Tensor2D, name: string, relu: boolean) => dense(x, p(`${name}/kernel`) as tf.Tensor2D, p(`${name}/bias`), relu);
    // fc6 and fc7 of two towers: each tower's half of the neurons sees the whole input; the halves side by side are the layer.
    const layer = (x: tf.Tensor2D, name: string, relu: boolean) =>
      this.params.has(`${name}/kernel`) ? whole(x, name, relu) : (tf.concat(towers.map((t) => whole(x, `${name}/${t}`, relu)), 1) as tf.Tensor2D);
    const masks = this.config.dropout ? options.dropoutMasks : undefined;
    let fc6 = layer(flat, 'fc6', true); // [batch, 4096]
    report('fc6', [fc6]);
    if (masks) fc6 = tf.mul(fc6, masks[0]);
    let fc7 = layer(fc6, 'fc7', true); // [batch, 4096]: the features of section 6.1
    report('fc7', [fc7]);
    if (masks) fc7 = tf.mul(fc7, masks[1]);
    const logits = layer(fc7, 'fc8', false); // [batch, classes]
    report('fc8', [logits]);
    return logits;
  }

  /** Host-made inverted-dropout masks (0 or 2 for p = 0.5), so that dropout is seeded and backend-independent. */
  dropoutMasks(batch: number, rng: Rng): [tf.Tensor2D, tf.Tensor2D] | undefined {
    if (!this.config.dropout) return undefined;
    const keep = 1 - DROPOUT_RATE;
    const make = (width: number) => {
      const data = new Float32Array(batch * width);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < keep ? 1 / keep : 0;
      return tf.tensor2d(data, [batch, width]);
    };
    return [make(this.config.fcWidths[0]), make(this.config.fcWidths[1])];
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
