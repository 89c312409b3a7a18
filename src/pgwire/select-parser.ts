/**
 * The SELECT this server answers from a view's current state: a column list (or `*`), the
 * aggregates count/sum/min/max without GROUP BY, WHERE with comparisons, IS [NOT] NULL, IN,
 * AND/OR/NOT, then ORDER BY, LIMIT and OFFSET. One view, no joins, no expressions: views are where
 * the real SQL lives.
 */
import type {
  Aggregate,
  CompareOp,
  Condition,
  Literal,
  Operand,
  OrderKey,
  SelectItem,
  SelectStatement,
} from './sql-ast.js';
import { PgError, SQLSTATE } from './pg-error.js';
import type { TokenStream } from './token-stream.js';

const AGGREGATES = new Set<Aggregate>(['count', 'sum', 'min', 'max']);
const CLAUSES = new Set(['from', 'where', 'order', 'limit', 'offset', 'group', 'having', 'union', 'as']);
const UNSUPPORTED = ['group', 'having', 'join', 'union', 'intersect', 'except', 'window', 'for'];

export function parseSelectBody(s: TokenStream): SelectStatement {
  const items = parseItems(s);
  const statement: SelectStatement = {
    kind: 'select',
    items,
    from: null,
    where: null,
    orderBy: [],
    limit: null,
    offset: 0,
  };
  if (s.acceptWord('from')) {
    if (s.peek().value === '(') {
      throw new PgError(SQLSTATE.featureNotSupported, 'subqueries are not supported', {
        position: s.peek().position,
        hint: 'select from a view by name; define a view for anything richer.',
      });
    }
    const view = s.qualifiedName('a view name');
    statement.from = { view: view.name, position: view.position };
    if (
      s.acceptWord('as') ||
      (s.peek().kind === 'word' && !CLAUSES.has(s.peek().value) && !isUnsupported(s))
    ) {
      s.identifier('an alias');
    }
  }
  rejectUnsupported(s);
  if (s.acceptWord('where')) statement.where = parseOr(s);
  rejectUnsupported(s);
  if (s.acceptWord('order')) {
    s.expectWord('by');
    do statement.orderBy.push(parseOrderKey(s));
    while (s.accept(','));
  }
  for (let i = 0; i < 2; i++) {
    if (s.acceptWord('limit')) {
      statement.limit = s.acceptWord('all') ? null : wholeNumber(s, 'LIMIT');
    } else if (s.acceptWord('offset')) {
      statement.offset = wholeNumber(s, 'OFFSET');
      if (!s.acceptWord('rows')) s.acceptWord('row');
    }
  }
  rejectUnsupported(s);
  return statement;
}

function isUnsupported(s: TokenStream): boolean {
  return s.peek().kind === 'word' && UNSUPPORTED.includes(s.peek().value);
}

function rejectUnsupported(s: TokenStream): void {
  if (!isUnsupported(s) && !s.peekWord('inner') && !s.peekWord('left') && !s.peek().value.startsWith(','))
    return;
  if (s.peek().value === ',' || s.peek().kind !== 'word') {
    throw new PgError(SQLSTATE.featureNotSupported, 'joins are not supported', {
      position: s.peek().position,
    });
  }
  const word = s.peek().value.toUpperCase();
  throw new PgError(SQLSTATE.featureNotSupported, `${word} is not supported in SELECT here`, {
    position: s.peek().position,
    hint: 'SELECT reads one view: a column list or aggregates, WHERE, ORDER BY, LIMIT, OFFSET. Define a view for anything richer.',
  });
}

function parseItems(s: TokenStream): SelectItem[] {
  const items: SelectItem[] = [];
  do {
    if (s.accept('*')) {
      items.push({ kind: 'star' });
      continue;
    }
    const token = s.peek();
    let item: SelectItem;
    if (token.kind === 'word' && AGGREGATES.has(token.value as Aggregate) && s.peek(1).value === '(') {
      s.next();
      s.next();
      const column = s.accept('*') ? null : s.qualifiedName('a column name').name;
      if (column === null && token.value !== 'count') throw s.unexpected();
      s.expect(')');
      item = {
        kind: 'aggregate',
        fn: token.value as Aggregate,
        column,
        position: token.position,
        alias: null,
      };
    } else if (
      (token.kind === 'word' && !['true', 'false', 'null'].includes(token.value)) ||
      token.kind === 'quoted'
    ) {
      if (s.peek(1).value === '(') {
        throw new PgError(SQLSTATE.featureNotSupported, `function ${token.value}() is not supported here`, {
          position: token.position,
          hint: 'the aggregates count, sum, min and max are; define a view for anything else.',
        });
      }
      const name = s.qualifiedName('a column name');
      item = { kind: 'column', name: name.name, position: name.position, alias: null };
    } else {
      const operand = parseOperand(s);
      if (operand.kind !== 'literal') throw s.unexpected(token);
      item = { kind: 'literal', value: operand.value, alias: null };
    }
    if (s.acceptWord('as')) item.alias = s.identifier('an alias');
    else if ((s.peek().kind === 'word' && !CLAUSES.has(s.peek().value)) || s.peek().kind === 'quoted')
      item.alias = s.identifier('an alias');
    items.push(item);
  } while (s.accept(','));
  return items;
}

