// Checks the report's Figure 3 section: each seed's towers against their baselines, the split, p and the verdict, as
// the measure gave them, and reports measured before the baselines marked as untested rather than read as a finding.
import { describe, expect, it } from 'vitest';
import { COLOUR_DEFINITION, colourBaseline, initialConv1 } from '../inspect/colour-baseline';
import type { KernelShape } from '../inspect/kernels';
import { quickConfig } from '../model/config';
import { figure3Markdown } from './report';

describe("the report's Figure 3", () => {
  it('shows each tower against its start and random kernels, the split with its p, and says when nothing is detectable', () => {
    const shape: KernelShape = [11, 11, 3, 12];
    const [a, b] = initialConv1(quickConfig(3), 'he-normal', 2) as [Float32Array, Float32Array];
    const colour = colourBaseline(
      [
        { tower: 'a', weights: a, initial: a },
        { tower: 'b', weights: b, initial: b },
      ],
      shape,
    );
    const history = { epochs: [1], towers: [[colour.towers[0]!.score], [colour.towers[1]!.score]] };
    const lines = figure3Markdown({
      towers: [
        { runId: 'r0', seed: 0, history, colour },
        { runId: 'r1', seed: 1, history: { epochs: [1], towers: [[0.61], [0.68]] } },
      ],
    });
    expect(lines.join('\n')).toContain(COLOUR_DEFINITION);
    const [ta, tb] = colour.towers as [(typeof colour.towers)[0], (typeof colour.towers)[0]];
    const p = colour.split!.p;
    expect(lines).toContain(
      `| 0 | ${ta.score.toFixed(3)} (${ta.initialScore!.toFixed(3)}) | ${tb.score.toFixed(3)} (${tb.initialScore!.toFixed(3)}) | 0.669 ± 0.020 | ${colour.split!.difference >= 0 ? '+' : ''}${colour.split!.difference.toFixed(3)} | ${p < 0.1 ? p.toFixed(3) : p.toFixed(2)} | ${colour.verdict} |`,
    );
    expect(colour.verdict).toMatch(/^no specialisation detectable: /);
    expect(lines).toContain('| 1 | 0.610 | 0.680 | – | +0.070 | – | not tested (measured before the baselines) |');
    expect(lines.at(-1)).toBe('No specialisation detectable in the one seed tested.');
  });
});
