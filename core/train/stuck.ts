// Recognises a run that is not learning, and says why and what to change (RECIPES: dead ReLUs at chance level).

export interface EpochHealth {
  epoch: number;
  trainLoss: number;
  validationTop1Error: number;
  /** Fraction of fc7 units that were zero for every validation image. */
  deadReluFraction: number;
  /** Fraction of validation images given the most common prediction. */
  dominantPredictionFraction: number;
}

export interface Diagnosis {
  code: 'stuck-at-chance' | 'dead-relus' | 'loss-exploded';
  message: string;
}

/** Epochs the symptom must last before we speak (a first epoch near chance is normal). */
const EPOCHS = 3;

export function diagnose(history: EpochHealth[], classes: number, recipeName: string): Diagnosis | undefined {
  const chance = Math.log(classes);
  const fix =
    recipeName === 'paper'
      ? "Likely cause: the paper's recipe (SGD at 0.01, N(0, 0.01) weights, biases of 1) on a dataset far smaller than ImageNet. Fix: use --recipe small-data, or lower --learning-rate to 0.001."
      : 'Likely cause: a learning rate too high for this data. Fix: divide it by 10 (--learning-rate) and start again.';
  const last = history[history.length - 1];
  if (!last) return undefined;
  // RECIPES: the paper's recipe on 10 classes gives first-epoch losses of 6.6 and 7.1 against ln(10) = 2.3.
  if (history.length === 1 && last.trainLoss > Math.max(2 * chance, chance + 1)) {
    return {
      code: 'loss-exploded',
      message: `The first epoch's loss is ${last.trainLoss.toFixed(2)}, far above ln(${classes}) = ${chance.toFixed(2)}, the loss of a uniform guess: the updates are too large and ReLUs are dying. ${fix}`,
    };
  }
  const recent = history.slice(-EPOCHS);
  if (recent.length < EPOCHS) return undefined;
  if (recent.every((h) => h.deadReluFraction >= 0.9)) {
    return {
      code: 'dead-relus',
      message: `${(last.deadReluFraction * 100).toFixed(0)} % of fc7's units have output zero for every test image for ${EPOCHS} epochs (dead ReLUs): the network can no longer learn. ${fix}`,
    };
  }
  if (recent.every((h) => Math.abs(h.trainLoss - chance) < 0.05 * chance && h.dominantPredictionFraction > 0.9)) {
    return {
      code: 'stuck-at-chance',
      message: `The loss has stayed at ln(${classes}) = ${chance.toFixed(2)} for ${EPOCHS} epochs and ${(last.dominantPredictionFraction * 100).toFixed(0)} % of test images get the same answer: the network has not started learning. ${fix}`,
    };
  }
  return undefined;
}
