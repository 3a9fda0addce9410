// Checks that the linter enforces the process boundaries and file names: each rule fires on a violation, clean code passes.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function messages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('process boundaries', () => {
  it('core/ may not import Electron, Svelte or a host', async () => {
    expect(await messages('core/train/x-file.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([expect.stringMatching(/core\/ must not import Electron/)]);
    expect(await messages('core/train/x-file.ts', "import { mount } from 'svelte';\nexport const a = mount;\n")).toEqual([expect.stringMatching(/must not import Svelte/)]);
    expect(await messages('core/train/x-file.ts', "import { runCli } from '../../cli/main';\nexport const a = runCli;\n")).toEqual([expect.stringMatching(/must not import from a host/)]);
    expect(await messages('core/train/x-file.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toEqual([]);
  });

  it('renderer/ may not use Node, Electron or the engine, except engine types', async () => {
    expect(await messages('renderer/src/x-file.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toEqual([expect.stringMatching(/no Node modules/)]);
    expect(await messages('renderer/src/x-file.ts', "import path from 'path';\nexport const a = path;\n")).toEqual([expect.stringMatching(/no Node modules/)]);
    expect(await messages('renderer/src/x-file.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toEqual([expect.stringMatching(/only through the API/)]);
    expect(await messages('renderer/src/x-file.ts', "import type { Api } from '../../electron/preload/index';\nexport type A = Api;\n")).toEqual([]);
    expect(await messages('renderer/src/x-file.ts', "import { AlexNet } from '../../core/model/alexnet';\nexport const a = AlexNet;\n")).toEqual([expect.stringMatching(/only types from core/)]);
    expect(await messages('renderer/src/x-file.ts', "import type { ModelConfig } from '../../core/model/config';\nexport type A = ModelConfig;\n")).toEqual([]);
  });

  it('the preload script imports only the API contract', async () => {
    expect(await messages('electron/preload/x-file.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toEqual([expect.stringMatching(/must not use Node modules/)]);
    expect(await messages('electron/preload/x-file.ts', "import { contextBridge } from 'electron';\nexport const a = contextBridge;\n")).toEqual([]);
  });

  it('file names are kebab-case', async () => {
    expect(await messages('core/train/BadName.ts', 'export const a = 1;\n')).toEqual([expect.stringMatching(/'BadName.ts' is not kebab-case/)]);
    expect(await messages('core/runlog/migrations/0002-more.ts', 'export const a = 1;\n')).toEqual([]);
  });
});
