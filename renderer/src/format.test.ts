// The page's read-outs of sizes and durations, against values worked out by hand.
import { describe, expect, it } from 'vitest';
import { bytes, duration } from './format';

describe('bytes', () => {
  it('says sizes in binary units with three significant figures', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1023)).toBe('1023 B');
    expect(bytes(1024)).toBe('1.00 KiB');
    expect(bytes(1536)).toBe('1.50 KiB');
    expect(bytes(17.8 * 2 ** 20)).toBe('17.8 MiB');
    // The paper's parameters as float32: 60,965,224 x 4 bytes.
    expect(bytes(60_965_224 * 4)).toBe('233 MiB');
    expect(bytes(3 * 2 ** 30)).toBe('3.00 GiB');
    expect(bytes(2 ** 50)).toBe('1024 TiB');
    expect([bytes(-1), bytes(Number.NaN), bytes(null)]).toEqual(['–', '–', '–']);
  });
});

describe('duration', () => {
  it('says a duration to the second under an hour, then in hours and days', () => {
    expect(duration(44.6)).toBe('45 s');
    expect(duration(250)).toBe('4 min 10 s');
    expect(duration(2 * 3600 + 5 * 60 + 20)).toBe('2 h 5 min');
    expect(duration(50 * 3600)).toBe('2 d 2 h');
    expect(duration(-1)).toBe('–');
  });
});
