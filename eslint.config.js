// Lint rules, with the process boundaries of the layout (see README "Layout"): a path says where its code runs and so
// what it may import. tools/lint-boundaries.test.ts checks that each boundary rule fires.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** File names are kebab-case; Svelte components and rune modules (*.svelte, *.svelte.ts) are PascalCase. */
const FILE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/;

const fileNameRule = {
  meta: {
    type: 'suggestion',
    docs: { description: 'File names are kebab-case (STYLE.md "Names and comments").' },
    schema: [],
    messages: { name: "File name '{{name}}' is not kebab-case; rename it like 'conv-gradient.ts'." },
  },
  create(context) {
    const name = context.filename.split(/[\\/]/).pop() ?? '';
    if (/\.svelte(\.ts)?$/.test(name) || FILE_NAME.test(name)) return {};
    return { Program: (node) => context.report({ node, messageId: 'name', data: { name } }) };
  },
};

// Node's built-ins by exact name ('fs', 'fs/promises', ...), since a gitignore-style pattern 'path' would also match
// the app's own './path'; the `node:` forms by regex.
const nodeModules = (message) => ({
  paths: builtinModules.filter((name) => !name.startsWith('_')).map((name) => ({ name, message })),
  patterns: [{ regex: '^node:', message }],
});

/** `{ paths, patterns }` lists merged into the option of @typescript-eslint/no-restricted-imports. */
function restrict(...parts) {
  return ['error', { paths: parts.flatMap((part) => part.paths ?? []), patterns: parts.flatMap((part) => part.patterns ?? []) }];
}

// A package or one of its subpaths.
const PACKAGE = (name) => `^${name.replace('/', '\\/')}(\\/|$)`;
// A relative path into one of the app's folders, e.g. '../../electron/main/x' (not the package 'electron/main').
const FOLDER = (name) => `^\\.\\.?\\/(.*\\/)?${name}\\/`;

/** What all of core/ may not import. */
const CORE = [
  { regex: PACKAGE('electron'), message: 'core/ must not import Electron: the engine runs in plain Node.' },
  { regex: PACKAGE('svelte'), message: 'core/ must not import Svelte: the engine emits events and never calls UI code.' },
  { regex: `${FOLDER('electron')}|${FOLDER('renderer')}|${FOLDER('cli')}`, message: 'core/ must not import from a host (electron/, renderer/, cli/): hosts call the engine, not the other way.' },
];

