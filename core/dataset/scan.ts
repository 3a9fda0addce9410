// Walks a dataset folder: finds the classes (and a train/test split if the folder has one) and every candidate file.
import fs from 'node:fs';
import path from 'node:path';
import type { SkippedFile, Split } from './types';

/** Extensions handed to the decoder, compared in lower case. Anything else is a stray file. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp']);
/** Names (case-insensitive) of the held-out folder beside train/, in order of preference. */
const TEST_FOLDER_NAMES = ['test', 'val'];

export interface ScannedFile {
  /** Absolute path. */
  file: string;
  /** Relative to the source, '/'-separated. */
  path: string;
  /** Name of the top class folder the file sits in (at any depth). */
  className: string;
  /** Set when the folder layout fixes the split. */
  split: Split | undefined;
  size: number;
  mtimeMs: number;
}

export interface Scan {
  /** 'folders' when the source has train/ and test/ (or val/) folders of class folders. */
  layout: 'folders' | 'classes';
  /** Every class folder's name (with images or not), sorted by code unit. */
  classNames: string[];
  /** Candidate image files, sorted by path. */
  files: ScannedFile[];
  skipped: SkippedFile[];
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** An I/O error in words, led by its code (Node's messages usually start with it already). */
const errorText = (error: unknown) => {
  const { code, message } = error as NodeJS.ErrnoException;
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
};

/** Whether `file` is a symbolic link (dangling or not). */
function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A folder that is not searched: hidden ones and the resource-fork folders macOS puts into zip files. */
function ignoredFolder(name: string): string | undefined {
  if (name.startsWith('.')) return 'hidden folder; not searched';
  if (name === '__MACOSX') return 'macOS resource-fork folder; not searched';
  return undefined;
}

/** Why a file name is not an image, or undefined when its extension says it is one. */
function strayReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === '.ds_store' || lower === 'thumbs.db' || lower === 'desktop.ini' || name.startsWith('._')) return 'operating-system metadata file';
  const extension = path.extname(lower);
  if (!IMAGE_EXTENSIONS.has(extension)) return `extension '${extension || '(none)'}' is not an image type (${[...IMAGE_EXTENSIONS].join(', ')})`;
  return undefined;
}

class Walker {
  readonly scan: Scan = { layout: 'classes', classNames: [], files: [], skipped: [] };
  /** Real paths of folders already walked: a symbolic link back to one of them is a loop, or a second way in. */
  private readonly visited = new Set<string>();
  /** Real paths of the class folders: a link into one of them from elsewhere is not followed (it has its own class). */
  private readonly classRoots = new Set<string>();

  constructor(
    readonly source: string,
    private readonly onFile: ((found: number) => void) | undefined,
    private readonly aborted: () => void,
  ) {
    this.visited.add(fs.realpathSync(source));
  }

  relative(file: string): string {
    return path.relative(this.source, file).split(path.sep).join('/');
  }

  skip(file: string, reason: SkippedFile['reason'], detail: string): void {
    this.scan.skipped.push({ path: this.relative(file), reason, detail });
  }

  /** A folder's entries sorted by name, each with its stat (links followed); unreadable entries are reported. */
  list(dir: string): { name: string; full: string; stat: fs.Stats }[] {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort(byCodeUnit);
    } catch (error) {
      this.skip(dir, 'unreadable', `folder cannot be read: ${errorText(error)}`);
      return [];
    }
    const out: { name: string; full: string; stat: fs.Stats }[] = [];
    for (const name of names) {
      const full = path.join(dir, name);
      try {
        out.push({ name, full, stat: fs.statSync(full) });
      } catch (error) {
        // A dangling symbolic link, or a file that vanished or may not be looked at. A name that is not valid UTF-8
        // comes back from readdir with U+FFFD in place of its bytes, and that name does not exist: say so.
        const garbled = name.includes('\uFFFD') && (error as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(full) && !isLink(full);
        this.skip(full, 'unreadable', garbled ? 'its name is not valid UTF-8, so it cannot be opened by name; rename it' : `cannot be read: ${errorText(error)}`);
      }
    }
    return out;
  }

  /** Marks class folders before any is walked, so a link from one class into another is refused. */
  reserve(dirs: string[]): void {
    for (const dir of dirs) {
      try {
        this.classRoots.add(fs.realpathSync(dir));
      } catch {
        // Reported when the folder itself is entered.
      }
    }
  }

  /** Whether a folder may be entered; refuses one whose real path was walked already, or another class's folder. */
  enter(dir: string, classRoot = false): boolean {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch (error) {
      this.skip(dir, 'unreadable', `cannot be resolved: ${errorText(error)}`);
      return false;
    }
    if (this.visited.has(real)) {
      this.skip(dir, 'unreadable', 'symbolic link to a folder already searched (a loop, or a second way to the same folder); not followed');
      return false;
    }
    if (!classRoot && this.classRoots.has(real)) {
      this.skip(dir, 'unreadable', 'symbolic link to another class folder; not followed (its images belong to that class)');
      return false;
    }
    this.visited.add(real);
    return true;
  }

