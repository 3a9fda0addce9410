// Which folders the host may read: the ones the user chose (command-line roots, a dialog, a drop). Every path argument
// is resolved through symbolic links and refused unless it lies inside one of them.
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/contract';

export class PathPolicy {
  private readonly allowed = new Set<string>();

  constructor(roots: readonly string[] = []) {
    for (const root of roots) this.add(root);
  }

  /** Allows a folder (and everything inside it). It must exist; it is kept by its real path. */
  add(root: string): string {
    const real = fs.realpathSync(path.resolve(root));
    this.allowed.add(real);
    return real;
  }

  roots(): string[] {
    return [...this.allowed];
  }

  /**
   * The real path of `candidate` when it lies inside an allowed folder; otherwise an ApiError that names it. '..'
   * segments and symbolic links are resolved first, so neither leads out.
   */
  check(candidate: string, what = 'Folder'): string {
    if (!path.isAbsolute(candidate)) throw new ApiError('E_PATH_REFUSED', `${what} '${candidate}' is not an absolute path.`);
    const inside = (p: string) =>
      [...this.allowed].some((root) => {
        const relative = path.relative(root, p);
        return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
      });
    let real: string;
    try {
      real = fs.realpathSync(candidate);
    } catch {
      // Only a missing path inside the allowed folders is said to be missing: outside them (also through a link),
      // whether a path exists is none of the page's business.
      real = resolvedAncestor(path.resolve(candidate));
      if (inside(real)) throw new ApiError('E_NOT_FOUND', `${what} '${candidate}' does not exist.`);
    }
    if (inside(real)) return real;
    const roots = this.roots();
    throw new ApiError(
      'E_PATH_REFUSED',
      `${what} '${candidate}' is outside the folders this app may read${roots.length > 0 ? ` (${roots.join(', ')})` : ''}; choose it first, or start the host with --allow.`,
    );
  }
}

/** A missing path with its deepest existing ancestor resolved through links: where it would be if it existed. */
function resolvedAncestor(missing: string): string {
  const rest: string[] = [];
  for (let at = missing; ; at = path.dirname(at)) {
    try {
      return path.join(fs.realpathSync(at), ...rest);
    } catch {
      if (path.dirname(at) === at) return missing;
      rest.unshift(path.basename(at));
    }
  }
}
