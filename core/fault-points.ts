// Named places where the fault tests kill this process for real, to prove that a crash there loses nothing:
// ALEXNET_FAULT=<point>:<n> sends this process SIGKILL the n-th time it passes <point>. Unset, a point costs nothing.
const plan = (() => {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ALEXNET_FAULT;
  const match = env ? /^([\w:-]+):(\d+)$/.exec(env) : null;
  return match ? { point: match[1]!, at: Number(match[2]) } : undefined;
})();
let passes = 0;

export type FaultPoint =
  | 'import:record-written'
  | 'import:manifest-temp-written'
  | 'checkpoint:temp-written'
  | 'checkpoint:renamed'
  | 'runlog:inside-step-transaction';

export function faultPoint(point: FaultPoint): void {
  if (plan?.point !== point || ++passes !== plan.at) return;
  process.kill(process.pid, 'SIGKILL');
}
