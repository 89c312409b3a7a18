/**
 * Parses Server-Sent Events text (as recorded from the wire) into events. Handles CRLF, multi-line
 * `data:`, comments and a missing final blank line; the live client uses a streaming parser.
 */
export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

export function* parseSseText(text: string): Generator<SseMessage> {
  let data: string[] = [];
  let event = '';
  let id: string | null = null;
  const lines = text.split(/\r\n|\r|\n/);
  for (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
      data = [];
      event = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
  }
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
}
