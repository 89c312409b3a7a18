/**
 * Security and limits of the Postgres-wire port, with real clients: SCRAM-SHA-256 over TLS with
 * psql (sslmode=require, a certificate made here with openssl), MD5 for old clients with
 * node-postgres, the connection limit (53300), the idle timeout (57P05), and the bounded queue of
 * a client that pipelines behind a streaming SUBSCRIBE (closed with 54000, not buffered).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import type { App } from '../src/cli/app.js';
import type { Hub } from '../src/hub/hub.js';
import { startPgServer, type RunningPgServer } from '../src/pgwire/server.js';
import type { PgLimits, PgSecurity } from '../src/pgwire/pg-options.js';
import { tempDir } from './support/engine.js';
import { waitForChannel } from './support/pg-wire.js';
import { converse, errorFields, frontendMessage, parseAnswer, startupMessage } from './support/raw-pg.js';
import { quietLog, startTestApp } from './support/server.js';

const run = promisify(execFile);

function serve(
  hub: Hub,
  password: string | null,
  settings: Partial<PgLimits & PgSecurity>,
): Promise<RunningPgServer> {
  return startPgServer({ hub, host: '127.0.0.1', port: 0, password, log: quietLog, settings });
}

describe('Postgres-wire security and limits', { timeout: 120_000 }, () => {
  let app: App;
  const servers: RunningPgServer[] = [];

  before(async () => {
    app = await startTestApp(['--source', 'simulate', '--rate', '100', '--seed', '3', '--memory']);
    await waitForChannel(app.hub.require('top10'), (c) => c.rows.size === 10);
  });

  after(async () => {
    for (const server of servers) await server.close();
    await app?.close();
  });

  it('psql with sslmode=require and SCRAM-SHA-256 against --pg-tls-cert / --pg-tls-key', async () => {
    const dir = tempDir('viewcast-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ]);
    const server = await serve(app.hub, 's3cret', {
      auth: 'scram-sha-256',
      tls: { cert: readFileSync(cert), key: readFileSync(key) },
    });
    servers.push(server);
    const url = `postgresql://materialize@127.0.0.1:${server.port}/materialize?sslmode=require`;
    const env = { ...process.env, PGPASSWORD: 's3cret' };
    const { stdout } = await run('psql', [url, '-tAc', 'SELECT count(*) FROM top10', '-c', '\\conninfo'], {
      env,
    });
    assert.match(stdout, /^10$/m);
    assert.match(stdout, /SSL connection \(protocol: TLS/);
    const wrong = await run('psql', [url, '-tAc', 'SELECT 1'], { env: { ...env, PGPASSWORD: 'nope' } }).catch(
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(String(wrong), /password authentication failed for user "materialize"/);
  });

  it('MD5 for old clients with --pg-auth md5 (node-postgres)', async () => {
    const server = await serve(app.hub, 'old', { auth: 'md5' });
    servers.push(server);
    const client = new pg.Client(`postgresql://materialize:old@127.0.0.1:${server.port}/materialize`);
    await client.connect();
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await client.end();
  });

  it('refuses one connection more than --pg-max-connections with 53300', async () => {
    const server = await serve(app.hub, null, { maxConnections: 2 });
    servers.push(server);
    const clients = [new pg.Client(server.url), new pg.Client(server.url)];
    for (const client of clients) await client.connect();
    const third = new pg.Client(server.url);
    await assert.rejects(third.connect(), (error: { code: string }) => error.code === '53300');
    await clients[0]?.end();
    await server.whenSessions(1);
    const fourth = new pg.Client(server.url);
    await fourth.connect();
    await fourth.end();
    await clients[1]?.end();
  });

  it('closes an idle connection with 57P05, not one that streams', async () => {
    const server = await serve(app.hub, null, { idleTimeoutMs: 300 });
    servers.push(server);
    const idle = new pg.Client(server.url);
    await idle.connect();
    const closed = new Promise<{ code: string }>((resolve) => idle.on('error', (e) => resolve(e as never)));
    assert.equal((await closed).code, '57P05');
    const streaming = new pg.Client(server.url);
    await streaming.connect();
    await streaming.query('BEGIN');
    await streaming.query('DECLARE c CURSOR FOR SUBSCRIBE top10 WITH (PROGRESS)');
    // FETCH without a timeout waits for rows: a statement runs, so the connection is not idle.
    for (let i = 0; i < 3; i++) await streaming.query('FETCH ALL c');
    await streaming.end().catch(() => undefined);
  });

  it('closes a client that pipelines behind a streaming SUBSCRIBE once its queue is full (54000)', async () => {
    const server = await serve(app.hub, null, { maxQueuedMessages: 10 });
    servers.push(server);
    const query = frontendMessage('Q'.charCodeAt(0), Buffer.from('COPY (SUBSCRIBE top10) TO STDOUT\0'));
    const sync = frontendMessage('S'.charCodeAt(0), Buffer.alloc(0));
    const pipelined = Array.from({ length: 50 }, () => sync);
    const answer = parseAnswer(
      await converse(
        server.port,
        [startupMessage({ user: 'materialize' }), query, Buffer.concat(pipelined)],
        false,
      ),
    );
    const errors = answer.messages.filter((m) => m.type === 'E').map((m) => errorFields(m.body));
    assert.equal(errors.at(-1)?.['C'], '54000');
    assert.match(errors.at(-1)?.['M'] ?? '', /wait behind the running statement/);
  });
});
