// Vitest's global setup for the fault suite: names this run's tally folder before the tests, prints the sum after.

export async function setup(): Promise<void> {
  process.env.ALEXNET_TALLY_RUN = `run-${process.pid}-${Date.now()}`;
}

export async function teardown(): Promise<void> {
  // Imported here, after setup named this run's folder.
  const { FULL, readTallies } = await import('./report');
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
