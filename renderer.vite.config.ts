// Builds the page (renderer/) with Svelte into out/renderer: the same files the desktop app loads and `alexnet serve` serves.
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { UserConfig } from 'vite';

const root = import.meta.dirname;

export const rendererConfig: UserConfig = {
  root: resolve(root, 'renderer'),
  // Relative asset paths: the packaged app loads the page from file://, the browser host from its own origin.
  base: './',
  plugins: [svelte()],
  build: {
    outDir: resolve(root, 'out/renderer'),
    emptyOutDir: true,
    rollupOptions: { input: resolve(root, 'renderer/index.html') },
  },
};

export default rendererConfig;
