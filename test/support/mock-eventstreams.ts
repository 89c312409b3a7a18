/**
 * A stand-in for stream.wikimedia.org on 127.0.0.1 (the tests have no internet): it serves recorded
 * SSE blocks the way EventStreams does, resumes after `Last-Event-ID` with some overlap as a
 * timestamp-based resume does, refuses requests without a descriptive User-Agent with 403, and
 * lets each test script how every connection ends.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Block {
  id: string;
  /** The raw SSE text of the message, blank line included. */
  text: string;
}

export interface RequestSeen {
  lastEventId: string | null;
  userAgent: string | null;
  at: number;
}

/** How one connection ends after sending its blocks. */
export type Ending =
  | { after: number; how: 'reset' | 'end' | 'stall'; partial?: boolean }
  | { after: number; how: 'status'; status: number; headers?: Record<string, string> };

export interface MockStreamOptions {
  blocks: Block[];
  /** One entry per connection, in order; connections beyond the list serve to the end and stay open. */
  endings?: Ending[];
  /** Blocks re-sent before the one after `Last-Event-ID` (a timestamp resume re-delivers some). */
  overlap?: number;
}

export interface MockStream {
  url: string;
  requests: RequestSeen[];
  /** Resolves when a request with this number (1-based) arrives. */
  request(n: number): Promise<RequestSeen>;
  close(): Promise<void>;
}

const DESCRIPTIVE = /\(.*(https?:\/\/|@).*\)/;

/** Splits raw SSE text into its messages, keeping each message's exact text. */
export function sseBlocks(text: string): Block[] {
  return text
    .split('\n\n')
    .filter((part) => part.trim() !== '')
    .map((part) => ({ id: /^id: (.*)$/m.exec(part)?.[1] ?? '', text: `${part.replace(/\n+$/, '')}\n\n` }));
}

/** The exact text of messages `from` to `to` (exclusive), as a stream would have sent them. */
export function sseText(blocks: readonly Block[], from: number, to: number): string {
  return blocks
    .slice(from, to)
    .map((b) => b.text)
    .join('');
}

export async function startMockStream(options: MockStreamOptions): Promise<MockStream> {
  const requests: RequestSeen[] = [];
  const waiters = new Map<number, (seen: RequestSeen) => void>();
  const open = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const overlap = options.overlap ?? 3;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const header = req.headers['last-event-id'];
    const seen: RequestSeen = {
      lastEventId: typeof header === 'string' ? header : null,
      userAgent: req.headers['user-agent'] ?? null,
      at: Date.now(),
    };
    requests.push(seen);
    waiters.get(requests.length)?.(seen);
    if (!DESCRIPTIVE.test(seen.userAgent ?? '')) {
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end('Please set a user-agent and respect our robot policy https://w.wiki/4wJS.\n');
      return;
    }
    const ending = options.endings?.[requests.length - 1];
    if (ending?.how === 'status' && ending.after === 0) {
      res.writeHead(ending.status, { 'Content-Type': 'text/plain', ...ending.headers });
      res.end(`status ${ending.status}\n`);
      return;
    }
    let start = 0;
    if (seen.lastEventId !== null) {
      const index = options.blocks.findIndex((b) => b.id === seen.lastEventId);
      start = index === -1 ? 0 : Math.max(0, index + 1 - overlap);
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
    open.add(res);
    res.on('close', () => open.delete(res));
    const stop = ending ? Math.max(start, ending.after) : options.blocks.length;
    for (const block of options.blocks.slice(start, stop)) res.write(block.text);
    if (!ending) {
      // Served to the end: stay open with keep-alive comments, as the live stream does.
      const timer = setInterval(() => res.write(':\n'), 50);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const next = options.blocks[stop];
    if (ending.how !== 'status' && ending.partial && next)
      res.write(next.text.slice(0, Math.floor(next.text.length / 2)));
    if (ending.how === 'end') res.end();
    else if (ending.how === 'reset') res.write('', () => res.socket?.destroy());
    // 'stall' keeps the connection open and silent until the client gives up on it.
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2/stream/recentchange`,
    requests,
    request: (n) =>
      requests[n - 1]
        ? Promise.resolve(requests[n - 1] as RequestSeen)
        : new Promise((resolve) => waiters.set(n, resolve)),
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
