/**
 * An SSE stream written to its raw socket after the response head (node:http's request, response
 * and parser let go): what a client sees must not change. Security headers and the SSE headers,
 * chunked events with ids, heartbeats, a resume with Last-Event-ID, and the stream closed when the
 * server stops.
 */
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Hub } from '../src/hub/hub.js';
import { startServer, type RunningServer } from '../src/server/http-server.js';
import { FakeEngine } from './support/fake-engine.js';

/** An open SSE response and the text it has received so far, with a way to wait for more. */
interface Stream {
  response: IncomingMessage;
  text: () => string;
  until: (pattern: RegExp) => Promise<string>;
  ended: Promise<void>;
}

function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
      let text = '';
      const waiters: Array<() => void> = [];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        for (const waiter of waiters.splice(0)) waiter();
      });
      const ended = new Promise<void>((done) => response.once('close', done));
      const until = async (pattern: RegExp): Promise<string> => {
        for (;;) {
          const match = pattern.exec(text);
          if (match) return match[0];
          await new Promise<void>((wake) => waiters.push(wake));
        }
      };
      resolve({ response, text: () => text, until, ended });
    });
    req.once('error', reject);
    req.end();
  });
}

describe('SSE on the raw socket', { timeout: 60_000 }, () => {
  let engine: FakeEngine;
  let hub: Hub;
  let server: RunningServer;

  before(async () => {
    engine = new FakeEngine(['a']);
    hub = new Hub(engine);
    const started = hub.start();
    engine.open('a', 10, [['first']]);
    await started;
    server = await startServer({ hub, status: () => ({}), options: { heartbeatMs: 50 } }, '127.0.0.1', 0);
  });

  after(async () => {
    await server?.close();
    hub?.close();
  });

  it('keeps the headers, the events with ids and the heartbeats', async () => {
    const stream = await openStream(`${server.url}/api/sse/a`);
    const { headers, statusCode } = stream.response;
    assert.equal(statusCode, 200);
    assert.equal(headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(headers['cache-control'], 'no-store');
    assert.equal(headers['transfer-encoding'], 'chunked');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.match(String(headers['content-security-policy']), /default-src 'self'/);
    assert.equal(headers['content-encoding'], undefined);
    await stream.until(/event: snapshot\nid: 10\ndata: [^\n]*"first"[^\n]*\n\n/);
    engine.step('a', 20, [[['second'], 1]]);
    await stream.until(/event: batch\nid: 20\ndata: [^\n]*"second"[^\n]*\n\n/);
    await stream.until(/: keep-alive\n\n/);
    stream.response.destroy();
    await stream.ended;
  });

  it('resumes with Last-Event-ID: only what came after, no snapshot', async () => {
    engine.step('a', 30, [[['third'], 1]]);
    const stream = await openStream(`${server.url}/api/sse/a`, { 'Last-Event-ID': '20' });
    await stream.until(/event: batch\nid: 30\ndata: [^\n]*"third"[^\n]*\n\n/);
    assert.doesNotMatch(stream.text(), /event: snapshot/);
    assert.doesNotMatch(stream.text(), /"second"/);
    stream.response.destroy();
    await stream.ended;
  });

  it('is closed when the server stops, and the server stops', async () => {
    const stream = await openStream(`${server.url}/api/sse/a`);
    await stream.until(/event: snapshot/);
    await server.close();
    await stream.ended;
    assert.equal(server.fanout.counters.connections.sse, 0);
  });
});
