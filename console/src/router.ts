import { useEffect, useState } from 'preact/hooks';

// Every view has its own URL under /console; links navigate without reloading, and back,
// forward and reload all land on the same view.

export const BASE = '/console';

export type Route =
  | { view: 'flows' }
  | { view: 'flow'; flowId: string; version: number | null }
  | { view: 'execution'; executionId: string }
  | { view: 'locks'; lockKey: string | null }
  | { view: 'missing'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter((part) => part !== '').map((part) => decodeURIComponent(part));
  if (parts.length === 0) return { view: 'flows' };
  if (parts[0] === 'flows' && parts.length === 2) {
    const version = Number(new URLSearchParams(search).get('version'));
    return { view: 'flow', flowId: parts[1]!, version: Number.isInteger(version) && version > 0 ? version : null };
  }
  if (parts[0] === 'executions' && parts.length === 2) return { view: 'execution', executionId: parts[1]! };
  if (parts[0] === 'locks' && parts.length === 1) return { view: 'locks', lockKey: new URLSearchParams(search).get('key') };
  return { view: 'missing', path: pathname };
}

export const hrefs = {
  flows: () => BASE,
  flow: (flowId: string, version?: number) => `${BASE}/flows/${encodeURIComponent(flowId)}${version === undefined ? '' : `?version=${version}`}`,
  execution: (executionId: string) => `${BASE}/executions/${encodeURIComponent(executionId)}`,
  locks: (lockKey?: string) => `${BASE}/locks${lockKey ? `?key=${encodeURIComponent(lockKey)}` : ''}`,
};

const listeners = new Set<() => void>();

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** The current route, re-read on navigation and on back/forward. */
export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Same-origin links under /console navigate in place; modified clicks open tabs as usual. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element).closest?.('a[href]');
    if (!(anchor instanceof HTMLAnchorElement) || anchor.target || anchor.origin !== location.origin || !anchor.pathname.startsWith(BASE)) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  });
}
