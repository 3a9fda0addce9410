// The ordered list of schema migrations; a database's PRAGMA user_version says how many have been applied.
import type { Database } from 'better-sqlite3';
import { migrate as initial } from './0001-initial';

export const MIGRATIONS: ((db: Database) => void)[] = [initial];
export const LATEST_VERSION = MIGRATIONS.length;
