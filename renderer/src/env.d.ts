// Types the page sees: the preload's API on window (declared once, in the contract), and Svelte components as modules.
import type { HostApi } from '../../core/api/contract';

declare global {
  interface Window {
    // From the contract, not from electron/preload: importing the preload would pull Electron's and Node's types
    // into this DOM-only type-check. The preload is checked against HostApi with `satisfies`.
    api: HostApi;
  }
}

declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component;
  export default component;
}
