/**
 * A load generator's SSE client: one long HTTP response, connected once the first event (the
 * snapshot) arrived. With `onBatch`, every `batch` event is parsed with viewcast's own SSE parser
 * and reported with its timestamp, read from the head of its data, and the time its bytes arrived;
 * progress events and keep-alives are not frames.
 */
import { request, type ClientRequest } from 'node:http';
import { SseParser } from '../../src/core/sse-parser.js';
import { nowMs } from '../support/stats.js';

/** A `batch` frame's `{"type":"batch","timestamp":T,...}`. */
const BATCH_TIMESTAMP = /^\{"type":"batch","timestamp":(\d+)/;

export function openSse(
  url: string,
  onBatch: ((timestamp: number, at: number) => void) | null,
  opened: (req: ClientRequest) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent: false, headers: { Accept: 'text/event-stream', Origin: new URL(url).origin } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        res.once('data', () => resolve());
        if (!onBatch) {
          res.on('data', () => undefined);
          return;
        }
        let at = 0;
        const parser = new SseParser((message) => {
          if (message.event === 'batch') onBatch(Number(BATCH_TIMESTAMP.exec(message.data)?.[1] ?? NaN), at);
        });
        res.on('data', (chunk: Buffer) => {
          at = nowMs();
          parser.feed(chunk);
        });
      },
    );
    req.once('error', reject);
    req.end();
    opened(req);
  });
}
