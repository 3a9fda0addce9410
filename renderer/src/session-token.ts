// The browser host's access token: read once from the page URL's fragment (`#token=<hex>`, as `alexnet serve` prints
// it), kept for this tab in sessionStorage so a reload still works, and taken out of the visible URL.

const STORAGE_KEY = 'alexnet-workbench:token';
// The token may follow a route (`#/runs&token=…`) as well as stand alone (`#token=…`).
const TOKEN_IN_FRAGMENT = /(^#|[&?/])token=([^&]*)/;

/** The token for this tab, or null when the page was opened without one (then it cannot reach the host). */
export function takeSessionToken(): string | null {
  const match = TOKEN_IN_FRAGMENT.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[2]!);
    try {
      sessionStorage.setItem(STORAGE_KEY, token);
    } catch (error) {
      // Storage can be switched off by policy; the page still works until it is reloaded.
      console.warn(`The access token could not be kept for reloads: ${(error as Error).message}`);
      remembered = token;
    }
    // The token grants access to the host: keep it out of the address bar, bookmarks and screenshots.
    const rest = location.hash.replace(TOKEN_IN_FRAGMENT, (_all, before: string) => (before === '#' ? '#' : '')).replace(/[&?]$/, '');
    history.replaceState(history.state, '', location.pathname + location.search + (rest === '#' ? '' : rest));
    if (token !== '') return token;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? remembered;
  } catch {
    return remembered;
  }
}

let remembered: string | null = null;
