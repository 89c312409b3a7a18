/** Reads a Server-Sent Events stream with fetch and parses it with the project's one SSE parser. */
import { SseParser } from '../../src/core/sse-parser.js';

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  private readonly waiters = new Set<() => void>();
  private done = false;

  constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.pump();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    return new SseReader(response, abort);
  }

  private async pump(): Promise<void> {
    const body = this.response.body;
    if (!body) return;
    const parser = new SseParser(
      (message) => this.messages.push({ event: message.event, id: message.id, data: message.data }),
      (comment) => this.comments.push(comment),
    );
    try {
      for await (const chunk of body) {
        parser.feed(chunk as Uint8Array);
        for (const waiter of [...this.waiters]) waiter();
      }
    } catch {
      // aborted
    }
    this.done = true;
    for (const waiter of [...this.waiters]) waiter();
  }

  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          this.waiters.delete(check);
          resolve();
        } else if (this.done) {
          this.waiters.delete(check);
          reject(new Error('the stream ended'));
        }
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.abort.abort();
  }
}
