/**
 * Conditional expressions: CASE (searched and simple), COALESCE, NULLIF, GREATEST / LEAST,
 * IS [NOT] DISTINCT FROM, IN / NOT IN lists, [NOT] BETWEEN [SYMMETRIC]. Their result types follow
 * Postgres's select_common_type: an untyped literal takes the others' type, int and numeric meet
 * at numeric, text and varchar at text, date and timestamp at timestamp.
 */
import { SqlCompileError, Unsupported, type SqlType, type Value } from './interface.js';
import { coerce, fold, type Ev, type Expr } from './expr.js';
import { isImplicitCast } from './casts.js';
import { comparable, comparison } from './operators.js';
import { compareValues } from './values.js';
import { booleanArg } from './logic.js';
import type { Compiler } from './compile-expr.js';

type Node = Record<string, unknown>;

const PREFERRED: ReadonlySet<SqlType> = new Set<SqlType>([
  'boolean',
  'double precision',
  'text',
  'timestamp with time zone',
  'interval',
]);

/**
 * select_common_type: the first typed input's type, replaced by a later one that it converts to
 * implicitly but not back, unless it is its category's preferred type. CASE puts ELSE first.
 * 42804 "<label> types a and b cannot be matched" when no implicit conversion joins them.
 */
export function commonType(exprs: readonly Expr[], label: string): SqlType {
  let type: SqlType = 'unknown';
  for (const e of exprs) {
    if (e.type === 'unknown' || e.type === type) continue;
    if (type === 'unknown') type = e.type;
    else if (!isImplicitCast(e.type, type) && !isImplicitCast(type, e.type))
      throw new SqlCompileError('42804', `${label} types ${type} and ${e.type} cannot be matched`);
    else if (!PREFERRED.has(type) && isImplicitCast(type, e.type) && !isImplicitCast(e.type, type))
      type = e.type;
  }
  return type === 'unknown' ? 'text' : type;
}

function distinct(c: Compiler, n: Node, negate: boolean): Expr {
  const [a, b, type] = comparable('=', c.compile(n['lexpr']), c.compile(n['rexpr']));
  const ae = a.ev;
  const be = b.ev;
  return fold(
    {
      type: 'boolean',
      ev: (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        const d = x === null || y === null ? x !== y : compareValues(type, x, y) !== 0;
        return d !== negate;
      },
    },
    [a, b],
  );
}

function nullif(c: Compiler, n: Node): Expr {
  const left = c.compile(n['lexpr']);
  const right = c.compile(n['rexpr']);
  const [a, b, type] = comparable('=', left, right);
  // The result is the first operand as the = operator received it: int = float8 promotes it, but
  // real = double is a cross-type operator (float48eq) that leaves a real as it is.
  const first = left.type === 'real' && a.type === 'double precision' ? left : a;
  const resultType = first.type;
  const fe = first.ev;
  const ae = a.ev;
  const be = b.ev;
  return fold(
    {
      type: resultType,
      ev: (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        if (x !== null && y !== null && compareValues(type, x, y) === 0) return null;
        return first === a ? x : fe(row, ctx);
      },
    },
    [a, b],
  );
}

/** A stand-in operand whose value is set before the comparisons that read it run. */
function slotFor(e: Expr): { slot: Expr; set: (v: Value) => void } {
  let current: Value = null;
  return { slot: { type: e.type, ev: () => current }, set: (v) => (current = v) };
}

function inList(c: Compiler, n: Node): Expr {
  const negate = (n['name'] as Array<{ String?: { sval?: string } }>)[0]?.String?.sval === '<>';
  const left = c.compile(n['lexpr']);
  const items = ((n['rexpr'] as { List?: { items?: unknown[] } }).List?.items ?? []).map((i) => c.compile(i));
  if (items.length === 0) throw new Unsupported('an empty IN list is not supported');
  const target = left.type === 'unknown' ? commonType(items, 'IN') : left.type;
  const l = coerce(left, target);
  const { slot, set } = slotFor(l);
  const tests = items.map((i) => comparison(negate ? '<>' : '=', slot, i).ev);
  const le = l.ev;
  // x IN (a, b) is x = a OR x = b; x NOT IN (a, b) is x <> a AND x <> b.
  const decisive = !negate;
  return fold(
    {
      type: 'boolean',
      ev: (row, ctx) => {
        set(le(row, ctx));
        let sawNull = false;
        for (const t of tests) {
          const v = t(row, ctx);
          if (v === decisive) return decisive;
          if (v === null) sawNull = true;
        }
        return sawNull ? null : !decisive;
      },
    },
    [l, ...items],
  );
}

