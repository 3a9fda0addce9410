// Checks the presets against section 3 of the paper and the configuration's refusals at their exact boundaries.
import { describe, expect, it } from 'vitest';
import { applyAblations, checkClasses, layerShapes, paperConfig, quickConfig, validateConfig, type ModelConfig } from './config';

describe('the presets', () => {
  it("paper: section 3's network on 227x227 crops of 256x256 images, with every feature on", () => {
    expect(paperConfig(1000)).toEqual({
      preset: 'paper', classes: 1000, imageSize: 256, cropSize: 227, towers: 2, convWidths: [96, 256, 384, 384, 256],
      fcWidths: [4096, 4096], lrn: true, overlappingPooling: true, dropout: true,
    });
  });

  it('quick: the same topology and features, narrower, on 115x115 crops of 128x128 images, labelled so', () => {
    expect(quickConfig(7)).toEqual({
      preset: 'quick', classes: 7, imageSize: 128, cropSize: 115, towers: 2, convWidths: [24, 64, 96, 96, 64],
      fcWidths: [256, 256], lrn: true, overlappingPooling: true, dropout: true,
    });
  });

  it('each ablation turns off its own feature and nothing else', () => {
    const quick = quickConfig(4);
    expect(applyAblations(quick, {})).toEqual(quick);
    expect(applyAblations(quick, { oneTower: true })).toEqual({ ...quick, towers: 1 });
    expect(applyAblations(quick, { noLrn: true })).toEqual({ ...quick, lrn: false });
    expect(applyAblations(quick, { nonOverlappingPooling: true })).toEqual({ ...quick, overlappingPooling: false });
    expect(applyAblations(quick, { noDropout: true })).toEqual({ ...quick, dropout: false });
    const off = { ...quick, lrn: false, dropout: false, overlappingPooling: false };
    expect(applyAblations(off, { noLrn: false, noDropout: false, nonOverlappingPooling: false })).toEqual(off);
  });
});

describe('refusals', () => {
  const message = (classes: number, noun: string) =>
    `A model of ${classes} ${noun} is not allowed; it needs 2 to 100,000 classes (fc8 has one output per class, and a softmax over one class learns nothing).`;

  it('takes 2 to 100,000 classes and refuses anything else, naming it', () => {
    for (const classes of [2, 3, 100_000]) expect(() => checkClasses(classes)).not.toThrow();
    expect(() => checkClasses(1)).toThrow(message(1, 'class'));
    expect(() => checkClasses(0)).toThrow(message(0, 'classes'));
    expect(() => checkClasses(100_001)).toThrow(message(100_001, 'classes'));
    expect(() => checkClasses(2.5)).toThrow(message(2.5, 'classes'));
    expect(() => paperConfig(1)).toThrow(message(1, 'class'));
    expect(() => quickConfig(1)).toThrow(message(1, 'class'));
    expect(() => validateConfig({ ...quickConfig(2), classes: 1 })).toThrow(message(1, 'class'));
  });

  it('refuses a crop larger than the image, and takes one of the same size', () => {
    const quick = quickConfig(3);
    expect(() => validateConfig({ ...quick, cropSize: 129 })).toThrow('Crop size 129 is larger than the image size 128.');
    expect(() => validateConfig({ ...quick, cropSize: 128 })).not.toThrow();
  });

  it('takes even conv widths of at least 2 and refuses others, naming the width', () => {
    const withWidth = (w: number): ModelConfig => ({ ...quickConfig(3), convWidths: [24, 64, w, 96, 64] });
    expect(() => validateConfig(withWidth(2))).not.toThrow();
    for (const w of [0, -2, 3, 1, 2.5]) {
      expect(() => validateConfig(withWidth(w)), String(w)).toThrow(`Conv width ${w} is not allowed; use an even integer of at least 2 (half goes to each tower).`);
    }
  });

  it('refuses a crop too small for pool5 at the exact size where its maps vanish', () => {
    // conv1 (11, stride 4) then three 3x3 stride-2 poolings: a 67 crop gives 15, 7, 3, 1; a 66 crop 14, 6, 2, 0 (conv1 still 14).
    const sides = (crop: number) => layerShapes({ ...quickConfig(3), cropSize: crop }).map((s) => s.shape[0]);
    expect(sides(67).slice(0, 8)).toEqual([15, 7, 7, 3, 3, 3, 3, 1]);
    expect(sides(66)[0]).toBe(14);
    expect(() => validateConfig({ ...quickConfig(3), cropSize: 67 })).not.toThrow();
    expect(() => validateConfig({ ...quickConfig(3), cropSize: 66 })).toThrow('Crop size 66 is too small: the maps vanish before pool5.');
  });
});
