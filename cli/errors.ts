// The CLI's error kinds and the exit codes they map to (documented in the README).
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { SkippedFile } from '../core/dataset/types';

export const EXIT = {
  ok: 0,
  /** A bug or an unexpected failure. */
  internal: 1,
  /** A bad argument: wrong type, range or unknown value. */
  usage: 2,
  /** A dataset, run, checkpoint or file that does not exist or cannot be read. */
  notFound: 3,
  /** Training ended without completing: stopped, diverged or failed. */
  incomplete: 4,
  /** The requested backend (GPU) is not available. */
  backend: 5,
  /** The machine refused: a full disk, a removed drive, a permission (what was saved before is kept). */
  system: 6,
  /** A cross-check found our result outside its tolerance of the reference's. */
  checkFailed: 7,
  /** A cross-check could not decide: too few paired seeds, or an interval that crosses the tolerance. */
  checkInconclusive: 8,
  /** Interrupted by Ctrl-C (after saving a checkpoint). */
  interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
/** Thrown by argument parsers: commander prefixes the option's name and exits with a usage error. */
const badArgument = (message: string) => new InvalidArgumentError(message);
export const notFound = (message: string) => new CliError(message, EXIT.notFound);

/** Parses an integer option, naming the option and the allowed range when it is wrong. */
export function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw badArgument(`${name} '${value}' is not allowed; use a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A decimal number as people write it (0.01, .5, 1e-3); Number() alone would also take '0x1', '0b1' and ''. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parses a number option, naming the option and the allowed range when it is wrong. */
export function numberOption(name: string, min: number, max: number, exclusiveMin = false) {
  return (value: string): number => {
    const n = Number(value);
    const low = exclusiveMin ? n > min : n >= min;
    if (!DECIMAL.test(value.trim()) || !Number.isFinite(n) || !low || n > max) {
      throw badArgument(`${name} '${value}' is not allowed; use a number ${exclusiveMin ? 'above' : 'from'} ${min} ${exclusiveMin ? 'and at most' : 'to'} ${max}.`);
    }
    return n;
  };
}

/** Parses one of a fixed set of words. */
export function choiceOption<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw badArgument(`${name} '${value}' is not known; use one of ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** Collects a repeatable path inside a folder (e.g. a file to leave out of an import): relative, not climbing out. */
export function relativePathsOption(name: string) {
  return (value: string, previous: string[] | undefined): string[] => {
    const parts = value.split(/[\\/]/);
    if (value === '' || path.isAbsolute(value) || parts.includes('..')) {
      throw badArgument(`${name} '${value}' is not allowed; use a path inside the folder, relative to it, e.g. cats/001.jpg.`);
    }
    return [...(previous ?? []), parts.join('/')];
  };
}

/** Parses a free-text option such as a name: 1 to `maxLength` characters, no control characters (they garble lists). */
export function textOption(name: string, maxLength: number) {
  return (value: string): string => {
    // eslint-disable-next-line no-control-regex
    if (value.trim() === '' || value.length > maxLength || /[\u0000-\u001f\u007f]/.test(value)) {
      const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
      throw badArgument(`${name} ${JSON.stringify(shown)} is not allowed; use 1 to ${maxLength} characters without control characters.`);
    }
    return value;
  };
}

/**
 * The import's refusal of a folder that holds no class folders of images (the error carries the scan's skipped
 * files) as a usage error that lists what was found instead; any other error is returned as it is.
 */
export function importRefusal(error: unknown): unknown {
  const skipped = (error as { skipped?: unknown } | undefined)?.skipped;
  if (!(error instanceof Error) || !Array.isArray(skipped)) return error;
  const lines = (skipped as SkippedFile[]).slice(0, 10).map((s) => `  ${s.path}: ${s.reason} (${s.detail})`);
  if (skipped.length > 10) lines.push(`  ... and ${skipped.length - 10} more`);
  return new CliError([error.message, ...lines].join('\n'), EXIT.usage);
}

/** Parses a folder that is made when missing (such as --home): refused when empty or when it names a file. */
export function folderOption(name: string) {
  return (value: string): string => {
    if (value.trim() === '') throw badArgument(`${name} '' is not allowed; give a folder (it is made if missing).`);
    if (fs.existsSync(value) && !fs.statSync(value).isDirectory()) throw badArgument(`${name} '${value}' is a file; expected a folder (it is made if missing).`);
    return value;
  };
}
