/**
 * A count rounded to a whole number with its thousands grouped by commas (`1,234,567`), as
 * `toLocaleString('en-US')` writes it, without the locale machinery: the first call of a
 * locale-aware formatter pages in about 5 MiB of the ICU data built into the `node` binary, which
 * then stay resident for the life of a server that only ever formats progress lines with it.
 */
export function countText(n: number): string {
  const whole = Math.round(n);
  const digits = String(Math.abs(whole));
  if (!Number.isFinite(whole) || digits.length <= 3) return String(whole);
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let at = out.length; at < digits.length; at += 3) out += `,${digits.slice(at, at + 3)}`;
  return whole < 0 ? `-${out}` : out;
}

/** A size in MiB with one decimal (`12.3 MiB`), for messages and logs. */
export function mibText(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
