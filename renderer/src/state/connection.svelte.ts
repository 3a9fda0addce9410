// Whether the page can reach its host: always in the desktop app; in the browser, as the socket reports it. Views
// show a banner while it is lost, and the app state reloads when it comes back (events may have been missed).
import { WAITING_GIVES_UP_AFTER, type ConnectionState } from '../socket-api';

class Connection {
  state = $state<ConnectionState>('open');
  failedTries = $state(0);
  private readonly reopenListeners = new Set<() => void>();
  /** True once requests may have failed or events gone missing: after a drop, or a first open that took too long. */
  private missed = false;

  update(state: ConnectionState, failedTries: number): void {
    if (state === 'lost' || (state === 'connecting' && failedTries >= WAITING_GIVES_UP_AFTER)) this.missed = true;
    this.state = state;
    this.failedTries = failedTries;
    if (state === 'open' && this.missed) {
      this.missed = false;
      for (const listener of this.reopenListeners) listener();
    }
  }

  /** Calls `listener` each time the socket opens after requests or events may have been missed; returns the function that stops it. */
  onReopen(listener: () => void): () => void {
    this.reopenListeners.add(listener);
    return () => void this.reopenListeners.delete(listener);
  }
}

export const connection = new Connection();
