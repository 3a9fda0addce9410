// Vitest's global setup for the fault suite: clears the tallies before the tests, prints their sum after them.
import fs from 'node:fs';
import { FULL, readTallies, TALLY_DIR } from './report';

export function setup(): void {
  fs.rmSync(TALLY_DIR, { recursive: true, force: true });
}

export function teardown(): void {
  const { suites, total } = readTallies();
  if (Object.keys(suites).length === 0) return; // no fault test ran
  const lines = Object.entries(suites).map(([name, t]) => `  ${name.padEnd(22)} ${String(t.cases).padStart(6)} ${String(t.faults).padStart(7)} ${String(t.resumed).padStart(8)} ${String(t.lost).padStart(5)}`);
  process.stdout.write(
    [
      '',
      `Fault suite (${FULL ? 'full' : 'seeded subset'}): cases tried ${total.cases}, faults injected ${total.faults}, runs resumed ${total.resumed}, data lost ${total.lost}`,
      `  ${'suite'.padEnd(22)}  cases  faults  resumed  lost`,
      ...lines,
      '',
    ].join('\n'),
  );
}