export default defineConfig(
  // scratch/: local experiments, kept out of git by .git/info/exclude.
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'resources/**', '.device/**', 'scratch/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  // Svelte components: Svelte's own rules, their <script lang="ts"> parsed by typescript-eslint.
  svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { globals: globals.browser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    plugins: { local: { rules: { 'file-name': fileNameRule } } },
    rules: {
      'local/file-name': 'error',
      // `!` is how a checked index reads under noUncheckedIndexedAccess.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs,ts}'],
    ignores: ['renderer/**', 'electron/preload/**'],
    languageOptions: { globals: globals.node },
  },
  {
    // The engine runs in plain Node (and its compute part in any page with WebGPU): no UI framework, no host.
    files: ['core/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict({ patterns: CORE }) },
  },
  // Within the engine, imports run one way: the model and evaluation below training, export below the workbench that
  // calls it (each block repeats core/'s rules, which a later block for the same files would otherwise replace).
  ...[
    ['core/model/**/*.ts', ['train', 'evaluate', 'workbench', 'service', 'reproduce', 'export'], 'the model is below training, evaluation and the workbench'],
    ['core/evaluate/**/*.ts', ['train', 'workbench', 'service', 'reproduce'], 'evaluation is below training and the workbench (the trainer calls it)'],
    ['core/export/**/*.ts', ['workbench', 'service'], 'export is below the workbench (which calls it)'],
  ].map(([files, above, why]) => ({
    files: [files],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({ patterns: [...CORE, { regex: above.map((f) => FOLDER(f)).join('|'), message: `${files.split('/**')[0]}/ must not import from ${above.map((f) => `core/${f}/`).join(', ')}: ${why}.` }] }),
    },
  })),
  {
    // The compute side (a child process, or the desktop app's compute window) holds no run log and no native module:
    // the host owns those and sends it plain data (protocol.ts).
    files: ['core/compute/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        patterns: [
          ...CORE,
          { regex: `${FOLDER('runlog')}|${FOLDER('service')}|${FOLDER('workbench')}|${PACKAGE('better-sqlite3')}`, message: 'core/compute/ is the compute side: the run log, the service and the host-side workbench (core/runlog, core/service, core/workbench) stay with the host.' },
        ],
      }),
    },
  },
  {
    // The vocabulary is imported by every process and by the page: it imports nothing itself.
    files: ['core/vocabulary.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({ patterns: [{ regex: '.', message: 'core/vocabulary.ts imports nothing: the page and every process import it.' }] }),
    },
  },
  {
    // The renderer is a browser page: no Node, no Electron, no native engine packages, and of the engine only types.
    // (Its unit tests run in Node beside it and may compare it with the engine's values.)
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    ignores: ['renderer/**/*.test.ts'],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(nodeModules('renderer/ runs in a browser page: no Node modules.'), {
        patterns: [
          { regex: `${PACKAGE('electron')}|${PACKAGE('@tensorflow')}|${PACKAGE('better-sqlite3')}|${PACKAGE('sharp')}|${PACKAGE('webgpu')}`, message: 'renderer/ reaches the engine only through window.api.' },
          // The vocabulary (core/vocabulary.ts) imports nothing: its values (the ranges, the choices) may reach the page.
          { regex: `${FOLDER('core')}(?!vocabulary$)`, allowTypeImports: true, message: 'renderer/ may import only types from core/ (`import type`), and values from core/vocabulary alone.' },
          { regex: `${FOLDER('electron')}|${FOLDER('cli')}`, message: "renderer/ must not import from electron/ or cli/; window.api's type is HostApi in core/api/contract.ts." },
        ],
      }),
    },
  },
  {
    // A sandboxed preload script can require only 'electron'; everything else it uses must be a type.
    files: ['electron/preload/**/*.ts'],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        patterns: [{ regex: '^(?!electron(\\/|$))', allowTypeImports: true, message: "The preload script may import only 'electron', and types (`import type`)." }],
      }),
    },
  },
  {
    files: ['electron/main/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        patterns: [{ regex: `${PACKAGE('svelte')}|${FOLDER('renderer')}|${FOLDER('cli')}`, message: 'electron/main serves the API; it does not import UI or CLI code.' }],
      }),
    },
  },
  {
    // The browser host runs in plain Node and serves the engine's handlers; it is not the page and not Electron.
    files: ['server/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        patterns: [{ regex: `${PACKAGE('electron')}|${PACKAGE('svelte')}|${FOLDER('renderer')}|${FOLDER('electron')}|${FOLDER('cli')}`, message: 'server/ is the browser host: the engine and Node only, no Electron, UI or CLI code.' }],
      }),
    },
  },
  {
    // The hidden compute window's preload: Electron's renderer side and the engine's compute part, nothing of the UI.
    files: ['electron/compute/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        patterns: [
          { regex: `${PACKAGE('svelte')}|${FOLDER('renderer')}|${FOLDER('cli')}|${FOLDER('server')}|${FOLDER('main')}`, message: 'electron/compute runs the engine in the compute window: no UI, CLI, host or main-process code.' },
          { regex: `${FOLDER('service')}|${FOLDER('runlog')}|${PACKAGE('better-sqlite3')}|${PACKAGE('sharp')}`, message: 'electron/compute must stay free of native modules: the run log and the service live in the main process.' },
        ],
      }),
    },
  },
  {
    files: ['cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict({
        patterns: [{ regex: `${PACKAGE('electron')}|${PACKAGE('svelte')}|${FOLDER('renderer')}|${FOLDER('electron')}`, message: 'cli/ is a terminal host: no Electron and no UI code.' }],
      }),
    },
  },
);
