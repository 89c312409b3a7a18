/**
 * A streaming Server-Sent Events parser that works on bytes, as they arrive from a socket or a file.
 *
 * Lines are split on raw bytes (CR, LF, CRLF, even when a CRLF is cut between two chunks) and only
 * complete lines are decoded, so a multi-byte UTF-8 character cut by a chunk boundary is never
 * damaged. Each message carries the byte offset just after the blank line that ended it: the file
 * tail resumes there. Field handling follows the WHATWG EventSource rules: `data` lines are joined
 * with LF, `id` persists across messages (and is ignored when it contains NUL), `retry` takes
 * digits only, lines starting with `:` are comments, and an event with no data is not dispatched.
 *
 * The one SSE parser of viewcast: the sources read the Wikimedia stream and recordings with it, and
 * the browser client reads the server's SSE transport with it (no Node imports).
 */

export interface SseMessage {
  /** The `event:` type, `message` when none was given. */
  event: string;
  data: string;
  /** The last event id seen so far on this stream (ids persist across messages), or null. */
  id: string | null;
  /** Byte offset just after the line that ended this message, counted from the first byte fed. */
  end: number;
}

const ENCODER = new TextEncoder();
const LF = 0x0a;
const CR = 0x0d;

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private pending: Uint8Array[] = [];
  /** A CR ended the previous chunk: an LF at the start of the next one belongs to it. */
  private afterCr = false;
  private firstLine = true;
  private consumed = 0;
  private data: string[] = [];
  private eventType = '';
  private lastId: string | null = null;
  /** The reconnection time the server asked for with `retry:`, in ms. */
  retry: number | null = null;

  private collected: SseMessage[] | null = null;

  /**
   * `onMessage` gets every message as it completes (without one, `push` returns them); `onComment`
   * every comment line's text (keep-alives, a server's greeting).
   */
  constructor(
    private readonly onMessage: (message: SseMessage) => void = () => undefined,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  /** Feeds text (a stream already decoded); returns the messages it completed. */
  push(text: string): SseMessage[] {
    const messages: SseMessage[] = [];
    this.collected = messages;
    try {
      this.feed(ENCODER.encode(text));
    } finally {
      this.collected = null;
    }
    return messages;
  }

  /** The id of the last dispatched or parsed message, to send back as `Last-Event-ID`. */
  get lastEventId(): string | null {
    return this.lastId;
  }

  feed(chunk: Uint8Array): void {
    let start = 0;
    if (this.afterCr && chunk.length > 0) {
      this.afterCr = false;
      if (chunk[0] === LF) {
        this.consumed += 1;
        start = 1;
      }
    }
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) continue;
      let lineEnd = i + 1;
      if (byte === CR) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === LF) lineEnd = i + 2;
        } else {
          this.afterCr = true;
        }
      }
      const length = lineEnd - start + this.pendingLength();
      const text = this.takeLine(chunk.subarray(start, i));
      this.pending = [];
      this.line(text, length);
      start = lineEnd;
      i = lineEnd - 1;
    }
    // A copy: Buffer's slice is a view, and readers such as the file source reuse their buffer for
    // the next read, which would overwrite the start of the cut line before it completes.
    if (start < chunk.length) this.pending.push(Uint8Array.prototype.slice.call(chunk, start));
  }

  /**
   * Ends the input. With `dispatchPartial` (files, whose last message may lack its blank line) a
   * message whose lines are complete is still dispatched; a live stream passes false, as the
   * EventSource rules say, because a dropped connection may have cut the message short.
   */
  end(dispatchPartial: boolean): void {
    if (dispatchPartial && this.pending.length > 0) {
      const length = this.pendingLength();
      const line = this.takeLine(new Uint8Array(0));
      this.pending = [];
      this.line(line, length);
    }
    if (dispatchPartial) this.dispatch();
    this.data = [];
    this.eventType = '';
    this.pending = [];
  }

  private pendingLength(): number {
    return this.pending.reduce((n, part) => n + part.length, 0);
  }

  private takeLine(tail: Uint8Array): string {
    let bytes = tail;
    if (this.pending.length > 0) {
      const parts = [...this.pending, tail];
      bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
      let at = 0;
      for (const part of parts) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    let text = this.decoder.decode(bytes);
    if (this.firstLine) {
      this.firstLine = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  private line(text: string, bytes: number): void {
    this.consumed += bytes;
    if (text === '') {
      this.dispatch();
      return;
    }
    if (text.charCodeAt(0) === 0x3a) {
      this.onComment(text.slice(1).trim()); // ':' starts a comment (keep-alives)
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const message: SseMessage = {
      event: this.eventType || 'message',
      data: this.data.join('\n'),
      id: this.lastId,
      end: this.consumed,
    };
    this.data = [];
    this.eventType = '';
    this.collected?.push(message);
    this.onMessage(message);
  }
}
