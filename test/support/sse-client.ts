/** Reads a Server-Sent Events stream with fetch and parses it the way EventSource does. */

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  private readonly waiters = new Set<() => void>();
  private buffer = '';
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
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        this.buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        this.parse();
      }
    } catch {
      // aborted
    }
    this.done = true;
    for (const waiter of [...this.waiters]) waiter();
  }

  private parse(): void {
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message: SseMessage = { event: 'message', id: null, data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      message.data = data.join('\n');
      this.messages.push(message);
    }
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
