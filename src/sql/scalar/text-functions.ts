/**
 * lower() and upper() as Postgres computes them here (libc provider, LC_CTYPE C.UTF-8): one code
 * point at a time with the simple case mapping, never changing the length (no 'SS' for 'ß', no final
 * sigma). JavaScript's toLowerCase/toUpperCase use the full mapping, so a result longer than one
 * code point is replaced by libc's answer or left unchanged.
 */
const LOWER_EXCEPTIONS: Record<string, string> = { '\u0130': 'i' };
const UPPER_EXCEPTIONS: Record<string, string> = { ß: '\u1e9e' };

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function mapCodePoints(s: string, full: (c: string) => string, exceptions: Record<string, string>): string {
  let out = '';
  for (const ch of s) {
    const mapped = full(ch);
    if (mapped.length === ch.length || Array.from(mapped).length === 1) out += mapped;
    else out += exceptions[ch] ?? ch;
  }
  return out;
}

export function pgLower(s: string): string {
  if (isAscii(s)) return s.toLowerCase();
  return mapCodePoints(s, (c) => c.toLowerCase(), LOWER_EXCEPTIONS);
}

export function pgUpper(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  return mapCodePoints(s, (c) => c.toUpperCase(), UPPER_EXCEPTIONS);
}
