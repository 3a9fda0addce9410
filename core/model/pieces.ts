// How the parameters are held on the device: fc6 and fc7 of a two-tower model in tower halves, as on the paper's two
// GPUs (section 3.2: each GPU holds half of a layer's neurons, and the fully connected neurons see all of the previous
// layer's). The network is the same: each half is the columns of its tower's neurons, the halves' outputs side by
// side are the whole layer's. It is what lets the paper's model run where one storage buffer may hold only 128 MiB
// (lavapipe, many browsers): fc6's kernel is 144 MiB whole, 72 MiB a half. Checkpoints, exports and every reader of
// the weights see whole parameters (parameterSpecs); only the model's variables are pieces.
import type { ModelConfig } from './config';
import type { ParameterSpec } from './alexnet';

export interface ParameterPiece {
  /** The variable's name: the parameter's own ('conv1/a/kernel'), or its tower's half ('fc6/a/kernel'). */
  name: string;
  spec: ParameterSpec;
  shape: number[];
  /** The columns of the parameter's last axis this piece holds, [from, to). */
  from: number;
  to: number;
}

/** The layers held in tower halves when the model has two towers. */
export const SPLIT_LAYERS = ['fc6', 'fc7'] as const;

/** Every variable of the model, in a fixed order: each parameter whole, or its tower halves one after the other. */
export function parameterPieces(config: ModelConfig, specs: readonly ParameterSpec[]): ParameterPiece[] {
  const pieces: ParameterPiece[] = [];
  for (const spec of specs) {
    const [layer, kind] = spec.name.split('/') as [string, string];
    const columns = spec.shape.at(-1)!;
    const split = config.towers === 2 && (SPLIT_LAYERS as readonly string[]).includes(layer) && columns % 2 === 0;
    if (!split) {
      pieces.push({ name: spec.name, spec, shape: spec.shape, from: 0, to: columns });
      continue;
    }
    const half = columns / 2;
    for (const [t, tower] of ['a', 'b'].entries()) {
      pieces.push({ name: `${layer}/${tower}/${kind}`, spec, shape: [...spec.shape.slice(0, -1), half], from: t * half, to: (t + 1) * half });
    }
  }
  return pieces;
}

/** A piece's values taken out of its whole parameter's (row-major, columns last). */
export function pieceOf(piece: ParameterPiece, whole: Float32Array): Float32Array {
  const columns = piece.spec.shape.at(-1)!;
  if (piece.from === 0 && piece.to === columns) return whole;
  const width = piece.to - piece.from;
  const rows = whole.length / columns;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(whole.subarray(r * columns + piece.from, r * columns + piece.to), r * width);
  return out;
}

/** Whole parameters from their pieces' values (`value(piece)`), by parameter name. */
export function joinPieces(pieces: readonly ParameterPiece[], value: (piece: ParameterPiece) => Float32Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const piece of pieces) {
    const columns = piece.spec.shape.at(-1)!;
    const data = value(piece);
    if (piece.from === 0 && piece.to === columns) {
      out.set(piece.spec.name, data);
      continue;
    }
    const size = piece.spec.shape.reduce((a, b) => a * b, 1);
    let whole = out.get(piece.spec.name);
    if (!whole) out.set(piece.spec.name, (whole = new Float32Array(size)));
    const width = piece.to - piece.from;
    const rows = size / columns;
    for (let r = 0; r < rows; r++) whole.set(data.subarray(r * width, (r + 1) * width), r * columns + piece.from);
  }
  return out;
}
