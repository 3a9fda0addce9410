// The fault suite's tally: each suite adds what it tried, and `npm run test:faults` prints the sum at the end
// (cases tried, faults injected, runs resumed, data lost). Tallies are files, since test files run in separate processes.
import fs from 'node:fs';
import path from 'node:path';

export interface Tally {
  /** Inputs or situations tried (a hostile file, a bad request, a vanished folder, ...). */
  cases: number;
  /** Faults injected for real (a SIGKILL, a full disk, a corrupted byte, a lost GPU device, ...). */
  faults: number;
  /** Runs resumed after a fault. */
  resumed: number;
  /** Things saved before a fault and missing or wrong after it: must be 0. */
  lost: number;
}

/**
 * Where this test run's tallies are written, one JSON file per suite: a folder per run (the global setup names it in
 * ALEXNET_TALLY_RUN, which the test processes inherit), so that two runs at once do not mix their counts.
 */
export const TALLY_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'faults', process.env.ALEXNET_TALLY_RUN ?? 'default');

/** Whether the full fault suite runs (`npm run test:faults`) or the seeded subset that `npm test` runs. */
export const FULL = process.env.ALEXNET_FAULTS === 'full';

/** Adds to a suite's tally (suites may call it many times). */
export function tally(suite: string, counts: Partial<Tally>): void {
  fs.mkdirSync(TALLY_DIR, { recursive: true });
  const file = path.join(TALLY_DIR, `${suite}.json`);
  const now: Tally = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Tally) : { cases: 0, faults: 0, resumed: 0, lost: 0 };
  for (const key of ['cases', 'faults', 'resumed', 'lost'] as const) now[key] += counts[key] ?? 0;
  fs.writeFileSync(file, JSON.stringify(now));
}

/** Every suite's tally, and their sum. */
export function readTallies(): { suites: Record<string, Tally>; total: Tally } {
  const suites: Record<string, Tally> = {};
  const total: Tally = { cases: 0, faults: 0, resumed: 0, lost: 0 };
  if (!fs.existsSync(TALLY_DIR)) return { suites, total };
  for (const name of fs.readdirSync(TALLY_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const t = JSON.parse(fs.readFileSync(path.join(TALLY_DIR, name), 'utf8')) as Tally;
    suites[name.replace(/\.json$/, '')] = t;
    for (const key of ['cases', 'faults', 'resumed', 'lost'] as const) total[key] += t[key];
  }
  return { suites, total };
}
