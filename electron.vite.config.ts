// Builds the desktop app: main and preload for Electron, the renderer with Svelte.
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';

// Absolute entries: a relative 'electron/...' path would be taken for the 'electron' package and externalised.
const root = import.meta.dirname;

export default defineConfig({
  main: { plugins: [externalizeDepsPlugin()], build: { rollupOptions: { input: resolve(root, 'electron/main/index.ts') } } },
  preload: { plugins: [externalizeDepsPlugin()], build: { rollupOptions: { input: resolve(root, 'electron/preload/index.ts') } } },
  renderer: { root: resolve(root, 'renderer'), plugins: [svelte()], build: { rollupOptions: { input: resolve(root, 'renderer/index.html') } } },
});
