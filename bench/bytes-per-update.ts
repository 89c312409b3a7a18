/**
 * Bytes per update: what a client receives per batch (WebSocket frame: payload plus frame header;
 * SSE: the whole event block, where the server has SSE) against the JSON size of the rows that
 * changed (`JSON.stringify` of the deleted and inserted rows), by view and by events per batch.
 * The baseline is that JSON size itself: a message can hardly be smaller than the rows it carries.
 */
import { request } from 'node:http';
import { deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';
import { KeyedDecoder } from '../src/client/keyed-decoder.js';
import { LiveView } from '../src/client/live-view.js';
import { parseServerMessage } from '../src/client/protocol.js';
import type { Change } from '../src/core/multiset.js';
import { SseParser } from '../src/core/sse-parser.js';
import {
  decodeKeyedStreamFrame,
  decodePositionalFrame,
  type KeyedStreamFrame,
  type PositionalFrame,
} from '../src/core/wire-protocol.js';
import { nodeScript, SERVER_CPU, stopAll, type ControlledProcess } from './support/processes.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, log, printTable, ratio } from './support/stats.js';

const VIEWS = ['counter', 'top10', 'user_edits'];
/** The served positional format of `/api/stream` (opt-in). */
const POSITIONAL = 'ws /api/stream?format=positional';
/** The served keyed form (opt-in on every transport; the browser client's default). */
const KEYED = {
  stream: 'keyed ws /api/stream',
  subscribe: 'keyed ws /api/subscribe',
  sse: 'keyed sse /api/sse',
} as const;

interface Tally {
  frames: number;
  bytes: number;
  json: number;
}

type Changes = { inserted?: unknown[]; deleted?: unknown[] };

/** The changed rows of a message in either format: the seed's, or per view under `views`. */
function changedRows(message: Changes & { views?: Record<string, Changes> }): number {
  const parts: Changes[] = message.views ? Object.values(message.views) : [message];
  const rows = parts.flatMap((p) => [...(p.deleted ?? []), ...(p.inserted ?? [])]);
  return Buffer.byteLength(JSON.stringify(rows));
}

function wsHeader(payload: number): number {
  return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
}

/**
 * Candidate compact envelopes, measured on the very frames `/api/stream` sent (the positional one is
 * also served, `?format=positional`, and measured as received):
 * what each would cost on the wire for the same change, with the same 2-10 byte frame header.
 */
const CANDIDATES = ['positional', 'keyed', 'deflate (seed)', 'deflate (positional)'] as const;
type Candidate = (typeof CANDIDATES)[number];

/**
 * The view's key for the keyed form: the grouping column (a changed row replaces the row with its
 * key, so a changed top-10 row travels once), or none for a one-row view (`counter`: the new row
 * replaces the only one).
 */
const KEY_COLUMNS: Record<string, number | null> = { counter: null, top10: 0, user_edits: 0 };

/** permessage-deflate with no context takeover: one raw deflate per frame, its 4-byte tail dropped. */
function deflatedFrame(payload: string): number {
  const compressed = deflateRawSync(Buffer.from(payload)).length - 4;
  return compressed + wsHeader(compressed);
}

/**
 * `[dt,[inserted],[deleted]]`: positional, the timestamp as the difference from the view's previous
 * frame (which every socket of the view was sent: frame-once holds).
 */
function positional(dt: number, inserted: unknown[][], deleted: unknown[][]): string {
  return JSON.stringify([dt, inserted, deleted]);
}

/**
 * `[dt,[upserted rows],[removed keys]]`: a deleted row whose key comes back in an inserted row is
 * not sent; other deleted rows are sent as their key alone.
 */
function keyed(view: string, dt: number, inserted: unknown[][], deleted: unknown[][]): string {
  const key = KEY_COLUMNS[view];
  if (key === undefined) return positional(dt, inserted, deleted);
  if (key === null) return JSON.stringify(inserted.length > 0 ? [dt, inserted] : [dt, [], [[]]]);
  const upserted = new Set(inserted.map((row) => JSON.stringify(row[key])));
  const removed = deleted.filter((row) => !upserted.has(JSON.stringify(row[key]))).map((row) => row[key]);
  return JSON.stringify(removed.length > 0 ? [dt, inserted, removed] : [dt, inserted]);
}

function candidateBytes(
  view: string,
  seedPayload: string,
  dt: number,
  inserted: unknown[][],
  deleted: unknown[][],
): Record<Candidate, number> {
  const wire = (text: string): number => Buffer.byteLength(text) + wsHeader(Buffer.byteLength(text));
  const compact = positional(dt, inserted, deleted);
  return {
    positional: wire(compact),
    keyed: wire(keyed(view, dt, inserted, deleted)),
    'deflate (seed)': deflatedFrame(seedPayload),
    'deflate (positional)': deflatedFrame(compact),
  };
}

class Recorder {
  /** view -> transport -> tally of the current step */
  current = new Map<string, Tally>();
  lastCounter = 0;
  private readonly closers: Array<() => void> = [];

  private add(key: string, bytes: number, json: number): void {
    const t = this.current.get(key) ?? { frames: 0, bytes: 0, json: 0 };
    t.frames++;
    t.bytes += bytes;
    t.json += json;
    this.current.set(key, t);
  }

  async websocket(url: string, view: string): Promise<void> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/${view}`, {
      perMessageDeflate: false,
      origin: url,
    });
    this.closers.push(() => socket.terminate());
    await new Promise<void>((resolve, reject) => {
      let first = true;
      let previous = 0;
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as {
          inserted: unknown[][];
          deleted: unknown[][];
          timestamp: number;
        };
        if (view === 'counter') this.lastCounter = Number(message.inserted[0]?.[0] ?? this.lastCounter);
        const dt = message.timestamp - previous;
        previous = message.timestamp;
        if (first) {
          first = false;
          resolve();
          return;
        }
        const json = changedRows(message);
        this.add(`${view}\tws /api/stream`, data.length + wsHeader(data.length), json);
        const candidates = candidateBytes(view, data.toString(), dt, message.inserted, message.deleted);
        for (const name of CANDIDATES) this.add(`${view}\t${name}`, candidates[name], json);
      });
      socket.once('error', reject);
    });
  }

  /** `/api/stream/:view?format=positional`: the served compact frames, decoded as a client does. */
  async positional(url: string, view: string): Promise<void> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/${view}?format=positional`, {
      perMessageDeflate: false,
      origin: url,
    });
    this.closers.push(() => socket.terminate());
    await new Promise<void>((resolve, reject) => {
      let base: number | null = null;
      let first = true;
      socket.on('message', (data: Buffer) => {
        const decoded = decodePositionalFrame(JSON.parse(data.toString()) as PositionalFrame, base);
        base = decoded.base;
        if (first) {
          first = false;
          resolve();
          return;
        }
        this.add(`${view}\t${POSITIONAL}`, data.length + wsHeader(data.length), changedRows(decoded.message));
      });
      socket.once('error', reject);
    });
  }

  /** The multiplexed socket, one view per socket so each view's frames are counted on their own. */
  async subscribe(url: string, view: string): Promise<boolean> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/subscribe`, {
      perMessageDeflate: false,
      origin: url,
    });
    this.closers.push(() => socket.terminate());
    return new Promise<boolean>((resolve) => {
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string; views?: Record<string, Changes> };
        if (message.type === 'hello') socket.send(JSON.stringify({ type: 'subscribe', views: [view] }));
        else if (message.type === 'snapshot') resolve(true);
        else if (message.type === 'batch')
          this.add(`${view}\tws /api/subscribe`, data.length + wsHeader(data.length), changedRows(message));
      });
      socket.once('unexpected-response', () => resolve(false));
      socket.once('error', () => resolve(false));
    });
  }

  async sse(url: string, view: string): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(
        `${url}/api/sse/${view}`,
        { headers: { Accept: 'text/event-stream', Origin: url } },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            resolve(false);
            return;
          }
          resolve(true);
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end + 2);
              buffer = buffer.slice(end + 2);
              if (!/^event: batch$/m.test(block)) continue;
              const data = block
                .split('\n')
                .filter((l) => l.startsWith('data:'))
                .map((l) => l.slice(5).trimStart())
                .join('\n');
              this.add(
                `${view}\tsse /api/sse`,
                Buffer.byteLength(block),
                changedRows(JSON.parse(data) as Changes),
              );
            }
          });
        },
      );
      req.once('error', () => resolve(false));
      req.end();
      this.closers.push(() => req.destroy());
    });
  }

  /** Counts one keyed frame: its bytes against the JSON of the rows its decoded change deleted and inserted. */
  private addKeyed(key: string, bytes: number, changes: Change[]): void {
    const deleted = changes.filter(([, diff]) => diff < 0).map(([row]) => row);
    const inserted = changes.filter(([, diff]) => diff > 0).map(([row]) => row);
    this.add(key, bytes, Buffer.byteLength(JSON.stringify([...deleted, ...inserted])));
  }

  /** `/api/stream/:view?format=keyed`, decoded as `StreamClient` does. */
  async keyedStream(url: string, view: string): Promise<void> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/${view}?format=keyed`, {
      perMessageDeflate: false,
      origin: url,
    });
    this.closers.push(() => socket.terminate());
    const live = new LiveView(view);
    await new Promise<void>((resolve, reject) => {
      let base: number | null = null;
      let keyed = false;
      socket.on('message', (data: Buffer) => {
        const frame = decodeKeyedStreamFrame(JSON.parse(data.toString()) as KeyedStreamFrame, base);
        base = frame.base;
        if (frame.key !== undefined) {
          live.keyBy(frame.key);
          keyed = frame.key !== null;
        }
        const changes = live.applyDiff(
          keyed
            ? { upserted: frame.first, removed: frame.second }
            : { inserted: frame.first, deleted: frame.second },
        );
        if (frame.key !== undefined) return resolve();
        this.addKeyed(`${view}\t${KEYED.stream}`, data.length + wsHeader(data.length), changes);
      });
      socket.once('error', reject);
    });
  }

  /** `/api/subscribe?format=keyed`, one view per socket, decoded as the client library does. */
  async keyedSubscribe(url: string, view: string): Promise<void> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/subscribe?format=keyed`, {
      perMessageDeflate: false,
      origin: url,
    });
    this.closers.push(() => socket.terminate());
    const decoder = new KeyedDecoder();
    const live = new LiveView(view);
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data: Buffer) => {
        const message = parseServerMessage(data.toString(), undefined, decoder);
        if (message.type === 'hello') socket.send(JSON.stringify({ type: 'subscribe', views: [view] }));
        else if (message.type === 'snapshot') {
          live.replace(message.rows, message.timestamp, message.columns, message.key ?? null);
          resolve();
        } else if (message.type === 'batch') {
          const diff = message.views[view];
          const changes = diff ? live.applyDiff(diff) : [];
          this.addKeyed(`${view}\t${KEYED.subscribe}`, data.length + wsHeader(data.length), changes);
        }
      });
      socket.once('error', reject);
    });
  }

  /** `/api/sse/:view?format=keyed`: live frames are nameless `data:` events. */
  async keyedSse(url: string, view: string): Promise<void> {
    const decoder = new KeyedDecoder(view);
    const live = new LiveView(view);
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${url}/api/sse/${view}?format=keyed`,
        { headers: { Accept: 'text/event-stream', Origin: url } },
        (res) => {
          const parser = new SseParser((event) => {
            const message = parseServerMessage(event.data, event.event, decoder);
            if (message.type === 'snapshot') {
              live.replace(message.rows, message.timestamp, message.columns, message.key ?? null);
              resolve();
            } else if (message.type === 'batch') {
              const diff = message.views[view];
              const changes = diff ? live.applyDiff(diff) : [];
              this.addKeyed(`${view}\t${KEYED.sse}`, pendingBytes, changes);
            }
          });
          let pendingBytes = 0;
          res.on('data', (chunk: Buffer) => {
            // Whole event blocks: the bytes up to and including each blank line, one event each.
            let start = 0;
            for (let end = chunk.indexOf('\n\n'); end >= 0; end = chunk.indexOf('\n\n', end + 2)) {
              pendingBytes += end + 2 - start;
              parser.feed(chunk.subarray(start, end + 2));
              pendingBytes = 0;
              start = end + 2;
            }
            pendingBytes += chunk.length - start;
            parser.feed(chunk.subarray(start));
          });
        },
      );
      req.once('error', reject);
      req.end();
      this.closers.push(() => req.destroy());
    });
  }

  close(): void {
    for (const close of this.closers) close();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

export default async function bytesPerUpdate({ quick }: ScenarioContext): Promise<void> {
  const sizes = [1, 10, 100, 1000];
  const batchesFor = (size: number): number => (quick ? (size >= 1000 ? 2 : 10) : size >= 1000 ? 5 : 30);
  log(`views ${VIEWS.join(', ')}; transactions of ${sizes.join(', ')} simulated events`);
  log(
    'bytes: WebSocket payload + frame header; SSE event block; JSON: JSON.stringify(deleted + inserted rows)',
  );
  log('');
  const server: ControlledProcess = nodeScript('viewcast', 'servers/viewcast.js', [], SERVER_CPU);
  const recorder = new Recorder();
  const rows: Array<{ view: string; transport: string; size: number } & Tally> = [];
  try {
    const { url } = await server.next('ready', 120_000);
    await server.request({ cmd: 'prefill', events: 2000 }, 'prefilled');
    let sse = true;
    let subscribe = true;
    for (const view of VIEWS) {
      await recorder.websocket(String(url), view);
      await recorder.positional(String(url), view);
      await recorder.keyedStream(String(url), view);
      await recorder.keyedSubscribe(String(url), view);
      await recorder.keyedSse(String(url), view);
      if (subscribe) subscribe = await recorder.subscribe(String(url), view);
      if (sse) sse = await recorder.sse(String(url), view);
    }
    log(
      `multiplexed WebSocket: ${subscribe ? '/api/subscribe, one view per socket' : 'not served by this build'}`,
    );
    log(`SSE: ${sse ? '/api/sse/:view' : 'not served by this build'}`);
    for (const size of sizes) {
      recorder.current = new Map();
      const driven = await server.request(
        { cmd: 'drive-batches', batches: batchesFor(size), size },
        'driven',
        300_000,
      );
      await waitFor(() => recorder.lastCounter >= Number(driven['counter']), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // other views' frames of the last batch
      for (const [key, tally] of recorder.current) {
        const [view, transport] = key.split('\t') as [string, string];
        rows.push({ view, transport, size, ...tally });
      }
    }
  } finally {
    recorder.close();
    await stopAll([server]);
  }
  const TRANSPORTS: string[] = [
    'ws /api/stream',
    POSITIONAL,
    'ws /api/subscribe',
    'sse /api/sse',
    KEYED.stream,
    KEYED.subscribe,
    KEYED.sse,
    ...CANDIDATES,
  ];
  rows.sort(
    (a, b) =>
      TRANSPORTS.indexOf(a.transport) - TRANSPORTS.indexOf(b.transport) ||
      VIEWS.indexOf(a.view) - VIEWS.indexOf(b.view) ||
      a.size - b.size,
  );
  printTable(
    [
      'transport',
      'view',
      'events per batch',
      'frames',
      'bytes per frame',
      'changed-rows JSON per frame',
      'ratio',
    ],
    rows.map((r) => [
      r.transport,
      r.view,
      r.size,
      r.frames,
      fmt(r.bytes / r.frames, 1),
      fmt(r.json / r.frames, 1),
      fmt(ratio(r.bytes, r.json), 2),
    ]),
  );
  log('');
  log('candidate envelopes for /api/stream, measured on the same frames (positional is served too):');
  log("  positional: [dt,[inserted],[deleted]], dt = timestamp - the previous frame's");
  log("  keyed: [dt,[upserted rows],[removed keys]] on the view's grouping key (counter: its one row)");
  log('  deflate: permessage-deflate without context takeover, one deflate per frame for every socket');
  printTable(
    ['view', 'events per batch', 'changed-rows JSON', 'seed', ...CANDIDATES],
    VIEWS.flatMap((view) =>
      sizes.map((size) => {
        const of = (transport: string): Tally | undefined =>
          rows.find((r) => r.view === view && r.size === size && r.transport === transport);
        const seed = of('ws /api/stream');
        const cell = (t: Tally | undefined): string =>
          t ? `${fmt(t.bytes / t.frames, 1)} (${fmt(ratio(t.bytes, t.json), 2)}x)` : '-';
        return [
          view,
          size,
          seed ? fmt(seed.json / seed.frames, 1) : '-',
          cell(seed),
          ...CANDIDATES.map((name) => cell(of(name))),
        ];
      }),
    ),
  );
  const at = (view: string, size: number, transport: string): Tally | undefined =>
    rows.find((r) => r.view === view && r.size === size && r.transport === transport);
  const perFrame = (t: Tally | undefined): string =>
    t ? `${fmt(t.bytes / t.frames, 1)} bytes (${fmt(ratio(t.bytes, t.json), 2)}x)` : 'not measured';
  log('');
  log('one event per batch, as received by a client, against the JSON of the changed rows:');
  for (const view of VIEWS) {
    const seed = at(view, 1, 'ws /api/subscribe');
    log(
      `  ${view}: seed /api/subscribe ${perFrame(seed)}; keyed /api/subscribe ${perFrame(at(view, 1, KEYED.subscribe))}, ` +
        `SSE ${perFrame(at(view, 1, KEYED.sse))}, /api/stream ${perFrame(at(view, 1, KEYED.stream))}`,
    );
  }
  // The headline: the dashboard's own transport and form, a one-row top-10 change.
  const headline = at('top10', 1, KEYED.subscribe) ?? (at('top10', 1, 'ws /api/stream') as Tally);
  const seed = at('top10', 1, 'ws /api/subscribe');
  const sseKeyed = at('top10', 1, KEYED.sse);
  printResult({
    scenario: 'bytes-per-update',
    metric:
      'bytes per top10 frame / JSON of its changed rows, 1 event per batch, keyed /api/subscribe' +
      ` (seed /api/subscribe ${seed ? fmt(ratio(seed.bytes, seed.json), 2) : '-'}x, keyed SSE ${sseKeyed ? fmt(ratio(sseKeyed.bytes, sseKeyed.json), 2) : '-'}x)`,
    value: Math.round((headline.bytes / headline.frames) * 10) / 10,
    unit: 'bytes',
    baseline: Math.round((headline.json / headline.frames) * 10) / 10,
    ratio: ratio(headline.bytes, headline.json),
    goal: '<= 1.2x',
  });
}
