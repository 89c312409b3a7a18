/**
 * Type names as Postgres's `format_type` prints them (`int8` -> `bigint`, `varchar(10)` ->
 * `character varying(10)`), from the parser's TypeName nodes. Views report their columns with
 * these names, so they must be the ones PGlite reports for the same table.
 */
import type { Node, TypeName } from 'libpg-query';

/** Internal names (as the grammar resolves keywords) and the names `format_type` prints. */
const DISPLAY: Record<string, string> = {
  bool: 'boolean',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  varchar: 'character varying',
  bpchar: 'character',
  varbit: 'bit varying',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  timetz: 'time with time zone',
  // Not types but shorthands that CREATE TABLE expands.
  smallserial: 'smallint',
  serial: 'integer',
  bigserial: 'bigint',
  serial2: 'smallint',
  serial4: 'integer',
  serial8: 'bigint',
};

/** The `String` values of a list of nodes (names, qualified names). */
export function stringsOf(nodes: Node[] | undefined): string[] {
  const out: string[] = [];
  for (const node of nodes ?? []) if ('String' in node) out.push(node.String.sval ?? '');
  return out;
}

function integerModifiers(typmods: Node[] | undefined): number[] | null {
  const out: number[] = [];
  for (const node of typmods ?? []) {
    if (!('A_Const' in node) || !node.A_Const.ival) return null;
    out.push(node.A_Const.ival.ival ?? 0);
  }
  return out;
}

export function formatType(typeName: TypeName): string {
  const names = stringsOf(typeName.names);
  const qualified = names.length > 1 && names[0] === 'pg_catalog';
  const base = (qualified ? names[1] : names.join('.')) ?? '';
  const display = DISPLAY[base] ?? base;
  const mods = integerModifiers(typeName.typmods);
  let text = display;
  if (mods && mods.length > 0 && base !== 'interval') {
    const list = base === 'numeric' && mods.length === 1 ? `${mods[0]},0` : mods.join(',');
    // `time(3) with time zone`: the precision sits after the first word of the two-word names.
    const zone = / with(out)? time zone$/.exec(display);
    text = zone ? `${display.slice(0, zone.index)}(${list})${zone[0]}` : `${display}(${list})`;
  }
  return typeName.arrayBounds?.length ? `${text}[]` : text;
}

/** The type without modifiers or array brackets: what the scalar library's `SqlType` names. */
export function baseType(type: string): string {
  return type.replace(/\([^)]*\)/, '');
}
