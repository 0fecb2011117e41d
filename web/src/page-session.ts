/**
 * What only the page (the `page` attribute) does with the browser's location and storage: take
 * the credential from the URL fragment (`#token=…`, which browsers never send to a server, so
 * it reaches no server log) and remove it from the address bar at once, keep it in this tab's
 * session storage, and remember the chosen theme. The element embedded in another app touches
 * none of these.
 */

const TOKEN_KEY = 'trailkeep-viewer:token';
const THEME_KEY = 'trailkeep-viewer:theme';

/** The token in the fragment, removed from the address bar (and so from history and bookmarks). */
export function takeFragmentToken(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token === null) return null;
  fragment.delete('token');
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return token.trim() === '' ? null : token.trim();
}

function storage(kind: 'session' | 'local'): Storage | null {
  try {
    return kind === 'session' ? sessionStorage : localStorage;
  } catch {
    // Storage refused (a sandboxed frame, privacy settings): the page works, it just forgets.
    return null;
  }
}

export const storedToken = (): string | null => storage('session')?.getItem(TOKEN_KEY) ?? null;

export function storeToken(token: string | null): void {
  const s = storage('session');
  if (token === null) s?.removeItem(TOKEN_KEY);
  else s?.setItem(TOKEN_KEY, token);
}

export const storedTheme = (): string | null => storage('local')?.getItem(THEME_KEY) ?? null;

export const storeTheme = (theme: string): void => storage('local')?.setItem(THEME_KEY, theme);
