// Schema version 2: every division of the learning rate as a fact (where it took effect, from what to what, why),
// instead of a notice in words that each reader parsed its own way. Runs logged before keep their changes: each is
// rebuilt from its notice ("Learning rate divided by 10 to R after epoch N (reason).") and the step metrics.
import type { Database } from 'better-sqlite3';

const NOTICE = /^Learning rate divided by 10 to ([0-9.eE+-]+) after epoch (\d+) \((plateau|manual)\)\.$/;

export function migrate(db: Database): void {
  db.exec(`
    CREATE TABLE learning_rate_changes (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      step INTEGER NOT NULL,
      epoch REAL NOT NULL,
      previous_learning_rate REAL NOT NULL,
      learning_rate REAL NOT NULL,
      reason TEXT NOT NULL CHECK (reason IN ('plateau', 'manual')),
      time TEXT NOT NULL,
      PRIMARY KEY (run_id, step, learning_rate)
    ) STRICT;
  `);
  const notices = db.prepare(`SELECT run_id AS runId, time, message FROM notices WHERE code IN ('learning-rate-plateau', 'learning-rate-manual') ORDER BY id`).all() as { runId: string; time: string; message: string }[];
  const steps = db.prepare('SELECT step, epoch, learning_rate AS learningRate FROM step_metrics WHERE run_id = ? ORDER BY step');
  const insert = db.prepare(
    `INSERT OR IGNORE INTO learning_rate_changes (run_id, step, epoch, previous_learning_rate, learning_rate, reason, time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const notice of notices) {
    const match = NOTICE.exec(notice.message);
    if (!match) continue;
    const rate = Number(match[1]);
    const epoch = Number(match[2]);
    const reason = match[3] as 'plateau' | 'manual';
    const rows = steps.all(notice.runId) as { step: number; epoch: number; learningRate: number }[];
    // Steps per epoch from the (thinned) step metrics: every step of 0-based epoch e has e*S < step <= (e+1)*S, and
    // the last step of every epoch is kept.
    const perEpoch = rows.reduce((s, r) => Math.max(s, Math.ceil(r.step / (r.epoch + 1))), 0);
    if (perEpoch === 0) continue;
    // A plateau drop follows the last step of epoch N; one by hand came before the first step of epoch N at the new rate.
    const step = reason === 'plateau' ? Math.max(...rows.filter((r) => r.epoch === epoch - 1).map((r) => r.step)) : (rows.find((r) => r.epoch === epoch - 1 && r.learningRate <= rate * 1.0001)?.step ?? NaN) - 1;
    if (!Number.isFinite(step)) continue;
    insert.run(notice.runId, step, step / perEpoch, rate * 10, rate, reason, notice.time);
  }
}
