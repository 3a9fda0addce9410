// Types the renderer sees: the preload's API on window, and Svelte components as modules.
import type { Api } from '../../electron/preload/index';

declare global {
  interface Window {
    api: Api;
  }
}

declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component;
  export default component;
}
