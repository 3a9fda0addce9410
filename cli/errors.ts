// The CLI's error kinds and the exit codes they map to (documented in the README).
import { InvalidArgumentError } from 'commander';

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

/** Parses a number option, naming the option and the allowed range when it is wrong. */
export function numberOption(name: string, min: number, max: number, exclusiveMin = false) {
  return (value: string): number => {
    const n = Number(value);
    const low = exclusiveMin ? n > min : n >= min;
    if (value.trim() === '' || !Number.isFinite(n) || !low || n > max) {
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
