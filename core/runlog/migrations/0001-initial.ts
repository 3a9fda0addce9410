// Schema version 1: datasets, runs, their metrics, checkpoints, kernel snapshots, evaluations and notices.
import type { Database } from 'better-sqlite3';

// Deleting a run cascades to everything it owns; a dataset that still has runs cannot be deleted.
// runs.last_checkpoint_id has no foreign key: checkpoints already reference runs, and a cycle would make inserting
// and cascading order-dependent. RunLog.deleteCheckpointRow clears it instead.
export function migrate(db: Database): void {
  db.exec(`
    CREATE TABLE datasets (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      source TEXT NOT NULL,
      dir TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      labels_json TEXT NOT NULL,
      counts_json TEXT NOT NULL,
      report_json TEXT NOT NULL
    ) STRICT;

    CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      dataset_id TEXT NOT NULL REFERENCES datasets(id),
      name TEXT NOT NULL,
      preset TEXT NOT NULL CHECK (preset IN ('paper', 'quick')),
      config_json TEXT NOT NULL,
      recipe TEXT NOT NULL,
      seed INTEGER NOT NULL,
      backend TEXT NOT NULL,
      device TEXT NOT NULL,
      code_version TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('created', 'running', 'paused', 'completed', 'stopped', 'interrupted', 'failed', 'diverged')),
      status_detail TEXT,
      pid INTEGER,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      epochs_planned INTEGER NOT NULL,
      epochs_done INTEGER NOT NULL DEFAULT 0,
      steps_done INTEGER NOT NULL DEFAULT 0,
      best_top1_error REAL,
      last_checkpoint_id INTEGER
    ) STRICT;

    CREATE TABLE step_metrics (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      step INTEGER NOT NULL,
      epoch INTEGER NOT NULL,
      loss REAL NOT NULL,
      learning_rate REAL NOT NULL,
      images_per_second REAL NOT NULL,
      time TEXT NOT NULL,
      PRIMARY KEY (run_id, step)
    ) STRICT;

    CREATE TABLE epoch_metrics (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      train_loss REAL NOT NULL,
      train_top1_error REAL NOT NULL,
      train_top5_error REAL NOT NULL,
      validation_loss REAL,
      validation_top1_error REAL,
      validation_top5_error REAL,
      learning_rate REAL NOT NULL,
      seconds REAL NOT NULL,
      dead_relu_fraction REAL,
      PRIMARY KEY (run_id, epoch)
    ) STRICT;

    CREATE TABLE checkpoints (
      id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      step INTEGER NOT NULL,
      path TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX checkpoints_by_run ON checkpoints(run_id, step);

    CREATE TABLE kernel_snapshots (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      step INTEGER NOT NULL,
      shape_json TEXT NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (run_id, step)
    ) STRICT;

    CREATE TABLE evaluations (
      id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      checkpoint_id INTEGER,
      split TEXT NOT NULL CHECK (split IN ('train', 'test')),
      crops TEXT NOT NULL CHECK (crops IN ('centre', 'ten')),
      top1_error REAL NOT NULL,
      top5_error REAL NOT NULL,
      loss REAL,
      per_class_accuracy_json TEXT NOT NULL,
      confusion_json TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE notices (
      id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      time TEXT NOT NULL,
      level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
      code TEXT NOT NULL,
      message TEXT NOT NULL
    ) STRICT;
  `);
}
