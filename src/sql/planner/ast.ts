/**
 * Small tools over libpg-query's parse trees, which are plain JSON: `{ Kind: { ...fields } }`.
 * Expressions are compared structurally with their source locations left out, which is how the
 * planner matches a select-list expression to a GROUP BY or ORDER BY expression, as Postgres does.
 */
export type AstNode = Record<string, unknown>;

/** The node's kind and body: `{ ColumnRef: {...} }` -> ['ColumnRef', {...}]. */
export function kindOf(node: unknown): [string, AstNode] {
  if (node === null || typeof node !== 'object') return ['', {}];
  const entry = Object.entries(node as AstNode)[0];
  return entry ? [entry[0], (entry[1] ?? {}) as AstNode] : ['', {}];
}

/** Fields that say where something was written (`location`, `rexpr_list_start`, ...), not what. */
const POSITION = /(^|_)location$|(^|_)list_(start|end)$/;

/** A key equal for expressions that differ only in where they were written. */
export function exprKey(node: unknown): string {
  return JSON.stringify(node, (key, value: unknown) => (POSITION.test(key) ? undefined : value));
}

/** The `sval` strings of a name list; `*` for A_Star. */
export function nameList(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const [kind, body] = kindOf(item);
    return kind === 'A_Star' ? '*' : String(body['sval'] ?? '');
  });
}

/**
 * Visits every node of a tree, depth first. `visit` returns false to skip a node's children
 * (an aggregate's arguments, a subquery's own scope).
 */
export function walk(
  node: unknown,
  visit: (kind: string, body: AstNode, node: AstNode) => boolean | void,
): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as AstNode)) {
    // Node wrappers start with an upper-case letter; plain fields (lexpr, args...) hold them.
    if (/^[A-Z]/.test(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (visit(key, value as AstNode, node as AstNode) === false) continue;
    }
    walk(value, visit);
  }
}

/** The integer of an `A_Const` (protobuf leaves zero out), or null for anything else. */
export function integerConstant(node: unknown): number | null {
  const [kind, body] = kindOf(node);
  if (kind !== 'A_Const') return null;
  const ival = body['ival'] as { ival?: number } | undefined;
  return ival ? (ival.ival ?? 0) : null;
}

export function isNullConstant(node: unknown): boolean {
  const [kind, body] = kindOf(node);
  return kind === 'A_Const' && body['isnull'] === true;
}
