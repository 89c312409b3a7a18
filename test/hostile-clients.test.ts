/**
 * Hostile clients over HTTP, WebSocket and SSE against a server with a token, a connection limit and
 * a message size limit: a forbidden Origin, a missing or wrong token, unknown views and view names
 * carrying SQL or paths, oversized messages, a connection flood beyond the limit, writes by HTTP.
 * Each is refused with its documented status or close code and a message saying why, and a dashboard
 * client that was connected all along keeps receiving every batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { App } from '../src/cli/app.js';
import { MuxClient, wsUrl } from './support/mux-client.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

const TOKEN = 'hostile-test-token-42';
const MAX_CONNECTIONS = 20;
const MAX_MESSAGE = 1024;

const SQL_NAMES = [
  "top10'; DROP TABLE recentchanges; --",
  'top10; DELETE FROM recentchanges',
  'counter" WHERE 1=1 --',
  '../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  'pg_catalog.pg_authid',
  'TOP10',
  ' top10',
  'x'.repeat(500),
];

/** The HTTP status and body an upgrade is refused with (it must be refused). */
function upgradeStatus(
  url: string,
  options: { origin?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.origin ? { origin: options.origin } : {});
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.on('open', () => {
      socket.close();
      reject(new Error(`${url} was accepted`));
    });
    socket.on('error', () => undefined);
  });
}

/** Closes a client and resolves once the server has let go of its connection too. */
async function closeClient(app: App, client: MuxClient, open: number): Promise<void> {
  const done = closed(client.socket);
  client.close();
  await done;
  await connectionsSettle(app, open);
}

/**
 * Resolves once the server counts `open` connections. Its side of a close is handled a few turns of
 * the event loop after the client's, and no event announces it: look again on each turn.
 */
async function connectionsSettle(app: App, open: number): Promise<void> {
  const count = (): number =>
    Object.values(app.server.fanout.counters.connections).reduce((a, b) => a + b, 0);
  for (let turn = 0; turn < 10_000 && count() !== open; turn++) await new Promise((r) => setImmediate(r));
  assert.equal(count(), open, 'connections the server still counts');
}

/** Resolves with the close code and reason of a socket. */
function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
}

