import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server for flows to call, standing in for the outside world: it counts and times
 * every request per path (the side effects that must happen exactly once). A path holding
 * `status-<code>-<n>` answers <code> to its first n requests; a path in `failing` answers 503.
 * Failures answer 5 000 bytes of text, successes `{"ok":true}`.
 */
export interface SideEffectServer {
  url: string;
  failing: Set<string>;
  calls(path: string): number;
  /** When each request of `path` arrived (Date.now()). */
  times(path: string): number[];
  close(): Promise<void>;
}

export async function sideEffectServer(): Promise<SideEffectServer> {
  const seen = new Map<string, number[]>();
  const failing = new Set<string>();
  const server = http.createServer((request, response) => {
    const path = request.url ?? '';
    const times = [...(seen.get(path) ?? []), Date.now()];
    seen.set(path, times);
    const [, code, first] = /status-(\d{3})-(\d+)/.exec(path) ?? [];
    const status = failing.has(path) ? 503 : code && times.length <= Number(first) ? Number(code) : 200;
    if (status === 200) response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    else response.writeHead(status, { 'content-type': 'text/plain' }).end(`${'x'.repeat(5_000)} busy`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failing,
    calls: (path) => seen.get(path)?.length ?? 0,
    times: (path) => seen.get(path) ?? [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
