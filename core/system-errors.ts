// Failures of the machine rather than of the program (a full disk, a removed drive, a file gone or forbidden),
// said in words with what to do, so that a host can show them as such instead of as a bug.

/** The failure in words when it is one of the machine's, else undefined. */
export function systemFailure(error: unknown): string | undefined {
  const e = error as { code?: unknown; path?: unknown; syscall?: unknown } | null;
  if (!e || typeof e.code !== 'string') return undefined;
  const where = typeof e.path === 'string' ? ` ('${e.path}')` : '';
  switch (e.code) {
    case 'ENOSPC':
      return `the disk is full${where}: free some space, then try again`;
    case 'EDQUOT':
      return `the disk quota is used up${where}: free some space, then try again`;
    case 'EROFS':
      return `the disk is read-only${where}`;
    case 'EIO':
      return `the disk reported an input/output error${where}: is the drive still attached?`;
    case 'EACCES':
    case 'EPERM':
      return `permission was refused${where}`;
    case 'ENOENT':
      return `a file or folder is gone${where}`;
    case 'SQLITE_FULL':
      return 'the disk is full (the run log could not be written): free some space, then try again';
    case 'SQLITE_IOERR':
    case 'SQLITE_IOERR_WRITE':
      return 'the run log could not be written (an input/output error): is the drive still attached?';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open; close other programs, then try again';
    default:
      return undefined;
  }
}