describe('hostile clients', { timeout: 300_000 }, () => {
  let app: App;
  let dashboard: MuxClient;
  let users = 0;
  const commit = (): Promise<number> => app.engine.ingest([{ user: `h${users++}`, type: 'edit' }], {});
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${app.url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}`, ...headers } });

  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
      ...['--memory', '--auth-token', TOKEN, '--max-connections', String(MAX_CONNECTIONS)],
      ...['--max-message-bytes', String(MAX_MESSAGE)],
    ]);
    await app.sourcesDone;
    dashboard = await MuxClient.open(app.url, { token: TOKEN });
    dashboard.subscribe(['counter', 'top10']);
    await dashboard.until(() => dashboard.views.size === 2);
  });

  after(async () => {
    dashboard?.close();
    await app?.close();
  });

  /** The dashboard that was there all along still gets the next batch, at its timestamp. */
  async function unaffected(): Promise<void> {
    const timestamp = await commit();
    await dashboard.reach(timestamp, ['counter', 'top10']);
    assert.equal(dashboard.socket.readyState, WebSocket.OPEN);
    const counter = (await (await get('/api/views/counter')).json()) as { rows: unknown[][] };
    assert.deepEqual(dashboard.rows('counter'), counter.rows);
  }

  it('refuses a forbidden Origin with 403 before any socket or stream exists', async () => {
    for (const path of ['/api/subscribe', '/api/stream/top10']) {
      const status = await upgradeStatus(wsUrl(app.url, path, TOKEN), { origin: 'https://evil.example' });
      assert.equal(status.status, 403, path);
      assert.match(status.body, /FORBIDDEN_ORIGIN/);
    }
    const sse = await get('/api/sse/top10', { Origin: 'https://evil.example' });
    assert.equal(sse.status, 403);
    assert.match(((await sse.json()) as { error: { message: string } }).error.message, /--allow-origin/);
    await unaffected();
  });

  it('refuses a missing or wrong token with 401 on sockets, streams and the API', async () => {
    for (const token of [undefined, 'wrong-token', `${TOKEN}x`, '']) {
      for (const path of ['/api/subscribe', '/api/stream/top10']) {
        const status = await upgradeStatus(wsUrl(app.url, path, token));
        assert.equal(status.status, 401, `${path} with ${token}`);
        assert.match(status.body, /UNAUTHORIZED/);
      }
      const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
      for (const path of ['/api/views/top10', '/api/sse/top10', '/api/status', '/metrics']) {
        const response = await fetch(`${app.url}${path}`, { headers });
        assert.equal(response.status, 401, `${path} with ${token}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      }
    }
    await unaffected();
  });

  it('refuses unknown views and names carrying SQL or paths on every transport', async () => {
    for (const name of SQL_NAMES) {
      const encoded = encodeURIComponent(name);
      const json = await get(`/api/views/${encoded}`);
      assert.equal(json.status, 404, name);
      assert.equal(((await json.json()) as { error: { code: string } }).error.code, 'UNKNOWN_VIEW');
      const sse = await get(`/api/sse/${encoded}`);
      assert.ok(sse.status === 404 || sse.status === 400, `${name}: ${sse.status}`);
      await sse.body?.cancel();
      const stream = new WebSocket(wsUrl(app.url, `/api/stream/${encoded}`, TOKEN));
      assert.equal((await closed(stream)).code, 4404, name);
    }
    const client = await MuxClient.open(app.url, { token: TOKEN });
    for (const name of SQL_NAMES) client.subscribe([name]);
    await client.until(() => client.frames.filter((f) => f.type === 'error').length === SQL_NAMES.length);
    for (const frame of client.frames.filter((f) => f.type === 'error')) {
      assert.equal(frame.code, 'UNKNOWN_VIEW');
      assert.match(frame.message ?? '', /unknown view/);
    }
    assert.equal(client.views.size, 0);
    await closeClient(app, client, 1);
    await unaffected();
  });

  it('closes a socket that sends an oversized message with 1009', async () => {
    const client = await MuxClient.open(app.url, { token: TOKEN });
    const done = closed(client.socket);
    client.socket.send(JSON.stringify({ type: 'subscribe', views: ['top10'], ref: 'x'.repeat(MAX_MESSAGE) }));
    assert.equal((await done).code, 1009);
    const stream = new WebSocket(wsUrl(app.url, '/api/stream/top10', TOKEN));
    await new Promise((resolve) => stream.once('message', resolve));
    const streamDone = closed(stream);
    stream.send('x'.repeat(MAX_MESSAGE * 4));
    assert.equal((await streamDone).code, 1009);
    await unaffected();
  });

  it('answers garbage messages with errors and keeps the socket', async () => {
    const client = await MuxClient.open(app.url, { token: TOKEN });
    const garbage = ['not json', '[]', 'null', '{"type":"drop","views":["top10"]}', '{"type":"subscribe"}'];
    for (const text of garbage) client.socket.send(text);
    client.socket.send(Buffer.from([0, 1, 2]), { binary: true });
    await client.until(() => client.frames.filter((f) => f.type === 'error').length === garbage.length + 1);
    assert.ok(client.frames.filter((f) => f.type === 'error').every((f) => f.code === 'BAD_MESSAGE'));
    client.subscribe(['counter']);
    await client.until(() => client.views.size === 1);
    await closeClient(app, client, 1);
    await unaffected();
  });

  it('refuses connections beyond the limit with 1008, then admits again once some close', async () => {
    // The dashboard holds one of the MAX_CONNECTIONS places, and nothing else is open.
    await connectionsSettle(app, 1);
    const flood = Array.from(
      { length: MAX_CONNECTIONS + 10 },
      () => new WebSocket(wsUrl(app.url, '/api/subscribe', TOKEN)),
    );
    const outcomes = await Promise.all(
      flood.map(
        (socket) =>
          new Promise<'open' | number>((resolve) => {
            socket.once('message', () => resolve('open'));
            socket.once('close', (code) => resolve(code));
          }),
      ),
    );
    const refused = outcomes.filter((o) => o === 1008).length;
    assert.equal(outcomes.filter((o) => o === 'open').length + refused, flood.length, String(outcomes));
    assert.equal(refused, 11);
    await unaffected();
    const closing = flood.filter((s) => s.readyState === WebSocket.OPEN).map((s) => closed(s));
    for (const socket of flood) socket.close();
    await Promise.all(closing);
    const again = await MuxClient.open(app.url, { token: TOKEN });
    again.subscribe(['counter']);
    await again.until(() => again.views.size === 1);
    again.close();
    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /viewcast_refused_total\{reason="too_many_connections"\} 11/);
  });

  it('refuses writes by HTTP with 405 and leaves the views as they were', async () => {
    const before = (await (await get('/api/views/counter')).json()) as { rows: unknown[][] };
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/api/views/counter', '/api/views', '/api/subscribe']) {
        const response = await fetch(`${app.url}${path}`, {
          method,
          headers: { Authorization: `Bearer ${TOKEN}` },
          body: method === 'DELETE' ? null : '{}',
        });
        assert.ok([404, 405].includes(response.status), `${method} ${path}: ${response.status}`);
      }
    }
    const ingest = await fetch(`${app.url}/api/ingest`, { method: 'POST', body: '{}' });
    assert.ok([401, 404].includes(ingest.status), `ingest without its token: ${ingest.status}`);
    const after = (await (await get('/api/views/counter')).json()) as { rows: unknown[][] };
    assert.deepEqual(after.rows, before.rows);
    await unaffected();
  });
});
