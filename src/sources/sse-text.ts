/** Parses a whole Server-Sent Events text or buffer (a recording) with the streaming parser. */
import { SseParser, type SseMessage } from '../core/sse-parser.js';

export type { SseMessage };

export function parseSseText(input: string | Uint8Array): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = new SseParser((message) => messages.push(message));
  parser.feed(typeof input === 'string' ? new TextEncoder().encode(input) : input);
  // A recording may end without the final blank line: its last message is still whole.
  parser.end(true);
  return messages;
}
