// Checks opening the run log on real SQLite files: schema, pragmas, migrations, and refusal of files it cannot use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyMigrations, openDatabase, RunLogVersionError } from './database';
import { LATEST_VERSION, MIGRATIONS } from './migrations/index';

const newFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runlog-db-')), 'runlog.sqlite');

/** The tables of schema 2, written out by hand from the design (not read from the migrations). */
const TABLES = ['checkpoints', 'datasets', 'epoch_metrics', 'evaluations', 'kernel_snapshots', 'learning_rate_changes', 'notices', 'runs', 'step_metrics'];

const tableNames = (db: Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
const schemaText = (db: Database) => (db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all() as object[]);

describe('openDatabase', () => {
  it('creates every table at the latest schema version', () => {
    const db = openDatabase(newFile());
    expect(LATEST_VERSION).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tableNames(db)).toEqual(TABLES);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('sets WAL, foreign keys, synchronous NORMAL and a 5 s busy timeout', () => {
    const db = openDatabase(newFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // 0 OFF, 1 NORMAL, 2 FULL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });

  it('opens an up-to-date file a second time without changing its schema or its rows', () => {
    const file = newFile();
    const first = openDatabase(file);
    const schema = schemaText(first);
    first.prepare(`INSERT INTO datasets VALUES ('d', 'n', 's', 'dir', 't', 't', '[]', '[]', '{}')`).run();
    first.close();
    const second = openDatabase(file);
    expect(second.pragma('user_version', { simple: true })).toBe(2);
    expect(schemaText(second)).toEqual(schema);
    expect(second.prepare('SELECT id, dir FROM datasets').all()).toEqual([{ id: 'd', dir: 'dir' }]);
    second.close();
  });

  it('makes every table STRICT: a string in an INTEGER column is refused', () => {
    const db = openDatabase(newFile());
    const strict = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all();
    expect(strict).toEqual(TABLES.map((name) => ({ name, strict: 1 })));
    db.prepare(`INSERT INTO datasets VALUES ('d', 'n', 's', 'dir', 't', 't', '[]', '[]', '{}')`).run();
    const insertRun = db.prepare(
      `INSERT INTO runs (id, dataset_id, name, preset, config_json, recipe, seed, backend, device, code_version, status, created_at, updated_at, epochs_planned)
       VALUES ('r', 'd', 'n', 'quick', '{}', 'x', ?, 'cpu', 'CPU', 'v', 'created', 't', 't', 1)`,
    );
    expect(() => insertRun.run('seven')).toThrow(/cannot store TEXT value in INTEGER column runs\.seed/);
    insertRun.run(7);
    expect(db.prepare(`SELECT seed, typeof(seed) AS type FROM runs`).get()).toEqual({ seed: 7, type: 'integer' });
    db.close();
  });

  it('enforces foreign keys and the status check', () => {
    const db = openDatabase(newFile());
    expect(() => db.prepare(`INSERT INTO step_metrics VALUES ('no-such-run', 1, 0, 1.0, 0.01, 10.0, 't')`).run()).toThrow(/FOREIGN KEY constraint failed/);
    db.prepare(`INSERT INTO datasets VALUES ('d', 'n', 's', 'dir', 't', 't', '[]', '[]', '{}')`).run();
    expect(() =>
      db
        .prepare(
          `INSERT INTO runs (id, dataset_id, name, preset, config_json, recipe, seed, backend, device, code_version, status, created_at, updated_at, epochs_planned)
           VALUES ('r', 'd', 'n', 'quick', '{}', 'x', 1, 'cpu', 'CPU', 'v', 'sleeping', 't', 't', 1)`,
        )
        .run(),
    ).toThrow(/CHECK constraint failed/);
    db.close();
  });

  // One version newer is the boundary: a release that adds one migration.
  for (const ahead of [1, 5]) {
    it(`refuses a file from a newer version (schema +${ahead}), naming the file and both schema numbers, and leaves it as it was`, () => {
      const file = newFile();
      openDatabase(file).close();
      const raw = new BetterSqlite3(file);
      raw.pragma(`user_version = ${LATEST_VERSION + ahead}`);
      raw.close();
      const expected = `Run log '${file}' was written by a newer version of AlexNet Workbench (schema ${LATEST_VERSION + ahead}; this version reads up to ${LATEST_VERSION}). Update the app or use another --home.`;
      expect(() => openDatabase(file)).toThrow(expected);
      expect(() => openDatabase(file)).toThrow(RunLogVersionError);
      expect(() => openDatabase(file, { readonly: true })).toThrow(expected);
      const after = new BetterSqlite3(file, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + ahead);
      after.close();
    });
  }

  it('says a text file is not a SQLite database, names it, and does not overwrite it', () => {
    const file = newFile();
    const text = 'name,loss\nrun-1,2.3\n'.repeat(200);
    fs.writeFileSync(file, text);
    let message = '';
    try {
      openDatabase(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`Run log '${file}' is not a SQLite database`);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('opens read-only only a file that exists and is up to date, and refuses writes through it', () => {
    const missing = newFile();
    expect(() => openDatabase(missing, { readonly: true })).toThrow(`Run log '${missing}' cannot be opened`);
    expect(fs.existsSync(missing)).toBe(false);

    const old = newFile();
    new BetterSqlite3(old).close(); // an empty SQLite file: schema 0
    expect(() => openDatabase(old, { readonly: true })).toThrow(`Run log '${old}' cannot be used: it is at schema 0 and this version needs 2`);

    const file = newFile();
    openDatabase(file).close();
    const db = openDatabase(file, { readonly: true });
    expect(tableNames(db)).toEqual(TABLES);
    expect(() => db.prepare(`INSERT INTO datasets VALUES ('d', 'n', 's', 'dir', 't', 't', '[]', '[]', '{}')`).run()).toThrow(/readonly/);
    db.close();
  });
});

describe('applyMigrations', () => {
  it('applies migrations in order and sets user_version to their count', () => {
    const file = newFile();
    const db = new BetterSqlite3(file);
    const migrations = [
      (d: Database) => d.exec('CREATE TABLE a (x INTEGER) STRICT'),
      (d: Database) => d.exec('ALTER TABLE a ADD COLUMN y TEXT'), // fails unless the first ran before it
      (d: Database) => d.exec(`INSERT INTO a VALUES (1, 'one')`),
    ];
    applyMigrations(db, file, migrations);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare('SELECT x, y FROM a').all()).toEqual([{ x: 1, y: 'one' }]);
    db.close();
  });

  it('applies only the missing ones to a file at an older version', () => {
    const file = newFile();
    const db = new BetterSqlite3(file);
    db.exec('CREATE TABLE a (x INTEGER) STRICT');
    db.pragma('user_version = 1');
    const ran: number[] = [];
    applyMigrations(db, file, [() => ran.push(1), () => ran.push(2), () => ran.push(3)]);
    expect(ran).toEqual([2, 3]);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.close();
  });

  it('rolls everything back, user_version included, when a migration fails', () => {
    const file = newFile();
    const db = new BetterSqlite3(file);
    const migrations = [(d: Database) => d.exec('CREATE TABLE a (x INTEGER) STRICT'), (d: Database) => d.exec('CREATE TABLE a (y TEXT)')];
    expect(() => applyMigrations(db, file, migrations)).toThrow(/table a already exists/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(tableNames(db)).toEqual([]);
    db.close();
  });

  it('re-reads the version under the write lock, so a connection that saw an empty file does not migrate twice', () => {
    const file = newFile();
    const stale = new BetterSqlite3(file);
    expect(stale.pragma('user_version', { simple: true })).toBe(0); // this connection saw schema 0...
    openDatabase(file).close(); // ...then another one migrated the file
    applyMigrations(stale, file, MIGRATIONS); // would fail with 'table datasets already exists' if it trusted what it saw
    expect(stale.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(tableNames(stale)).toEqual(TABLES);
    stale.close();
  });
});

describe('migration 2: learning-rate changes as facts', () => {
  it("rebuilds the changes of runs logged at schema 1 from their notices and step metrics, at the exact step", () => {
    const file = newFile();
    const db = new BetterSqlite3(file);
    applyMigrations(db, file, MIGRATIONS.slice(0, 1)); // a run log as the version before wrote it
    db.prepare(`INSERT INTO datasets VALUES ('d', 'n', 's', 'dir', 't', 't', '[]', '[]', '{}')`).run();
    db.prepare(
      `INSERT INTO runs (id, dataset_id, name, preset, config_json, recipe, seed, backend, device, code_version, status, created_at, updated_at, epochs_planned)
       VALUES ('r', 'd', 'n', 'quick', '{}', 'paper', 0, 'cpu', 'cpu', 'v', 'completed', 't', 't', 6)`,
    ).run();
    // 5 steps per epoch, kept thinned (the last step of every epoch always): 0.01 until a drop by hand before
    // step 13 (epoch 2, 0-based), 0.001 after it, and a plateau drop after epoch 4 (step 20).
    const step = db.prepare(`INSERT INTO step_metrics VALUES ('r', ?, ?, 1, ?, 1, 't')`);
    for (const s of [1, 3, 5, 7, 10, 11, 12, 13, 15, 18, 20, 21, 25, 30]) step.run(s, Math.floor((s - 1) / 5), s <= 12 ? 0.01 : s <= 20 ? 0.001 : 0.0001);
    const notice = db.prepare(`INSERT INTO notices (run_id, time, level, code, message) VALUES ('r', ?, 'info', ?, ?)`);
    notice.run('t1', 'learning-rate-manual', 'Learning rate divided by 10 to 0.001 after epoch 3 (manual).');
    notice.run('t2', 'learning-rate-plateau', 'Learning rate divided by 10 to 0.0001 after epoch 4 (plateau).');
    notice.run('t3', 'stuck', 'Learning rate divided by 10 to 5 after epoch 9 (plateau).'); // another code: not a change
    applyMigrations(db, file, MIGRATIONS);
    expect(db.prepare('SELECT run_id, step, epoch, previous_learning_rate, learning_rate, reason, time FROM learning_rate_changes ORDER BY step').all()).toEqual([
      { run_id: 'r', step: 12, epoch: 2.4, previous_learning_rate: 0.01, learning_rate: 0.001, reason: 'manual', time: 't1' },
      { run_id: 'r', step: 20, epoch: 4, previous_learning_rate: 0.001, learning_rate: 0.0001, reason: 'plateau', time: 't2' },
    ]);
    // A run's changes go with it.
    db.pragma('foreign_keys = ON');
    db.prepare(`DELETE FROM runs WHERE id = 'r'`).run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM learning_rate_changes').get()).toEqual({ n: 0 });
    db.close();
  });
});
