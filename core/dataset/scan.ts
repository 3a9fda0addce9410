// Walks a dataset folder: finds the classes (and a train/test split if the folder has one) and every candidate file.
import fs from 'node:fs';
import path from 'node:path';
import type { SkippedFile, Split } from './types';

/** Extensions worth handing to the decoder (compared in lower case). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp', '.jp2', '.svg']);
const TEST_FOLDER_NAMES = ['test', 'val', 'validation'];

export interface ScannedFile {
  /** Absolute path. */
  file: string;
  /** Relative to the source, '/'-separated. */
  path: string;
  className: string;
  /** Set when the folder layout fixes the split. */
  split: Split | undefined;
  size: number;
  mtimeMs: number;
}

export interface Scan {
  layout: 'folders' | 'classes';
  /** Class folder names in first-seen, code-unit sorted order. */
  classNames: string[];
  files: ScannedFile[];
  skipped: SkippedFile[];
}

function relative(source: string, file: string): string {
  return path.relative(source, file).split(path.sep).join('/');
}

function listDirectory(dir: string, source: string, skipped: SkippedFile[]): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    skipped.push({ path: relative(source, dir) || '.', reason: 'unreadable', detail: `folder cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
    return [];
  }
}

/** Every file under `dir`, following symbolic links but never visiting a folder twice (link loops). */
function walk(dir: string, source: string, visited: Set<string>, skipped: SkippedFile[], out: { file: string; stat: fs.Stats }[]): void {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch (error) {
    skipped.push({ path: relative(source, dir), reason: 'unreadable', detail: `cannot resolve: ${(error as Error).message}` });
    return;
  }
  if (visited.has(real)) {
    skipped.push({ path: relative(source, dir), reason: 'unreadable', detail: 'a symbolic link back to a folder already visited (a loop); not followed' });
    return;
  }
  visited.add(real);
  for (const entry of listDirectory(dir, source, skipped)) {
    const full = path.join(dir, entry.name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (error) {
      skipped.push({ path: relative(source, full), reason: 'unreadable', detail: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      continue;
    }
    if (stat.isDirectory()) walk(full, source, visited, skipped, out);
    else if (stat.isFile()) out.push({ file: full, stat });
  }
}

/** Sorts files into candidates and stray files (with the reason they are left out). */
function classify(files: { file: string; stat: fs.Stats }[], source: string, className: string, split: Split | undefined, out: Scan): void {
  for (const { file, stat } of files) {
    const rel = relative(source, file);
    const base = path.basename(file);
    const extension = path.extname(base).toLowerCase();
    if (base === '.DS_Store' || base.toLowerCase() === 'thumbs.db' || base.toLowerCase() === 'desktop.ini' || base.startsWith('._')) {
      out.skipped.push({ path: rel, reason: 'not-an-image', detail: 'operating-system metadata file' });
    } else if (!IMAGE_EXTENSIONS.has(extension)) {
      out.skipped.push({ path: rel, reason: 'not-an-image', detail: `extension '${extension || '(none)'}' is not an image type` });
    } else {
      out.files.push({ file, path: rel, className, split, size: stat.size, mtimeMs: stat.mtimeMs });
    }
  }
}

export function scanFolder(source: string): Scan {
  if (!fs.existsSync(source)) throw new Error(`Dataset folder '${source}' does not exist.`);
  if (!fs.statSync(source).isDirectory()) throw new Error(`'${source}' is a file; expected a folder whose subfolders are classes.`);
  const scan: Scan = { layout: 'classes', classNames: [], files: [], skipped: [] };
  const top = listDirectory(source, source, scan.skipped);
  const isFolder = (e: fs.Dirent) => e.isDirectory() || (e.isSymbolicLink() && safeIsDirectory(path.join(source, e.name)));
  const folders = top.filter(isFolder);
  const trainFolder = folders.find((e) => e.name.toLowerCase() === 'train');
  const testFolder = folders.find((e) => TEST_FOLDER_NAMES.includes(e.name.toLowerCase()));
  const visited = new Set<string>();
  const names = new Set<string>();
  const strayAt = (dir: string, entries: fs.Dirent[]) => {
    for (const e of entries) {
      if (!isFolder(e)) scan.skipped.push({ path: relative(source, path.join(dir, e.name)), reason: 'outside-class-folder', detail: 'files must be inside a class folder' });
    }
  };
  const addClasses = (root: string, split: Split | undefined) => {
    const entries = root === source ? top : listDirectory(root, source, scan.skipped);
    strayAt(root, entries);
    for (const e of entries.filter(isFolder)) {
      names.add(e.name);
      const files: { file: string; stat: fs.Stats }[] = [];
      walk(path.join(root, e.name), source, visited, scan.skipped, files);
      classify(files, source, e.name, split, scan);
    }
  };
  if (trainFolder && testFolder) {
    scan.layout = 'folders';
    strayAt(source, top);
    addClasses(path.join(source, trainFolder.name), 'train');
    addClasses(path.join(source, testFolder.name), 'test');
    for (const e of folders) {
      if (e !== trainFolder && e !== testFolder) scan.skipped.push({ path: e.name, reason: 'outside-class-folder', detail: `folder beside ${trainFolder.name}/ and ${testFolder.name}/ is not used` });
    }
  } else {
    addClasses(source, undefined);
  }
  scan.classNames = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return scan;
}

function safeIsDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