  /** Every file under a class folder, at any depth, belongs to that class. */
  walkClass(dir: string, className: string, split: Split | undefined): void {
    if (!this.enter(dir, true)) return;
    const pending = [dir];
    // Depth-first with an explicit stack, entries in name order: no recursion limit on deep trees.
    while (pending.length > 0) {
      this.aborted();
      const current = pending.pop()!;
      const folders: string[] = [];
      for (const { name, full, stat } of this.list(current)) {
        if (stat.isDirectory()) {
          const ignored = ignoredFolder(name);
          if (ignored) this.skip(full, 'not-an-image', ignored);
          else if (this.enter(full)) folders.push(full);
        } else if (!stat.isFile()) {
          this.skip(full, 'not-an-image', 'not a regular file (a device, socket or pipe)');
        } else {
          const stray = strayReason(name);
          if (stray) this.skip(full, 'not-an-image', stray);
          else {
            this.scan.files.push({ file: full, path: this.relative(full), className, split, size: stat.size, mtimeMs: stat.mtimeMs });
            this.onFile?.(this.scan.files.length);
          }
        }
      }
      pending.push(...folders.reverse());
    }
  }

  /** A file beside the class folders: an operating system's metadata file, or an image outside any class. */
  strayAtTop(full: string, name: string): void {
    const stray = strayReason(name);
    if (stray) this.skip(full, 'not-an-image', stray);
    else this.skip(full, 'outside-class-folder', 'files must be inside a class folder');
  }

  /** The class folders directly inside `root`, by name; files there are outside any class and reported. */
  classFolders(root: string, entries = this.list(root)): { name: string; full: string }[] {
    const out: { name: string; full: string }[] = [];
    for (const { name, full, stat } of entries) {
      if (!stat.isDirectory()) {
        this.strayAtTop(full, name);
        continue;
      }
      const ignored = ignoredFolder(name);
      if (ignored) this.skip(full, 'not-an-image', ignored);
      else out.push({ name, full });
    }
    return out;
  }
}

/**
 * Scans a dataset folder. Throws when it does not exist or is not a folder; every other problem is a skipped entry.
 * @param onFile called with the number of candidate files found so far.
 * @param aborted called between folders; may throw to stop the scan.
 */
export function scanFolder(source: string, onFile?: (found: number) => void, aborted: () => void = () => {}): Scan {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`Dataset folder '${source}' does not exist; expected a folder whose subfolders are classes.`);
    throw new Error(`Dataset folder '${source}' cannot be read (${errorText(error)}).`);
  }
  if (!stat.isDirectory()) throw new Error(`'${source}' is a file, not a folder; expected a folder whose subfolders are classes (or train/ and test/ folders of class folders).`);
  const walker = new Walker(source, onFile, aborted);
  const scan = walker.scan;
  const top = walker.list(source);
  const folders = top.filter((e) => e.stat.isDirectory());
  const train = folders.find((e) => e.name.toLowerCase() === 'train');
  const test = TEST_FOLDER_NAMES.map((n) => folders.find((e) => e.name.toLowerCase() === n)).find((e) => e !== undefined);
  const classes: { name: string; full: string; split: Split | undefined }[] = [];
  if (train && test) {
    scan.layout = 'folders';
    for (const e of top) {
      if (e === train || e === test) continue;
      const ignored = e.stat.isDirectory() ? ignoredFolder(e.name) : undefined;
      if (ignored) walker.skip(e.full, 'not-an-image', ignored);
      else if (e.stat.isDirectory()) walker.skip(e.full, 'outside-class-folder', `folder beside ${train.name}/ and ${test.name}/; not used`);
      else walker.strayAtTop(e.full, e.name);
    }
    for (const [folder, split] of [[train, 'train'], [test, 'test']] as const) {
      if (walker.enter(folder.full, true)) classes.push(...walker.classFolders(folder.full).map((c) => ({ ...c, split })));
    }
  } else {
    classes.push(...walker.classFolders(source, top).map((c) => ({ ...c, split: undefined })));
  }
  walker.reserve(classes.map((c) => c.full));
  for (const c of classes) walker.walkClass(c.full, c.name, c.split);
  const names = new Set(classes.map((c) => c.name));
  scan.classNames = [...names].sort(byCodeUnit);
  scan.files.sort((a, b) => byCodeUnit(a.path, b.path));
  scan.skipped.sort((a, b) => byCodeUnit(a.path, b.path));
  return scan;
}
