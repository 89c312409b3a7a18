/**
 * Three-valued logic: AND / OR / NOT (evaluated left to right, AND stopping at the first FALSE and
 * OR at the first TRUE, as Postgres's executor does), IS [NOT] NULL, IS [NOT] TRUE / FALSE / UNKNOWN.
 * As Postgres's planner does, `x AND FALSE` is FALSE and `x OR TRUE` is TRUE without evaluating x.
 */
import { SqlCompileError, type Value } from './interface.js';
import { coerce, constantValue, fold, replacedBy, type Ev, type Expr } from './expr.js';
import type { Compiler } from './compile-expr.js';

type Node = Record<string, unknown>;

/** An operand that must be boolean (an untyped literal is read as one). */
export function booleanArg(e: Expr, what: string): Expr {
  if (e.type === 'unknown') return coerce(e, 'boolean');
  if (e.type !== 'boolean')
    throw new SqlCompileError('42804', `argument of ${what} must be type boolean, not type ${e.type}`);
  return e;
}

function and(evs: Ev[]): Ev {
  if (evs.length === 2) {
    const [a, b] = evs as [Ev, Ev];
    return (row, ctx) => {
      const x = a(row, ctx);
      if (x === false) return false;
      const y = b(row, ctx);
      if (y === false) return false;
      return x === null || y === null ? null : true;
    };
  }
  return (row, ctx) => {
    let sawNull = false;
    for (const ev of evs) {
      const v = ev(row, ctx);
      if (v === false) return false;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : true;
  };
}

function or(evs: Ev[]): Ev {
  return (row, ctx) => {
    let sawNull = false;
    for (const ev of evs) {
      const v = ev(row, ctx);
      if (v === true) return true;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : false;
  };
}

const BOOLEAN_TESTS: Record<string, [label: string, test: (v: Value) => boolean]> = {
  IS_TRUE: ['IS TRUE', (v) => v === true],
  IS_NOT_TRUE: ['IS NOT TRUE', (v) => v !== true],
  IS_FALSE: ['IS FALSE', (v) => v === false],
  IS_NOT_FALSE: ['IS NOT FALSE', (v) => v !== false],
  IS_UNKNOWN: ['IS UNKNOWN', (v) => v === null],
  IS_NOT_UNKNOWN: ['IS NOT UNKNOWN', (v) => v !== null],
};

export function compileLogic(c: Compiler, kind: string, n: Node): Expr {
  if (kind === 'BoolExpr') {
    const op = n['boolop'] as string;
    const label = op === 'AND_EXPR' ? 'AND' : op === 'OR_EXPR' ? 'OR' : 'NOT';
    const args = ((n['args'] as unknown[]) ?? []).map((a) => booleanArg(c.compile(a), label));
    if (label === 'NOT') {
      const ev = (args[0] as Expr).ev;
      return fold(
        {
          type: 'boolean',
          ev: (row, ctx) => {
            const v = ev(row, ctx);
            return v === null ? null : !v;
          },
        },
        args,
      );
    }
    // A constant FALSE decides an AND, a constant TRUE an OR, whatever the other operands.
    const decisive = label === 'OR';
    if (args.some((a) => constantValue(a) === decisive)) return replacedBy('boolean', decisive, args);
    const evs = args.map((a) => a.ev);
    return fold({ type: 'boolean', ev: label === 'AND' ? and(evs) : or(evs) }, args);
  }
  const arg = c.compile(n['arg']);
  if (kind === 'NullTest') {
    const ev = arg.ev;
    const isNull = n['nulltesttype'] === 'IS_NULL';
    return fold({ type: 'boolean', ev: (row, ctx) => (ev(row, ctx) === null) === isNull }, [arg]);
  }
  const spec = BOOLEAN_TESTS[n['booltesttype'] as string];
  if (!spec) throw new SqlCompileError('XX000', `unknown boolean test ${String(n['booltesttype'])}`);
  const [label, test] = spec;
  const b = booleanArg(arg, label);
  const ev = b.ev;
  return fold({ type: 'boolean', ev: (row, ctx) => test(ev(row, ctx)) }, [b]);
}
