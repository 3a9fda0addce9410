// Checks the paper's SGD rule and Adam against float64 re-implementations, and that saved state resumes exactly, on
// TensorFlow.js' JavaScript backend (tensor operations) and on the CPU engine (one in-place pass per parameter).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Adam, PaperSgd, type OptimizerSettings } from './optimizer';

const settings: OptimizerSettings = { name: 'sgd', momentum: 0.9, weightDecay: 0.0005, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const w0 = [0.5, -1.25, 2, 0.001];
const gradientsAt = (step: number) => w0.map((_, i) => Math.sin(step * 3 + i) * 0.7);

/** A variable that owns its data alone (the tensor it was made from is disposed), as the model's are. */
function variable(values: number[]): tf.Variable {
  const initial = tf.tensor1d(values);
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`optimizers on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });
    afterAll(async () => {
      await selectBackend('cpu');
    });

    describe('PaperSgd (section 5)', () => {
      it('follows v <- 0.9 v - 0.0005 e w - e g, w <- w + v', async () => {
        const w = variable(w0);
        const sgd = new PaperSgd(settings, [w]);
        let ref = [...w0];
        let v = w0.map(() => 0);
        const rates = [0.01, 0.01, 0.001];
        for (let step = 0; step < 3; step++) {
          const g = gradientsAt(step);
          const grad = tf.tensor1d(g);
          sgd.apply({ [w.name]: grad }, rates[step]!);
          grad.dispose();
          v = v.map((vi, i) => 0.9 * vi - 0.0005 * rates[step]! * ref[i]! - rates[step]! * g[i]!);
          ref = ref.map((wi, i) => wi + v[i]!);
        }
        const got = await w.data();
        ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 6));
        sgd.dispose();
        w.dispose();
      });
    });

    describe('Adam', () => {
      it('matches a float64 Adam with L2 weight decay over several steps', async () => {
        const s: OptimizerSettings = { ...settings, name: 'adam' };
        const w = variable(w0);
        const adam = new Adam(s, [w]);
        let ref = [...w0];
        let m = w0.map(() => 0);
        let v = w0.map(() => 0);
        const lr = 1e-3;
        for (let step = 1; step <= 4; step++) {
          const g = gradientsAt(step);
          const grad = tf.tensor1d(g);
          adam.apply({ [w.name]: grad }, lr);
          grad.dispose();
          const gd = g.map((gi, i) => gi + s.weightDecay * ref[i]!);
          m = m.map((mi, i) => s.beta1 * mi + (1 - s.beta1) * gd[i]!);
          v = v.map((vi, i) => s.beta2 * vi + (1 - s.beta2) * gd[i]! ** 2);
          ref = ref.map((wi, i) => wi - (lr * (m[i]! / (1 - s.beta1 ** step))) / (Math.sqrt(v[i]! / (1 - s.beta2 ** step)) + s.epsilon));
        }
        const got = await w.data();
        ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 6));
        adam.dispose();
        w.dispose();
      });
    });

    describe('optimizer state', () => {
      for (const name of ['sgd', 'adam'] as const) {
        it(`${name}: saving after 2 steps and restoring into a fresh optimizer continues exactly`, async () => {
          const s = { ...settings, name };
          const make = (values: number[]) => {
            const w = variable(values);
            return { w, opt: name === 'sgd' ? new PaperSgd(s, [w]) : new Adam(s, [w]) };
          };
          const step = (o: ReturnType<typeof make>, i: number) => {
            const g = tf.tensor1d(gradientsAt(i));
            o.opt.apply({ [o.w.name]: g }, 0.01);
            g.dispose();
          };
          const straight = make(w0);
          for (let i = 0; i < 4; i++) step(straight, i);
          const first = make(w0);
          step(first, 0);
          step(first, 1);
          const state = await first.opt.state(['w']);
          const second = make(Array.from(await first.w.data()));
          second.opt.restore(state, ['w']);
          step(second, 2);
          step(second, 3);
          expect(Array.from(await second.w.data())).toEqual(Array.from(await straight.w.data()));
          for (const o of [straight, first, second]) {
            o.opt.dispose();
            o.w.dispose();
          }
        });

        it(`${name}: steps, saving, restoring and dispose leave no tensor or byte behind`, async () => {
          const before = tf.memory();
          const initial = tf.tensor1d(w0);
          const w = tf.variable(initial);
          initial.dispose();
          const opt = name === 'sgd' ? new PaperSgd({ ...settings, name }, [w]) : new Adam({ ...settings, name }, [w]);
          await opt.state(['w']); // creates the slots outside a step
          for (let i = 0; i < 3; i++) {
            const g = tf.tensor1d(gradientsAt(i));
            opt.apply({ [w.name]: g }, 0.01);
            g.dispose();
          }
          const afterSteps = tf.memory().numTensors;
          opt.restore(await opt.state(['w']), ['w']);
          expect(tf.memory().numTensors).toBe(afterSteps);
          opt.dispose();
          w.dispose();
          expect(tf.memory().numTensors).toBe(before.numTensors);
          expect(tf.memory().numBytes).toBe(before.numBytes);
        });
      }

      it('refuses state of the other optimizer', async () => {
        const w = tf.variable(tf.tensor1d(w0));
        const sgd = new PaperSgd(settings, [w]);
        const adam = new Adam({ ...settings, name: 'adam' }, [w]);
        expect(() => adam.restore({ name: 'sgd', step: 1, slots: new Map() }, ['w'])).toThrow(/'sgd' optimizer state; this run uses 'adam'/);
        sgd.dispose();
        adam.dispose();
        w.dispose();
      });
    });
  });
}
