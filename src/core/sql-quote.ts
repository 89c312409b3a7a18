/** SQL text for names and strings, as Postgres reads them (PGlite, upstream Postgres, a remote engine). */

/** A name as a quoted identifier: `a"b` is `"a""b"`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string as a literal: `it's` is `'it''s'`. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