function parseOrderKey(s: TokenStream): OrderKey {
  const token = s.peek();
  let key: OrderKey['key'];
  if (token.kind === 'number') {
    key = { ordinal: wholeNumber(s, 'ORDER BY') };
  } else {
    const name = s.qualifiedName('a column name');
    key = { column: name.name, position: name.position };
  }
  const descending = s.acceptWord('desc') ? true : (s.acceptWord('asc'), false);
  // Postgres puts NULLs last in ascending order and first in descending order unless told otherwise.
  let nullsFirst = descending;
  if (s.acceptWord('nulls')) {
    if (s.acceptWord('first')) nullsFirst = true;
    else {
      s.expectWord('last');
      nullsFirst = false;
    }
  }
  return { key, descending, nullsFirst };
}

function wholeNumber(s: TokenStream, clause: string): number {
  const token = s.next();
  if (token.kind !== 'number' || !/^\d+$/.test(token.value)) {
    throw new PgError(SQLSTATE.syntaxError, `${clause} takes a whole number`, { position: token.position });
  }
  return Number(token.value);
}

function parseOr(s: TokenStream): Condition {
  let left = parseAnd(s);
  while (s.acceptWord('or')) left = { kind: 'or', left, right: parseAnd(s) };
  return left;
}

function parseAnd(s: TokenStream): Condition {
  let left = parseNot(s);
  while (s.acceptWord('and')) left = { kind: 'and', left, right: parseNot(s) };
  return left;
}

function parseNot(s: TokenStream): Condition {
  if (s.acceptWord('not')) return { kind: 'not', condition: parseNot(s) };
  if (s.accept('(')) {
    const inner = parseOr(s);
    s.expect(')');
    return inner;
  }
  const left = parseOperand(s);
  const op = s.peek();
  if (op.kind === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(op.value)) {
    s.next();
    const compare = (op.value === '!=' ? '<>' : op.value) as CompareOp;
    return { kind: 'compare', op: compare, left, right: parseOperand(s) };
  }
  if (s.acceptWord('is')) {
    const negated = s.acceptWord('not');
    s.expectWord('null');
    return { kind: 'is-null', operand: left, negated };
  }
  const negated = s.acceptWord('not');
  if (s.acceptWord('in')) {
    s.expect('(');
    const list: Operand[] = [];
    do list.push(parseOperand(s));
    while (s.accept(','));
    s.expect(')');
    return { kind: 'in', operand: left, list, negated };
  }
  if (negated) throw s.unexpected();
  return { kind: 'operand', operand: left };
}

function parseOperand(s: TokenStream): Operand {
  const token = s.next();
  let operand: Operand;
  if (token.kind === 'number') operand = { kind: 'literal', value: numberLiteral(token.value) };
  else if (token.kind === 'op' && token.value === '-' && s.peek().kind === 'number')
    operand = { kind: 'literal', value: negate(numberLiteral(s.next().value)) };
  else if (token.kind === 'string') operand = { kind: 'literal', value: token.value };
  else if (token.kind === 'param')
    operand = { kind: 'param', index: Number(token.value), position: token.position };
  else if (token.kind === 'word' && (token.value === 'true' || token.value === 'false'))
    operand = { kind: 'literal', value: token.value === 'true' };
  else if (token.kind === 'word' && token.value === 'null') operand = { kind: 'literal', value: null };
  else if (token.kind === 'word' || token.kind === 'quoted') {
    let name = token.value;
    let position = token.position;
    while (s.accept('.')) {
      position = s.peek().position;
      name = s.identifier('a column name');
    }
    operand = { kind: 'column', name, position };
  } else throw s.unexpected(token);
  // Casts (`$1::text`, `'5'::int8`) are accepted and left to the comparison, which coerces by the column's type.
  while (s.accept('::')) s.identifier('a type name');
  return operand;
}

/** Whole numbers that fit are numbers; anything else stays text so that no digit is lost. */
function numberLiteral(text: string): Literal {
  const value = Number(text);
  return /^\d+$/.test(text) && !Number.isSafeInteger(value) ? text : value;
}

function negate(value: Literal): Literal {
  return typeof value === 'number' ? -value : `-${String(value)}`;
}
