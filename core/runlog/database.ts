// Opens the SQLite run log: WAL, foreign keys, and schema migrations by PRAGMA user_version.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS } from './migrations/index';

export class RunLogVersionError extends Error {
  override name = 'RunLogVersionError';
}

export function openDatabase(file: string, options: { readonly?: boolean } = {}): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: Boolean(options.readonly), fileMustExist: Boolean(options.readonly) });
  } catch (error) {
    throw new Error(`Run log '${file}' cannot be opened: ${(error as Error).message}`);
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_VERSION) {
      throw new RunLogVersionError(
        `Run log '${file}' was written by a newer version of AlexNet Workbench (schema ${version}; this version reads up to ${LATEST_VERSION}). Update the app or use another --home.`,
      );
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (version < LATEST_VERSION) {
      // Every pending migration and the new version number commit together, or not at all.
      db.transaction(() => {
        for (let v = version; v < LATEST_VERSION; v++) MIGRATIONS[v]!(db);
        db.pragma(`user_version = ${LATEST_VERSION}`);
      })();
    }
    return db;
  } catch (error) {
    db.close();
    if (error instanceof RunLogVersionError) throw error;
    const message = (error as Error).message;
    if (/not a database|file is encrypted/i.test(message)) throw new Error(`Run log '${file}' is not a SQLite database (${message}).`);
    throw new Error(`Run log '${file}' cannot be used: ${message}`);
  }
}
