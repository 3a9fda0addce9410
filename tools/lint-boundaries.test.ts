// Checks that the process boundaries are enforced by the tools: each lint rule fires on small in-memory files at
// virtual paths, clean code passes, and the renderer's type-check stays free of Node and Electron types.
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

/** Lints `code` as if it were the file at `file` (relative to the repository root): 'ruleId: message' per problem. */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((m) => `${m.ruleId ?? 'parser'}: ${m.message}`);
}

/** A module that imports `name` from `source` and uses it, as a value or as a type. */
function importing(source: string, kind: 'value' | 'type' = 'value'): string {
  return kind === 'value' ? `import { name } from '${source}';\nexport const used = name;\n` : `import type { Name } from '${source}';\nexport type Used = Name;\n`;
}

const restricted = (message: RegExp) => [expect.stringMatching(new RegExp(`^@typescript-eslint/no-restricted-imports: .*${message.source}`))];

describe('core/ (the engine) imports no UI and no host', () => {
  it.each([
    ['electron', /must not import Electron/],
    ['electron/main', /must not import Electron/],
    ['svelte', /must not import Svelte/],
    ['svelte/store', /must not import Svelte/],
    ['../../electron/main/api-handlers', /must not import from a host/],
    ['../../renderer/src/api-client', /must not import from a host/],
    ['../../cli/context', /must not import from a host/],
  ])('refuses %s', async (source, message) => {
    expect(await problems('core/train/x.ts', importing(source))).toEqual(restricted(message));
  });

  it('refuses host code even as a type', async () => {
    expect(await problems('core/train/x.ts', importing('../../renderer/src/api-client', 'type'))).toEqual(restricted(/must not import from a host/));
  });

  it('passes Node, packages and its own modules, including names that merely contain a host folder name', async () => {
    const code = [
      "import fs from 'node:fs';",
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { a } from '../model/config';",
      "import { b } from './renderer-stats';",
      'export const used = [fs, tf, a, b];',
      '',
    ].join('\n');
    expect(await problems('core/train/x.ts', code)).toEqual([]);
  });
});

