// Checks the desktop app's build without the Electron binary: electron-vite's bundles (the page's preload may require
// only 'electron'; the compute window's preload no native module) and the installers' configuration.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'out');

/** The modules a CommonJS or ES bundle loads at run time. */
function requires(file: string): string[] {
  const code = fs.readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const match of code.matchAll(/require\("([^"]+)"\)|from "([^"]+)"|import\("([^"]+)"\)/g)) found.add(match[1] ?? match[2] ?? match[3]!);
  return [...found].sort();
}

describe('the desktop bundles', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
  });

  it("let the sandboxed page's preload require nothing but 'electron'", () => {
    expect(requires(path.join(out, 'preload/index.cjs'))).toEqual(['electron']);
  });

  it("keep native modules out of the compute window's preload (the run log and sharp stay in main)", () => {
    const loaded = requires(path.join(out, 'preload/compute.cjs'));
    expect(loaded).toContain('@tensorflow/tfjs-core');
    expect(loaded.filter((m) => /better-sqlite3|sharp/.test(m))).toEqual([]);
  });

  it('build the main process and the page', () => {
    expect(requires(path.join(out, 'main/index.js'))).toEqual(expect.arrayContaining(['better-sqlite3', 'electron', 'sharp']));
    expect(fs.existsSync(path.join(out, 'renderer/index.html'))).toBe(true);
  });
});

describe('the installers', () => {
  const config = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
    files: string[];
    asarUnpack: string[];
    extraResources: { from: string; to: string }[];
    linux: { target: string[] };
    mac: { target: string };
    win: { target: string };
  };

  it('are AppImage and deb, dmg, and NSIS', () => {
    expect([config.linux.target, config.mac.target, config.win.target]).toEqual([['AppImage', 'deb'], 'dmg', 'nsis']);
  });

  it('unpack the native modules from the asar archive and ship no Dawn binary of any platform', () => {
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', 'node_modules/better-sqlite3/**', 'node_modules/sharp/**', 'node_modules/@img/**']));
    expect(config.files).toEqual(['out/**', '!node_modules/webgpu/**']);
  });

  it('carry the demo dataset where the app looks for it', () => {
    expect(config.extraResources).toEqual(expect.arrayContaining([{ from: 'resources/demo-dataset', to: 'demo-dataset' }]));
    expect(fs.readFileSync(path.join(root, 'electron/main/index.ts'), 'utf8')).toContain("path.join(process.resourcesPath, 'demo-dataset')");
  });

  it("carry the cluster job's program and its network where the job writer looks for them", () => {
    const shipped = config.extraResources.filter((r) => r.to.startsWith('cluster-job/'));
    expect(shipped).toEqual([
      { from: 'resources/cluster-job/train_ddp.py', to: 'cluster-job/train_ddp.py' },
      { from: 'bench/reference_train.py', to: 'cluster-job/reference_train.py' },
    ]);
    for (const r of shipped) expect(fs.existsSync(path.join(root, r.from)), r.from).toBe(true);
    expect(config.extraResources).toHaveLength(3);
    expect(fs.readFileSync(path.join(root, 'core/cluster/job.ts'), 'utf8')).toContain("path.join(PACKAGED, 'cluster-job', name)");
  });
});
