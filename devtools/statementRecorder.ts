import net from 'node:net';

/** What one client connection sent: its startup parameters and every statement, in order. */
export interface RecordedConnection {
  startup: Record<string, string>;
  /** `name` is the prepared statement's name: '' for the unnamed statement (simple queries too). */
  statements: { name: string; sql: string }[];
}

export interface StatementRecorder {
  /** `targetUrl` with its host and port replaced by the recorder's. */
  url: string;
  connections: RecordedConnection[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80_877_103;
const PROTOCOL_3 = 196_608;

/** Splits a buffer of NUL-terminated strings. */
const cStrings = (payload: Buffer): string[] => payload.toString('utf8').split('\u0000');

/**
 * A TCP relay in front of PostgreSQL that reads the frontend side of the wire protocol and keeps
 * the statements each connection sends (simple Query and Parse messages). It stands where RDS
 * Proxy would, so a test can check that nothing sent would pin a proxied connection.
 */
export async function startStatementRecorder(targetUrl: string): Promise<StatementRecorder> {
  const target = new URL(targetUrl);
  const connections: RecordedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const recorded: RecordedConnection = { startup: {}, statements: [] };
    connections.push(recorded);
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          if (pending.length < 8) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const code = pending.readInt32BE(4);
          if (code === PROTOCOL_3) {
            const pairs = cStrings(pending.subarray(8, length));
            for (let i = 0; i + 1 < pairs.length && pairs[i] !== ''; i += 2) recorded.startup[pairs[i]!] = pairs[i + 1]!;
            started = true;
          } else if (code !== SSL_REQUEST) {
            started = true;
          }
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) return;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) return;
        const type = String.fromCharCode(pending[0]!);
        const payload = pending.subarray(5, 1 + length);
        if (type === 'Q') recorded.statements.push({ name: '', sql: cStrings(payload)[0] ?? '' });
        if (type === 'P') {
          const [name = '', sql = ''] = cStrings(payload);
          recorded.statements.push({ name, sql });
        }
        pending = pending.subarray(1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