function both(a: Ev, b: Ev, isAnd: boolean): Ev {
  return (row, ctx) => {
    const x = a(row, ctx);
    if (x === !isAnd) return x;
    const y = b(row, ctx);
    if (y === !isAnd) return y;
    return x === null || y === null ? null : isAnd;
  };
}

function between(c: Compiler, n: Node): Expr {
  const kind = n['kind'] as string;
  const x = c.compile(n['lexpr']);
  const [lo, hi] = ((n['rexpr'] as { List?: { items?: unknown[] } }).List?.items ?? []).map((i) =>
    c.compile(i),
  );
  if (!lo || !hi) throw new SqlCompileError('42601', 'BETWEEN needs two bounds');
  const not = kind.startsWith('AEXPR_NOT');
  const range = (a: Expr, b: Expr): Ev =>
    not
      ? both(comparison('<', x, a).ev, comparison('>', x, b).ev, false)
      : both(comparison('>=', x, a).ev, comparison('<=', x, b).ev, true);
  let ev = range(lo, hi);
  if (kind.endsWith('_SYM')) ev = both(ev, range(hi, lo), not);
  return fold({ type: 'boolean', ev }, [x, lo, hi]);
}

function caseExpr(c: Compiler, n: Node): Expr {
  const whens = ((n['args'] as unknown[]) ?? []).map((w) => (w as { CaseWhen: Node }).CaseWhen);
  const subject = n['arg'] === undefined ? undefined : c.compile(n['arg']);
  const slot = subject ? slotFor(subject) : undefined;
  const conditions = whens.map((w) => {
    const e = c.compile(w['expr']);
    return slot ? comparison('=', slot.slot, e) : booleanArg(e, 'CASE/WHEN');
  });
  const results = whens.map((w) => c.compile(w['result']));
  const otherwise = n['defresult'] === undefined ? undefined : c.compile(n['defresult']);
  const type = commonType(otherwise ? [otherwise, ...results] : results, 'CASE');
  const conds = conditions.map((e) => e.ev);
  const vals = results.map((e) => coerce(e, type).ev);
  const other = otherwise ? coerce(otherwise, type).ev : undefined;
  const se = subject?.ev;
  const inputs = [
    ...conditions,
    ...results,
    ...(otherwise ? [otherwise] : []),
    ...(subject ? [subject] : []),
  ];
  return fold(
    {
      type,
      ev: (row, ctx) => {
        if (se && slot) slot.set(se(row, ctx));
        for (let i = 0; i < conds.length; i++) {
          if ((conds[i] as Ev)(row, ctx) === true) return (vals[i] as Ev)(row, ctx);
        }
        return other ? other(row, ctx) : null;
      },
    },
    inputs,
  );
}

function coalesce(c: Compiler, n: Node, label: string): Expr {
  const args = ((n['args'] as unknown[]) ?? []).map((a) => c.compile(a));
  const type = commonType(args, label);
  const evs = args.map((a) => coerce(a, type).ev);
  if (label === 'COALESCE')
    return fold(
      {
        type,
        ev: (row, ctx) => {
          for (const ev of evs) {
            const v = ev(row, ctx);
            if (v !== null) return v;
          }
          return null;
        },
      },
      args,
    );
  const sign = label === 'GREATEST' ? 1 : -1;
  return fold(
    {
      type,
      ev: (row, ctx) => {
        let best: Value = null;
        for (const ev of evs) {
          const v = ev(row, ctx);
          if (v !== null && (best === null || compareValues(type, v, best) * sign > 0)) best = v;
        }
        return best;
      },
    },
    args,
  );
}

export function compileConditional(c: Compiler, n: Node): Expr {
  switch (n['kind']) {
    case 'AEXPR_DISTINCT':
      return distinct(c, n, false);
    case 'AEXPR_NOT_DISTINCT':
      return distinct(c, n, true);
    case 'AEXPR_NULLIF':
      return nullif(c, n);
    case 'AEXPR_IN':
      return inList(c, n);
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM':
      return between(c, n);
    case 'CaseExpr':
      return caseExpr(c, n);
    case 'CoalesceExpr':
      return coalesce(c, n, 'COALESCE');
    case 'MinMaxExpr':
      return coalesce(c, n, n['op'] === 'IS_GREATEST' ? 'GREATEST' : 'LEAST');
    default:
      throw new Unsupported(`${String(n['kind'])} expressions are not supported on the delta path`);
  }
}
