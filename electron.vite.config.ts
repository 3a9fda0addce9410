// Builds the desktop app into out/: main and preload for Electron, the renderer page with Svelte.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './renderer.vite.config';

// Absolute entries: a bare 'electron/...' path would be taken for the 'electron' package.
const root = import.meta.dirname;

export default defineConfig({
  main: {
    // The package.json dependencies stay outside the bundle (electron-vite's default, spelled out): better-sqlite3,
    // sharp and webgpu load native .node files that electron-builder unpacks from the asar archive.
    build: { externalizeDeps: true, rollupOptions: { input: resolve(root, 'electron/main/index.ts') } },
  },
  preload: {
    build: {
      // Two preloads, both CommonJS (preload scripts cannot be ES modules when sandboxed): the page's, which may
      // require only 'electron' (a test checks the bundle), and the hidden compute window's, which runs the engine
      // with Node and keeps the package.json dependencies outside the bundle like main.
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts'), compute: resolve(root, 'electron/compute/index.ts') },
        // Optional packages load with require() (not import()), which a CommonJS preload resolves like main does.
        output: { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', dynamicImportInCjs: false },
      },
    },
  },
  renderer: rendererConfig,
});
