/**
 * The known traps of incremental views, one small case each, checked against Postgres after every
 * transaction by the same harness as the property test: NULL group keys, count(x) over NULLs,
 * avg's and sum's scale after retractions, min/max when the current extreme leaves, a group's last
 * row retracted, a global aggregate over no rows, top-k ties, OFFSET past the end, DESC's NULLs
 * first, integer overflow, errors that clear when their row is retracted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { firstDisagreement } from './support/oracle/harness.js';
import { PgliteOracle } from './support/oracle/pglite-oracle.js';
import { formatRepro } from './support/oracle/repro.js';
import { reproCase, type TrapCase } from './support/oracle/trap-case.js';

const TRAPS: TrapCase[] = [
  {
    name: 'NULL group keys form one group, which goes when its last row does',
    views: ['SELECT s1, count(*) AS n FROM events GROUP BY s1'],
    transactions: [
      [
        ['+', {}],
        ['+', { s1: 'a' }],
        ['+', {}],
      ],
      [['-', {}]],
      [['-', {}]],
    ],
  },
  {
    name: 'count(x) skips NULLs, count(*) does not',
    views: ['SELECT count(i1) AS c, count(*) AS n, count(DISTINCT i1) AS d FROM events'],
    transactions: [
      [
        ['+', {}],
        ['+', { i1: '1' }],
        ['+', { i1: '1' }],
      ],
      [['-', { i1: '1' }]],
    ],
  },
  {
    name: "avg's and sum's scale follow the rows present, also after a retraction",
    views: [
      'SELECT avg(i1) AS ai, avg(b1) AS ab, avg(n1) AS an, sum(n1) AS sn FROM events',
      'SELECT s1, avg(n1) AS an, sum(n1) AS sn FROM events GROUP BY s1',
    ],
    transactions: [
      [
        ['+', { i1: '1', b1: '2', n1: '0.5', s1: 'a' }],
        ['+', { i1: '2', b1: '3', n1: '2', s1: 'a' }],
      ],
      [['-', { i1: '1', b1: '2', n1: '0.5', s1: 'a' }]],
      [
        ['+', { i1: '3', n1: '3.14159', s1: 'a' }],
        ['+', { n1: '-0.000000000000000001', s1: 'a' }],
      ],
    ],
  },
  {
    name: 'min and max when the current extreme is retracted',
    views: ['SELECT s1, min(i1) AS lo, max(i1) AS hi, min(s1) AS ls, max(ts1) AS ht FROM events GROUP BY s1'],
    transactions: [
      [
        ['+', { s1: 'a', i1: '5' }],
        ['+', { s1: 'a', i1: '1' }],
        ['+', { s1: 'a', i1: '9' }],
        ['+', { s1: 'a', i1: '1' }],
      ],
      [['-', { s1: 'a', i1: '1' }]],
      [['-', { s1: 'a', i1: '1' }]],
      [['-', { s1: 'a', i1: '9' }]],
      [
        ['+', { s1: 'a', ts1: '1969-12-31 23:59:59.999+00' }],
        ['-', { s1: 'a', i1: '5' }],
      ],
    ],
  },
  {
    name: 'a global aggregate over no rows is one row of 0 and NULLs, before and after',
    views: [
      'SELECT count(*) AS n, sum(i1) AS s, min(s1) AS m, avg(n1) AS a, count(*) FILTER (WHERE f1) AS t FROM events',
    ],
    transactions: [
      [['+', { i1: '1', s1: 'x', n1: '2', f1: 'true' }]],
      [['-', { i1: '1', s1: 'x', n1: '2', f1: 'true' }]],
    ],
  },
  {
    name: 'top-k ties are broken by the output columns ascending, NULLs last',
    views: [
      [
        'SELECT s1, i1 FROM events ORDER BY i1 DESC LIMIT 2',
        'SELECT s1, i1 FROM events ORDER BY i1 DESC, 1 ASC NULLS LAST, 2 ASC NULLS LAST LIMIT 2',
      ],
    ],
    transactions: [
      [
        ['+', { s1: 'b', i1: '1' }],
        ['+', { s1: 'a', i1: '1' }],
        ['+', { i1: '1' }],
        ['+', { s1: 'c', i1: '0' }],
      ],
      [['-', { s1: 'a', i1: '1' }]],
      [['-', { s1: 'b', i1: '1' }]],
    ],
  },
  {
    name: 'OFFSET beyond the rows, LIMIT 0',
    views: [
      [
        'SELECT i1 FROM events ORDER BY i1 LIMIT 3 OFFSET 10',
        'SELECT i1 FROM events ORDER BY i1, 1 ASC NULLS LAST LIMIT 3 OFFSET 10',
      ],
      [
        'SELECT i1 FROM events ORDER BY i1 LIMIT 0',
        'SELECT i1 FROM events ORDER BY i1, 1 ASC NULLS LAST LIMIT 0',
      ],
      [
        'SELECT i1 FROM events ORDER BY i1 LIMIT 2 OFFSET 1',
        'SELECT i1 FROM events ORDER BY i1, 1 ASC NULLS LAST LIMIT 2 OFFSET 1',
      ],
    ],
    transactions: [
      [
        ['+', { i1: '3' }],
        ['+', { i1: '1' }],
        ['+', { i1: '2' }],
      ],
      [['-', { i1: '1' }]],
    ],
  },
  {
    name: 'DESC puts NULLs first, ASC last, unless told otherwise',
    views: [
      [
        'SELECT i1 FROM events ORDER BY i1 DESC LIMIT 2',
        'SELECT i1 FROM events ORDER BY i1 DESC, 1 ASC NULLS LAST LIMIT 2',
      ],
      [
        'SELECT i1 FROM events ORDER BY i1 LIMIT 2',
        'SELECT i1 FROM events ORDER BY i1, 1 ASC NULLS LAST LIMIT 2',
      ],
      [
        'SELECT i1 FROM events ORDER BY i1 DESC NULLS LAST LIMIT 2',
        'SELECT i1 FROM events ORDER BY i1 DESC NULLS LAST, 1 ASC NULLS LAST LIMIT 2',
      ],
    ],
    transactions: [
      [
        ['+', { i1: '1' }],
        ['+', {}],
        ['+', { i1: '2' }],
      ],
      [['-', {}]],
    ],
  },
  {
    name: 'sum(integer) is a bigint and sum(bigint) a numeric: no overflow; a cast back overflows',
    views: [
      'SELECT sum(i1) AS si, sum(b1) AS sb FROM events',
      'SELECT sum(i1)::integer AS si FROM events',
      'SELECT i1 + i1 AS twice FROM events',
    ],
    transactions: [
      [
        ['+', { i1: '2147483647', b1: '9223372036854775807' }],
        ['+', { i1: '2147483647', b1: '9223372036854775807' }],
      ],
      [
        ['-', { i1: '2147483647', b1: '9223372036854775807' }],
        ['+', { i1: '-1', b1: '-9223372036854775808' }],
      ],
      [['-', { i1: '2147483647', b1: '9223372036854775807' }]],
    ],
  },
  {
    name: 'an error is data while its row is present, and clears when the row leaves',
    views: ['SELECT i1 / i2 AS q FROM events', 'SELECT s1, sum(i1 / i2) AS q FROM events GROUP BY s1'],
    transactions: [
      [
        ['+', { i1: '1', i2: '0', s1: 'a' }],
        ['+', { i1: '4', i2: '2', s1: 'a' }],
      ],
      [['-', { i1: '1', i2: '0', s1: 'a' }]],
    ],
  },
  {
    name: 'a top-k over a grouped view, with ties and a group that leaves',
    views: [
      'SELECT s1, count(*) AS n FROM events GROUP BY s1',
      [
        'SELECT * FROM v1 ORDER BY n DESC LIMIT 2',
        'SELECT * FROM v1 ORDER BY n DESC, 1 ASC NULLS LAST, 2 ASC NULLS LAST LIMIT 2',
      ],
    ],
    transactions: [
      [
        ['+', { s1: 'b' }],
        ['+', { s1: 'a' }],
        ['+', { s1: 'c' }],
        ['+', { s1: 'c' }],
        ['+', {}],
      ],
      [
        ['-', { s1: 'c' }],
        ['-', { s1: 'c' }],
      ],
      [
        ['+', {}],
        ['-', { s1: 'a' }],
      ],
    ],
  },
  {
    name: 'Unicode: code points, not UTF-16 units; C collation order; case mapping',
    views: [
      'SELECT s1, length(s1) AS len, upper(s1) AS up, lower(s1) AS low FROM events',
      'SELECT min(s1) AS lo, max(s1) AS hi FROM events',
      "SELECT s1 FROM events WHERE s1 LIKE '_' OR s1 ILIKE 'ss'",
    ],
    transactions: [
      [
        ['+', { s1: '😀' }],
        ['+', { s1: '\uFF21' }],
        ['+', { s1: 'ß' }],
        ['+', { s1: 'e\u0301' }],
        ['+', { s1: 'İ' }],
        ['+', { s1: 'SS' }],
      ],
      [
        ['-', { s1: '😀' }],
        ['+', { s1: '' }],
      ],
    ],
  },
  {
    name: 'integers beyond 2^53 and long numerics travel exactly',
    views: [
      'SELECT b1, n1, b1 + 1 AS next FROM events',
      'SELECT max(b1) AS hi, sum(n1) AS total FROM events',
    ],
    transactions: [
      [
        ['+', { b1: '9007199254740993', n1: '123456789012345678901234567890.123456789012' }],
        ['+', { b1: '-9007199254740993', n1: '99999999999999999999.99' }],
      ],
    ],
  },
  {
    // Postgres folds a strict call with a constant NULL argument to NULL while planning, without
    // evaluating the other arguments: the overflow below never runs.
    name: 'a strict operator with a NULL constant operand is NULL, whatever its other operand',
    views: ['SELECT (- (b1 + b1)) + (b1 + NULL::bigint) AS x, length(s1 || NULL::text) AS y FROM events'],
    transactions: [[['+', { b1: '-9223372036854775808', s1: 'a' }]]],
  },
  {
    // Postgres folds `x OR TRUE` to TRUE (and `x AND FALSE` to FALSE) while planning: the
    // aggregate inside x is never computed, so its overflow is never raised.
    name: 'x OR TRUE is TRUE without evaluating x',
    views: [
      'SELECT b1, ((count(i1 + i1) IS NULL) OR TRUE) AS t, ((i1 + i1 > 0) AND FALSE) AS f FROM events GROUP BY b1, i1',
    ],
    transactions: [[['+', { i1: '-2147483648', b1: '12' }]]],
  },
  {
    name: 'GROUP BY an IN list, shown in the select list',
    views: ['SELECT (i1 IN (1, 2)) AS small, count(*) AS n FROM events GROUP BY (i1 IN (1, 2))'],
    transactions: [
      [
        ['+', { i1: '1' }],
        ['+', { i1: '3' }],
        ['+', {}],
      ],
      [['-', { i1: '3' }]],
    ],
  },
];

describe('delta path traps against Postgres', { timeout: 300_000 }, () => {
  let oracle: PgliteOracle;
  before(async () => {
    oracle = await PgliteOracle.start();
  });
  after(async () => {
    await oracle?.close();
  });

  for (const trap of TRAPS) {
    it(trap.name, { todo: trap.open }, async () => {
      const c = reproCase(trap);
      const found = await firstDisagreement(oracle, c);
      if (found) assert.fail(formatRepro(c, found));
    });
  }
});
