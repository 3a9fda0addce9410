// Lint rules, including the process boundaries of the layout (see README "Layout"): a path says where code runs.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'path', 'process', 'stream', 'url', 'util', 'worker_threads', 'zlib'];

/** File names are kebab-case (Svelte components are PascalCase; migrations start with their number). */
const fileNameRule = {
  meta: { type: 'suggestion', schema: [], messages: { name: "File name '{{name}}' is not kebab-case (e.g. 'conv-gradient.ts')." } },
  create(context) {
    const name = context.filename.split(/[\\/]/).pop() ?? '';
    if (/\.svelte(\.ts)?$/.test(name) || /\.config\.(ts|js)$/.test(name)) return {};
    return {
      Program(node) {
        if (!/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/.test(name)) context.report({ node, messageId: 'name', data: { name } });
      },
    };
  },
};

const restrict = (patterns, paths = []) => ['error', { paths, patterns }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'resources/**', '.device/**', 'scratch/**', '**/*.svelte', 'bench/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    plugins: { local: { rules: { 'file-name': fileNameRule } } },
    rules: {
      'local/file-name': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The engine runs in plain Node (and its compute part in any page with WebGPU): no UI frameworks, no hosts.
    files: ['core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { group: ['electron', 'electron/*'], message: 'core/ must not import Electron: the engine runs in plain Node.' },
        { group: ['svelte', 'svelte/*'], message: 'core/ must not import Svelte: the engine never calls UI code.' },
        { group: ['**/electron/**', '**/renderer/**', '**/cli/**'], message: 'core/ must not import from a host (electron/, renderer/, cli/).' },
      ]),
    },
  },
  {
    // The renderer is a browser page: no Node, no Electron, no engine code (types only).
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { group: ['node:*', ...NODE_BUILTINS], message: 'renderer/ runs in a browser page: no Node modules.' },
        { group: ['electron', 'electron/*', 'better-sqlite3', 'sharp', 'webgpu', '@tensorflow/*'], allowTypeImports: true, message: 'renderer/ reaches the engine only through the API in core/api.' },
        { group: ['**/core/**'], allowTypeImports: true, message: 'renderer/ may import only types from core/.' },
      ]),
    },
  },
  {
    // The preload script exposes the API and nothing else.
    files: ['electron/preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { group: ['node:*', ...NODE_BUILTINS], message: 'The preload script must not use Node modules.' },
        { group: ['**/core/**', '!**/core/api/**'], allowTypeImports: true, message: 'The preload script may import only the API contract from core/.' },
      ]),
    },
  },
  {
    files: ['cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { group: ['electron', 'electron/*', 'svelte', 'svelte/*', '**/renderer/**', '**/electron/**'], message: 'cli/ is a terminal host: no Electron or UI code.' },
      ]),
    },
  },
);
