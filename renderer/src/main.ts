// The page's entry: finds its way to the host (the desktop preload's window.api, or the browser host's socket with
// the token from the URL), starts keeping the app state in sync, and mounts the app.
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import NoToken from './components/NoToken.svelte';
import { takeSessionToken } from './session-token';
import { createSocketApi } from './socket-api';
import { connection } from './state/connection.svelte';
import { startSync } from './state/sync';

const target = document.getElementById('app')!;

// The desktop preload sets window.api before any page script runs; a plain browser tab has none.
if ((window as Partial<Window>).api !== undefined) {
  startSync();
  mount(App, { target });
} else {
  const token = takeSessionToken();
  if (token === null) {
    mount(NoToken, { target });
  } else {
    window.api = createSocketApi({ token, onState: (state, failedTries) => connection.update(state, failedTries) });
    startSync();
    mount(App, { target });
  }
}
