// The paper's SGD with momentum and weight decay (section 5), and Adam for the small-data recipe, with savable state.
import * as tf from '@tensorflow/tfjs-core';
import { fusedUpdates } from '../cpu/fused-update';
import { gpuFusedUpdates } from '../gpu/update';

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerSettings {
  name: OptimizerName;
  /** Momentum of SGD (section 5: 0.9). */
  momentum: number;
  /** Weight decay (section 5: 0.0005). */
  weightDecay: number;
  /** Adam's moment decay rates and epsilon (PyTorch's defaults). */
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Named host copies of every slot (momentum, or Adam's two moments) and the step count. */
export interface OptimizerState {
  name: OptimizerName;
  step: number;
  slots: Map<string, Float32Array>;
}

export abstract class Optimizer {
  protected readonly slots = new Map<string, tf.Variable>();
  protected step = 0;

  constructor(
    protected readonly settings: OptimizerSettings,
    protected readonly variables: tf.Variable[],
    protected readonly slotNames: string[],
  ) {}

  /** Applies one update with the given gradients (keyed by variable name) at the given learning rate. */
  abstract apply(gradients: Record<string, tf.Tensor>, learningRate: number): void;

  protected slot(variable: tf.Variable, which: string): tf.Variable {
    const key = `${variable.name}#${which}`;
    let slot = this.slots.get(key);
    if (!slot) {
      const zeros = tf.zerosLike(variable);
      slot = tf.variable(zeros, false);
      zeros.dispose();
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Reads the state back to the host. `names` maps each variable to a stable parameter name. */
  async state(names: string[]): Promise<OptimizerState> {
    const slots = new Map<string, Float32Array>();
    for (let i = 0; i < this.variables.length; i++) {
      for (const which of this.slotNames) {
        const slot = this.slot(this.variables[i]!, which);
        slots.set(`${names[i]}#${which}`, (await slot.data()) as Float32Array);
      }
    }
    return { name: this.settings.name, step: this.step, slots };
  }

  restore(state: OptimizerState, names: string[]): void {
    if (state.name !== this.settings.name) {
      throw new Error(`Checkpoint holds '${state.name}' optimizer state; this run uses '${this.settings.name}'.`);
    }
    this.step = state.step;
    for (let i = 0; i < this.variables.length; i++) {
      const variable = this.variables[i]!;
      for (const which of this.slotNames) {
        const data = state.slots.get(`${names[i]}#${which}`);
        if (!data || data.length !== variable.size) {
          throw new Error(`Checkpoint has no '${which}' state of size ${variable.size} for parameter '${names[i]}'.`);
        }
        tf.tidy(() => this.slot(variable, which).assign(tf.tensor(data, variable.shape)));
      }
    }
  }

  dispose(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}

/**
 * Section 5's update rule, exactly: v <- 0.9 v - 0.0005 e w - e g;  w <- w + v  (e: the learning rate).
 * (PyTorch's SGD differs: it keeps the learning rate outside the momentum buffer.)
 */
export class PaperSgd extends Optimizer {
  constructor(settings: OptimizerSettings, variables: tf.Variable[]) {
    super(settings, variables, ['momentum']);
  }

  apply(gradients: Record<string, tf.Tensor>, learningRate: number): void {
    this.step++;
    const { momentum, weightDecay } = this.settings;
    const fused = fusedUpdates() ?? gpuFusedUpdates();
    tf.tidy(() => {
      for (const w of this.variables) {
        const g = gradients[w.name];
        if (!g) throw new Error(`No gradient for variable '${w.name}'.`);
        const v = this.slot(w, 'momentum');
        // The same float32 operations in place (one pass on the CPU engine, one per rewritten tensor on WebGPU), or as
        // tensor operations.
        if (fused?.sgd(w, g, v, momentum, weightDecay * learningRate, learningRate)) continue;
        const next = tf.sub(tf.sub(tf.mul(v, momentum), tf.mul(w, weightDecay * learningRate)), tf.mul(g, learningRate));
        v.assign(next);
        w.assign(tf.add(w, next));
      }
    });
  }
}

/** Adam with L2 weight decay added to the gradient (as PyTorch's Adam with weight_decay, used in RECIPES.md). */
export class Adam extends Optimizer {
  constructor(settings: OptimizerSettings, variables: tf.Variable[]) {
    super(settings, variables, ['m', 'v']);
  }

  apply(gradients: Record<string, tf.Tensor>, learningRate: number): void {
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const fused = fusedUpdates() ?? gpuFusedUpdates();
    const constants = { decay: weightDecay, beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, correction2, epsilon, step: learningRate / correction1 };
    tf.tidy(() => {
      for (const w of this.variables) {
        const raw = gradients[w.name];
        if (!raw) throw new Error(`No gradient for variable '${w.name}'.`);
        // The same float32 operations in place (one pass on the CPU engine, one per rewritten tensor on WebGPU), or as
        // tensor operations.
        if (fused?.adam(w, raw, this.slot(w, 'm'), this.slot(w, 'v'), constants)) continue;
        const g = weightDecay > 0 ? tf.add(raw, tf.mul(w, weightDecay)) : raw;
        const m = this.slot(w, 'm');
        const v = this.slot(w, 'v');
        const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m2);
        v.assign(v2);
        const denominator = tf.add(tf.sqrt(tf.div(v2, correction2)), epsilon);
        w.assign(tf.sub(w, tf.mul(tf.div(m2, denominator), learningRate / correction1)));
      }
    });
  }
}

export function createOptimizer(settings: OptimizerSettings, variables: tf.Variable[]): Optimizer {
  return settings.name === 'sgd' ? new PaperSgd(settings, variables) : new Adam(settings, variables);
}
