/**
 * JSON with exact integers. `JSON.parse` turns an integer literal beyond 2^53 into the nearest double
 * (`9007199254740993` becomes ...992) and Node 20 has no access to a literal's source text in a
 * reviver. Here an integer literal that is not a safe integer is read as a BigInt instead, from its
 * own digits; everything else is exactly what `JSON.parse` gives. Literals with a fraction or an
 * exponent (`1e19`) stay numbers: they are floating-point by spelling. `stringifyJson` writes BigInts
 * back as plain JSON numbers, digit for digit. No Node imports: the browser's multiset uses it too.
 */

/** A tag no input will contain by chance: it marks BigInts in transit through JSON text. */
function nonce(): string {
  return Math.random().toString(36).slice(2, 12);
}

/** A run of 16 digits is the shortest integer that may not be safe (2^53 has 16 digits). */
const LONG_DIGITS = /\d{16}/;
/** JSON's number grammar: no leading zero, so `0123...` is not read as one literal (JSON.parse refuses it). */
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

export function parseJson(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  const marker = `\u0000bigint-${nonce()}:`;
  const rewritten = quoteUnsafeIntegers(text, JSON.stringify(marker).slice(1, -1));
  if (rewritten === null) return JSON.parse(text);
  try {
    return JSON.parse(rewritten, (key, value: unknown) => {
      // A quoted literal where a key stands was no JSON: the original text says why.
      if (key.startsWith(marker)) throw new SyntaxError('a number as a key');
      return typeof value === 'string' && value.startsWith(marker)
        ? BigInt(value.slice(marker.length))
        : value;
    });
  } catch {
    return JSON.parse(text); // not JSON after all: let the original text produce the error message
  }
}

/**
 * The text with every unsafe integer literal outside strings turned into a string `"<marker>digits"`,
 * or null when there is none. `marker` is already escaped for use inside a JSON string.
 */
function quoteUnsafeIntegers(text: string, marker: string): string | null {
  let out = '';
  let copied = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue;
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (!match) continue;
    const literal = match[0];
    if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(Number(literal))) {
      out += `${text.slice(copied, i)}"${marker}${literal}"`;
      copied = i + literal.length;
    }
    i += literal.length - 1;
  }
  return copied === 0 ? null : out + text.slice(copied);
}

/** JSON.stringify that writes BigInts as exact JSON numbers instead of throwing. */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value); // the common case, at full speed: no BigInt anywhere
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  let marker: string | null = null;
  const text = JSON.stringify(value, (_key, x: unknown) => {
    if (typeof x !== 'bigint') return x;
    marker ??= `bigint-${nonce()}:`;
    return `${marker}${x}`;
  });
  if (marker === null) return text;
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}