describe('imports inside core/ run one way', () => {
  it.each([
    ['core/model/x.ts', '../train/trainer', /core\/model\/ must not import from core\/train\//],
    ['core/model/x.ts', '../workbench/training', /the model is below training/],
    ['core/evaluate/x.ts', '../train/augment', /core\/evaluate\/ must not import from core\/train\//],
    ['core/evaluate/x.ts', '../workbench/recorder', /evaluation is below training and the workbench/],
    ['core/export/x.ts', '../workbench/version', /core\/export\/ must not import from core\/workbench\//],
  ])('%s may not import %s', async (file, source, message) => {
    expect(await problems(file, importing(source))).toEqual(restricted(message));
  });

  it('keeps the rules of all of core/ for those folders, and lets them import what is below them', async () => {
    expect(await problems('core/evaluate/x.ts', importing('../../cli/main'))).toEqual(restricted(/must not import from a host/));
    expect(await problems('core/evaluate/x.ts', importing('../model/input'))).toEqual([]);
    expect(await problems('core/train/x.ts', importing('../evaluate/evaluate'))).toEqual([]);
  });
});

describe('core/compute/, the compute side', () => {
  it.each([['../runlog/run-log'], ['../service/context'], ['../workbench/recorder'], ['better-sqlite3']])('may not import %s (the host owns it)', async (source) => {
    expect(await problems('core/compute/x.ts', importing(source))).toEqual(restricted(/core\/compute\/ is the compute side: the run log, the service and the host-side workbench/));
  });

  it("keeps core/'s rules, and imports the engine's parts and its own protocol", async () => {
    expect(await problems('core/compute/x.ts', importing('electron'))).toEqual(restricted(/core\/ must not import Electron/));
    for (const source of ['../train/trainer', '../model/alexnet', '../evaluate/evaluate', './protocol']) expect(await problems('core/compute/x.ts', importing(source))).toEqual([]);
  });
});

describe('core/vocabulary.ts, which every process and the page import', () => {
  it('imports nothing, not even a type', async () => {
    expect(await problems('core/vocabulary.ts', importing('./words'))).toEqual(restricted(/core\/vocabulary\.ts imports nothing/));
    expect(await problems('core/vocabulary.ts', importing('node:fs', 'type'))).toEqual(restricted(/core\/vocabulary\.ts imports nothing/));
    expect(await problems('core/vocabulary.ts', 'export const LEVELS = [1, 2] as const;\n')).toEqual([]);
  });

  it("is the one part of core/ whose values the page may import", async () => {
    expect(await problems('renderer/src/x.ts', importing('../../core/vocabulary'))).toEqual([]);
    expect(await problems('renderer/src/x.ts', importing('../../core/vocabulary-extra'))).toEqual(restricted(/only types from core/));
    expect(await problems('renderer/src/x.ts', importing('../../core/api/vocabulary'))).toEqual(restricted(/only types from core/));
  });
});

describe('renderer/ (a browser page) imports no Node, no Electron, no engine code', () => {
  it.each([
    ['node:fs', /no Node modules/],
    ['fs', /no Node modules/],
    ['fs/promises', /no Node modules/],
    ['path', /no Node modules/],
    ['child_process', /no Node modules/],
    ['os', /no Node modules/],
    ['crypto', /no Node modules/],
    ['electron', /only through window.api/],
    ['@tensorflow/tfjs-core', /only through window.api/],
    ['better-sqlite3', /only through window.api/],
    ['sharp', /only through window.api/],
    ['webgpu', /only through window.api/],
    ['../../core/model/alexnet', /only types from core/],
    ['../../electron/preload/index', /must not import from electron\/ or cli\//],
  ])('refuses %s', async (source, message) => {
    expect(await problems('renderer/src/x.ts', importing(source))).toEqual(restricted(message));
  });

  it.each([
    ['node:fs', /no Node modules/],
    ['electron', /only through window.api/],
    ['../../electron/preload/index', /must not import from electron\/ or cli\//],
  ])('refuses %s even as a type (its types would reach the DOM-only type-check)', async (source, message) => {
    expect(await problems('renderer/src/x.ts', importing(source, 'type'))).toEqual(restricted(message));
  });

  it('holds Svelte components to the same boundaries, and to Svelte\'s own rules', async () => {
    const component = (script: string, markup = '<p>{used}</p>') => `<script lang="ts">\n${script}</script>\n\n${markup}\n`;
    expect(await problems('renderer/src/views/X.svelte', component("  import fs from 'node:fs';\n  const used = fs.existsSync('/');\n"))).toEqual(restricted(/no Node modules/));
    expect(await problems('renderer/src/views/X.svelte', component("  import { AlexNet } from '../../../core/model/alexnet';\n  const used = AlexNet.name;\n"))).toEqual(restricted(/only types from core/));
    expect(await problems('renderer/src/views/X.svelte', component("  const items: string[] = $state([]);\n", '{#each items as item}<p>{item}</p>{/each}'))).toEqual([expect.stringMatching(/^svelte\/require-each-key: /)]);
    expect(await problems('renderer/src/views/X.svelte', component("  import type { RunSummary } from '../../../core/api/contract';\n  let { run }: { run: RunSummary } = $props();\n  const used = $derived(run.id);\n"))).toEqual([]);
  });

  it('passes types from core/, Svelte and its own modules (also one named like a Node module)', async () => {
    const code = [
      "import type { HostApi } from '../../core/api/contract';",
      "import { mount } from 'svelte';",
      "import { invoke } from './api-client';",
      "import { on } from './events';",
      'export type Api = HostApi;',
      'export const used = [mount, invoke, on, window.location];',
      '',
    ].join('\n');
    expect(await problems('renderer/src/x.ts', code)).toEqual([]);
  });
});

describe("electron/preload imports only 'electron' and types", () => {
  it.each([['node:fs'], ['path'], ['../../core/api/contract'], ['./helpers']])('refuses %s', async (source) => {
    expect(await problems('electron/preload/x.ts', importing(source))).toEqual(restricted(/may import only 'electron'/));
  });

  it("passes 'electron' and the contract's types", async () => {
    const code = importing('electron') + importing('../../core/api/contract', 'type');
    expect(await problems('electron/preload/x.ts', code)).toEqual([]);
  });
});

describe('electron/main and cli/ import no UI code', () => {
  it.each([
    ['electron/main/x.ts', 'svelte', /does not import UI or CLI code/],
    ['electron/main/x.ts', '../../renderer/src/api-client', /does not import UI or CLI code/],
    ['cli/commands/x.ts', 'electron', /no Electron and no UI code/],
    ['cli/commands/x.ts', 'svelte', /no Electron and no UI code/],
    ['cli/commands/x.ts', '../../renderer/src/api-client', /no Electron and no UI code/],
    ['cli/commands/x.ts', '../../electron/main/api-handlers', /no Electron and no UI code/],
  ])('%s refuses %s', async (file, source, message) => {
    expect(await problems(file, importing(source))).toEqual(restricted(message));
  });

  it('pass Electron in main, and the engine and Node in both', async () => {
    expect(await problems('electron/main/x.ts', importing('electron') + importing('node:path').replace(/used/g, 'used2') + importing('../../core/api/contract').replace(/used/g, 'used3'))).toEqual([]);
    expect(await problems('cli/commands/x.ts', importing('commander') + importing('../../core/runlog/run-log').replace(/used/g, 'used2'))).toEqual([]);
  });
});

describe('server/ (the browser host) and electron/compute (the compute window)', () => {
  it.each([
    ['server/x.ts', 'electron', /no Electron, UI or CLI code/],
    ['server/x.ts', 'svelte', /no Electron, UI or CLI code/],
    ['server/x.ts', '../renderer/src/api-client', /no Electron, UI or CLI code/],
    ['server/x.ts', '../cli/context', /no Electron, UI or CLI code/],
    ['electron/compute/x.ts', '../main/index', /no UI, CLI, host or main-process code/],
    ['electron/compute/x.ts', '../../renderer/src/api-client', /no UI, CLI, host or main-process code/],
    ['electron/compute/x.ts', '../../core/service/service', /free of native modules/],
    ['electron/compute/x.ts', '../../core/runlog/run-log', /free of native modules/],
    ['electron/compute/x.ts', 'sharp', /free of native modules/],
  ])('%s refuses %s', async (file, source, message) => {
    expect(await problems(file, importing(source))).toEqual(restricted(message));
  });

  it('pass the engine and Node (server), and Electron and the compute part (compute window)', async () => {
    expect(await problems('server/x.ts', importing('ws') + importing('../core/service/dispatch').replace(/used/g, 'used2'))).toEqual([]);
    expect(await problems('electron/compute/x.ts', importing('electron') + importing('../../core/compute/compute-server').replace(/used/g, 'used2'))).toEqual([]);
  });
});

describe('file names', () => {
  it.each([['core/train/BadName.ts'], ['core/train/snake_case.ts'], ['cli/commands/trainRun.ts'], ['bin/Start.js']])('refuses %s', async (file) => {
    expect(await problems(file, 'export const a = 1;\n')).toEqual([expect.stringMatching(/^local\/file-name: File name '[^']+' is not kebab-case/)]);
  });

  it.each([
    ['core/train/conv-gradient.ts'],
    ['core/train/conv-gradient.test.ts'],
    ['core/runlog/migrations/0002-more.ts'],
    ['renderer/src/env.d.ts'],
    ['renderer/src/RunList.svelte.ts'],
    ['electron.vite.config.ts'],
    ['eslint.config.js'],
  ])('passes %s', async (file) => {
    expect(await problems(file, 'export const a = 1;\n')).toEqual([]);
  });
});

describe("the renderer's type-check", () => {
  it('sees DOM types, the contract and the vocabulary, and no Node, Electron or TensorFlow.js types', () => {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'renderer/tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } })!;
    const files = ts
      .createProgram(config.fileNames, config.options)
      .getSourceFiles()
      .map((file) => path.relative(root, file.fileName).split(path.sep).join('/'));
    expect(files).toContain('core/api/contract.ts');
    expect(files).toContain('core/vocabulary.ts');
    expect(files).toContain('renderer/src/env.d.ts');
    expect(files.some((file) => file.endsWith('lib.dom.d.ts'))).toBe(true);
    expect(files.filter((file) => /node_modules\/(@types\/node|electron|@tensorflow)\//.test(file) || /^(core\/(?!api\/contract\.ts|vocabulary\.ts)|electron\/|cli\/)/.test(file))).toEqual([]);
  });
});
