// Scans real folders with links, hidden folders and stray files, and checks which files belong to which class.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFolder } from './scan';

function tree(files: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-'));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), f);
  }
  return root;
}

describe('scanFolder', () => {
  it('gives every file at any depth to its top class folder, in code-unit order', () => {
    const root = tree(['b/1.jpg', 'a/x/y/z/2.PNG', 'a/3.jpeg', 'B/4.webp', 'a/x/5.tif']);
    const scan = scanFolder(root);
    expect(scan.layout).toBe('classes');
    expect(scan.classNames).toEqual(['B', 'a', 'b']);
    expect(scan.files.map((f) => [f.path, f.className, f.split])).toEqual([
      ['B/4.webp', 'B', undefined],
      ['a/3.jpeg', 'a', undefined],
      ['a/x/5.tif', 'a', undefined],
      ['a/x/y/z/2.PNG', 'a', undefined],
      ['b/1.jpg', 'b', undefined],
    ]);
    expect(scan.files[0]!.size).toBe('B/4.webp'.length);
    expect(scan.skipped).toEqual([]);
  });

  it('reports stray files, hidden and __MACOSX folders, and files beside the class folders', () => {
    const root = tree(['k/ok.jpg', 'k/._ok.jpg', 'k/desktop.ini', 'k/.git/x.jpg', '__MACOSX/k/._ok.jpg', '.DS_Store', 'top.png', 'k/raw.cr2']);
    const scan = scanFolder(root);
    expect(scan.files.map((f) => f.path)).toEqual(['k/ok.jpg']);
    expect(scan.classNames).toEqual(['k']);
    expect(scan.skipped.map((s) => [s.path, s.reason])).toEqual([
      ['.DS_Store', 'not-an-image'],
      ['__MACOSX', 'not-an-image'],
      ['k/._ok.jpg', 'not-an-image'], // '_' (0x5f) sorts before 'g' (0x67)
      ['k/.git', 'not-an-image'],
      ['k/desktop.ini', 'not-an-image'],
      ['k/raw.cr2', 'not-an-image'],
      ['top.png', 'outside-class-folder'],
    ]);
    expect(scan.skipped.find((s) => s.path === 'k/raw.cr2')!.detail).toMatch(/^extension '\.cr2' is not an image type/);
  });

  it('follows links to files and folders, but not loops nor links into another class', () => {
    const root = tree(['a/1.jpg', 'b/2.jpg', 'outside/3.jpg']);
    fs.symlinkSync(path.join(root, 'b'), path.join(root, 'a', 'to-b'));
    fs.symlinkSync(path.join(root, 'a'), path.join(root, 'a', 'to-self'));
    fs.symlinkSync(root, path.join(root, 'b', 'to-root'));
    fs.symlinkSync(path.join(root, 'b', '2.jpg'), path.join(root, 'a', 'file-link.jpg'));
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-shared-'));
    fs.writeFileSync(path.join(shared, '4.jpg'), 'x');
    fs.symlinkSync(shared, path.join(root, 'b', 'elsewhere'));
    const scan = scanFolder(root);
    expect(scan.files.map((f) => [f.path, f.className])).toEqual([
      ['a/1.jpg', 'a'],
      ['a/file-link.jpg', 'a'],
      ['b/2.jpg', 'b'],
      ['b/elsewhere/4.jpg', 'b'],
      ['outside/3.jpg', 'outside'],
    ]);
    expect(scan.skipped.map((s) => [s.path, s.detail.match(/loop|another class/)?.[0]])).toEqual([
      ['a/to-b', 'another class'],
      ['a/to-self', 'loop'],
      ['b/to-root', 'loop'],
    ]);
  });

  it('takes the split from train/ and test/ (or val/) folders, any case, and reports what lies beside them', () => {
    const root = tree(['TRAIN/a/1.jpg', 'Test/a/2.jpg', 'Test/b/3.jpg', 'val/a/4.jpg', 'TRAIN/loose.jpg', 'readme.txt']);
    const scan = scanFolder(root);
    expect(scan.layout).toBe('folders');
    expect(scan.classNames).toEqual(['a', 'b']);
    expect(scan.files.map((f) => [f.path, f.className, f.split])).toEqual([
      ['TRAIN/a/1.jpg', 'a', 'train'],
      ['Test/a/2.jpg', 'a', 'test'],
      ['Test/b/3.jpg', 'b', 'test'],
    ]);
    expect(scan.skipped.map((s) => [s.path, s.reason])).toEqual([
      ['TRAIN/loose.jpg', 'outside-class-folder'],
      ['readme.txt', 'not-an-image'],
      ['val', 'outside-class-folder'], // test/ is preferred; val/ beside it is not used
    ]);
  });

  it('refuses a missing source and a file, naming them', () => {
    const root = tree(['f.jpg']);
    expect(() => scanFolder(path.join(root, 'nope'))).toThrow(`Dataset folder '${path.join(root, 'nope')}' does not exist; expected a folder whose subfolders are classes.`);
    expect(() => scanFolder(path.join(root, 'f.jpg'))).toThrow(`'${path.join(root, 'f.jpg')}' is a file, not a folder`);
  });
});
