// Opens the SQLite run log: WAL, foreign keys, and schema migrations by PRAGMA user_version.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations/index';

/** Thrown for a run log written by a newer app (its schema is unknown here), so callers can tell it from a corrupt file. */
export class RunLogVersionError extends Error {
  override name = 'RunLogVersionError';
}

/**
 * Opens (creating if needed) the run log at `file` and brings its schema up to date.
 * Read-only opens never write, so they need a file that exists and is already at the latest schema.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Database {
  const readonly = Boolean(options.readonly);
  if (!readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new Error(`Run log '${file}' cannot be opened: ${(error as Error).message}`);
  }
  try {
    // Another process (a training run, the desktop app) may hold the write lock: wait for it rather than fail.
    db.pragma('busy_timeout = 5000');
    // The first read of the file: a text file or other non-SQLite file fails here.
    const version = db.pragma('user_version', { simple: true }) as number;
    refuseNewer(file, version, LATEST_VERSION);
    if (readonly) {
      if (version < LATEST_VERSION) {
        throw new Error(`it is at schema ${version} and this version needs ${LATEST_VERSION}; open it once without read-only to upgrade it`);
      }
    } else {
      db.pragma('journal_mode = WAL');
      // With WAL, NORMAL loses at most the last commits on power loss and never corrupts the file.
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    // Only an out-of-date file takes the write lock; an up-to-date one opens without waiting on other writers.
    if (!readonly && version < LATEST_VERSION) applyMigrations(db, file, MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof RunLogVersionError) throw error;
    const message = (error as Error).message;
    if (/not a database|file is encrypted/i.test(message)) throw new Error(`Run log '${file}' is not a SQLite database (${message}); move it away or use another --home.`);
    throw new Error(`Run log '${file}' cannot be used: ${message}`);
  }
}

/**
 * Applies the migrations the database lacks, in order, in one transaction that also sets user_version:
 * a failure leaves the file exactly as it was. The transaction is IMMEDIATE and re-reads the version inside it,
 * so two processes opening a new file at once migrate it once.
 */
export function applyMigrations(db: Database, file: string, migrations: readonly Migration[]): void {
  const upgrade = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    refuseNewer(file, version, migrations.length);
    for (let v = version; v < migrations.length; v++) migrations[v]!(db);
    if (version < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  });
  upgrade.immediate();
}

function refuseNewer(file: string, version: number, latest: number): void {
  if (version > latest) {
    throw new RunLogVersionError(
      `Run log '${file}' was written by a newer version of AlexNet Workbench (schema ${version}; this version reads up to ${latest}). Update the app or use another --home.`,
    );
  }
}
