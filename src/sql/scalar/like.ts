/**
 * LIKE / ILIKE / NOT LIKE / NOT ILIKE with `\` as the default escape and `ESCAPE 'c'` (or '' for
 * none). A pattern becomes a regular expression once; a pattern that changes per row is cached by
 * its text. ILIKE folds both sides with lower(), as Postgres does in UTF-8. A pattern that ends with
 * its escape character is an error only when matching reaches that end with text left, as in Postgres.
 */
import { SqlCompileError, SqlEvalError, type Value } from './interface.js';
import { coerce, foldStrict, type Expr } from './expr.js';
import { isTextType } from './types.js';
import { pgLower } from './text-functions.js';
import type { Compiler } from './compile-expr.js';
import { names } from './compile-expr.js';

type Node = Record<string, unknown>;

const SPECIAL = /[\\^$.*+?()[\]{}|/]/;

/**
 * The pattern as a regular expression. A pattern that ends with the default escape fails only if
 * matching reaches it with text left (Postgres checks lazily): `dangling` matches exactly then.
 */
export function likeRegex(
  pattern: string,
  escape: string | null,
  fold: boolean,
): { full: RegExp; dangling?: RegExp } {
  const chars = Array.from(fold ? pgLower(pattern) : pattern);
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (escape !== null && ch === escape) {
      const next = chars[++i];
      if (next === undefined) return { full: /(?!)/, dangling: new RegExp(`^${source}.`, 'su') };
      source += SPECIAL.test(next) ? `\\${next}` : next;
    } else if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += SPECIAL.test(ch) ? `\\${ch}` : ch;
  }
  return { full: new RegExp(`^${source}$`, 'su') };
}

function textOperand(e: Expr, op: string, other: Expr): Expr {
  if (e.type === 'unknown') return coerce(e, 'text');
  if (!isTextType(e.type))
    throw new SqlCompileError('42883', `operator does not exist: ${e.type} ${op} ${other.type}`);
  return e;
}

function danglingEscape(): SqlEvalError {
  return new SqlEvalError('22025', 'LIKE pattern must not end with escape character');
}

function escapeOf(v: Value): string | null {
  const s = v as string;
  if (s === '') return null;
  if (Array.from(s).length !== 1) throw new SqlEvalError('22025', 'invalid escape string');
  return s;
}

export function compileLike(c: Compiler, n: Node): Expr {
  const op = names(n['name'])[0] ?? '~~';
  const negate = op.startsWith('!');
  const insensitive = n['kind'] === 'AEXPR_ILIKE';
  const rnode = n['rexpr'] as Node;
  const escapeCall = (rnode['FuncCall'] as Node | undefined) ?? undefined;
  const isEscape = escapeCall && names(escapeCall['funcname']).pop() === 'like_escape';
  const args = isEscape ? ((escapeCall['args'] as unknown[]) ?? []) : [rnode];
  const rawLeft = c.compile(n['lexpr']);
  const rawPattern = c.compile(args[0]);
  const left = textOperand(rawLeft, op, rawPattern);
  const pattern = textOperand(rawPattern, op, rawLeft);
  const esc = args[1] === undefined ? undefined : coerce(c.compile(args[1]), 'text');
  let cachedKey: string | undefined;
  let cached: { full: RegExp; dangling?: RegExp } | undefined;
  const le = left.ev;
  const pe = pattern.ev;
  const ee = esc?.ev;
  return foldStrict(
    {
      type: 'boolean',
      ev: (row, ctx) => {
        const s = le(row, ctx);
        const p = pe(row, ctx);
        const e = ee ? ee(row, ctx) : '\\';
        if (s === null || p === null || e === null) return null;
        const key = `${e as string}\u0000${p as string}`;
        if (key !== cachedKey) {
          const escape = escapeOf(e);
          cached = likeRegex(p as string, escape, insensitive);
          cachedKey = key;
        }
        const re = cached as { full: RegExp; dangling?: RegExp };
        const subject = insensitive ? pgLower(s as string) : (s as string);
        if (re.dangling?.test(subject)) throw danglingEscape();
        return re.full.test(subject) !== negate;
      },
    },
    esc ? [left, pattern, esc] : [left, pattern],
  );
}
