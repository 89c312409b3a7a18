/**
 * `viewcast tail <view> [--url URL]`: follows one view of a running server over `/api/subscribe` and
 * prints its changes like `COPY (SUBSCRIBE <view> WITH (PROGRESS)) TO STDOUT` does, until Ctrl-C.
 * The first lines are the current contents as inserts. After a lost connection it resumes with
 * `since`; a `reset` is printed as the difference between what was shown and the new contents, so
 * the printed diffs always add up to the view.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { consolidate, difference, Multiset, type Change, type Row } from '../core/multiset.js';
import { UsageError, ViewcastError } from '../core/errors.js';
import { dataLines, progressLine } from './copy-text.js';

export const TAIL_HELP = `Usage: viewcast tail <view> [flags]

Prints a view's changes from a running viewcast, one tab-separated line per change like
COPY (SUBSCRIBE <view> WITH (PROGRESS)) TO STDOUT: timestamp, progressed (t/f), diff, columns.
Progress lines (progressed t) mean every change before their timestamp has been printed.
Runs until Ctrl-C.

Flags (default in brackets):
  --url URL            the server [http://127.0.0.1:8875]
  --token TOKEN        the server's --auth-token; also read from VIEWCAST_AUTH_TOKEN [none]
  -h, --help           this help
`;

interface ServerFrame {
  type: string;
  timestamp?: number;
  view?: string;
  views?: unknown;
  columns?: string[];
  rows?: Row[];
  code?: string;
  message?: string;
}

export async function tail(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8875' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(TAIL_HELP);
    return;
  }
  const [view, ...extra] = positionals;
  if (view === undefined || extra.length > 0)
    throw new UsageError('tail takes one view name: viewcast tail <view>');
  let endpoint: URL;
  try {
    endpoint = new URL('/api/subscribe', values.url);
  } catch {
    throw new UsageError(`--url takes a server address like http://127.0.0.1:8875, not "${values.url}"`);
  }
  endpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = values.token ?? process.env['VIEWCAST_AUTH_TOKEN'];
  await follow(endpoint, view, token);
}

function follow(endpoint: URL, view: string, token: string | undefined): Promise<void> {
  const shown = new Multiset();
  let columns = 0;
  let at: number | null = null;
  let progressed = 0;
  let stopping = false;
  let attempt = 0;
  let socket: WebSocket | null = null;
  const print = (lines: string[]): void => {
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  };
  const progress = (timestamp: number): void => {
    // A progress row at P says every change before P was sent: after a batch at T, that is T + 1.
    if (timestamp + 1 <= progressed) return;
    progressed = timestamp + 1;
    print([progressLine(progressed, columns)]);
  };
  return new Promise((resolve, reject) => {
    const fail = (message: string): void => {
      stopping = true;
      socket?.terminate();
      reject(new ViewcastError('VIEWCAST_TAIL', message));
    };
    process.stdout.on('error', () => process.exit(0)); // e.g. piped into `head`
    process.once('SIGINT', () => {
      stopping = true;
      socket?.close();
      resolve();
    });
    const onFrame = (frame: ServerFrame): void => {
      const timestamp = frame.timestamp ?? 0;
      switch (frame.type) {
        case 'hello':
          if (Array.isArray(frame.views) && !frame.views.includes(view))
            fail(`the server has no view "${view}"; its views: ${frame.views.join(', ')}`);
          return;
        case 'snapshot':
        case 'reset': {
          const next = new Multiset();
          for (const row of frame.rows ?? []) next.apply(row, 1);
          columns = frame.columns?.length ?? columns;
          print(dataLines(timestamp, difference(shown, next)));
          shown.clear();
          shown.applyAll(next.counted());
          at = timestamp;
          progress(timestamp);
          return;
        }
        case 'batch': {
          const changes = (frame.views as Record<string, { inserted: Row[]; deleted: Row[] }> | undefined)?.[
            view
          ];
          if (changes) {
            const diffs: Change[] = consolidate([
              ...changes.deleted.map((row): Change => [row, -1]),
              ...changes.inserted.map((row): Change => [row, 1]),
            ]);
            shown.applyAll(diffs);
            print(dataLines(timestamp, diffs));
          }
          at = timestamp;
          progress(timestamp);
          return;
        }
        case 'progress':
          at = timestamp;
          progress(timestamp);
          return;
        case 'error':
          fail(`the server refused: ${frame.code ?? ''} ${frame.message ?? ''}`.trim());
          return;
        default:
          return;
      }
    };
    const connect = (): void => {
      const ws = new WebSocket(endpoint, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
      socket = ws;
      ws.on('open', () => {
        attempt = 0;
        ws.send(JSON.stringify({ type: 'subscribe', views: [view], ...(at === null ? {} : { since: at }) }));
      });
      ws.on('message', (data) => onFrame(JSON.parse(String(data)) as ServerFrame));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () => {
          const message = /"message":"([^"]*)"/.exec(body)?.[1] ?? body;
          fail(`${endpoint.href}: HTTP ${res.statusCode}: ${message}`);
        });
      });
      ws.on('error', () => undefined); // 'close' follows and decides
      ws.on('close', () => {
        if (stopping) return;
        const delay = Math.min(10_000, 250 * 2 ** attempt++);
        process.stderr.write(`viewcast tail: connection to ${endpoint.host} lost, retrying in ${delay} ms\n`);
        setTimeout(connect, delay);
      });
    };
    connect();
  });
}
