// The ordered list of schema migrations; a database's PRAGMA user_version says how many have been applied.
import type { Database } from 'better-sqlite3';
import { migrate as initial } from './0001-initial';
import { migrate as learningRateChanges } from './0002-learning-rate-changes';

/** Brings the schema from version i to i + 1 (i is its index in MIGRATIONS); runs inside the caller's transaction. */
export type Migration = (db: Database) => void;

/** Append only: a released migration is never edited, a change to the schema is a new file. */
export const MIGRATIONS: readonly Migration[] = [initial, learningRateChanges];

/** The schema version this app writes and the newest it can read. */
export const LATEST_VERSION = MIGRATIONS.length;
