/**
 * date_trunc, date_bin, to_timestamp(double) and extract / date_part over timestamps and dates:
 * the calls resolved by argument types, as Postgres does; the values are computed by
 * datetime-fields.ts.
 */
import type { SqlType, Value } from './interface.js';
import { foldStrict, strict2, strict1, type Expr } from './expr.js';
import { US_PER_DAY, type Micros } from './datetime.js';
import { isTimestamp } from './types.js';
import { numericToFloat, parseNumericText } from './numeric.js';
import type { Interval } from './interval.js';
import { argAs, noFunctionFor } from './function-args.js';
import { dateBin, extractField, toTimestamp, truncTimestamp, unitOf } from './datetime-fields.js';

export function compileDateTimeFunction(name: string, args: readonly Expr[]): Expr | undefined {
  switch (name) {
    case 'date_trunc': {
      const [u, x0] = args;
      if (args.length !== 2 || !u || !x0) throw noFunctionFor(name, args);
      const x = isTimestamp(x0.type) ? x0 : argAs(x0, 'timestamp with time zone', name, args);
      const type = x.type;
      return strict2(type, argAs(u, 'text', name, args), x, (unit, t) =>
        truncTimestamp(unitOf(unit as string, type), type, t as Micros),
      );
    }
    case 'date_bin': {
      const [s, x0, o0] = args;
      if (args.length !== 3 || !s || !x0 || !o0) throw noFunctionFor(name, args);
      // date_bin(interval, timestamp, timestamp) only when neither side is timestamptz (or a date).
      const type: SqlType =
        x0.type === 'timestamp without time zone' && o0.type === 'timestamp without time zone'
          ? 'timestamp without time zone'
          : 'timestamp with time zone';
      const stride = argAs(s, 'interval', name, args);
      const x = argAs(x0, type, name, args);
      const o = argAs(o0, type, name, args);
      const se = stride.ev;
      const xe = x.ev;
      const oe = o.ev;
      return foldStrict(
        {
          type,
          ev: (row, ctx) => {
            const a = se(row, ctx);
            const b = xe(row, ctx);
            const c = oe(row, ctx);
            return a === null || b === null || c === null
              ? null
              : dateBin(a as Interval, b as Micros, c as Micros);
          },
        },
        [stride, x, o],
      );
    }
    case 'to_timestamp': {
      const [x0] = args;
      if (args.length !== 1 || !x0) throw noFunctionFor(name, args);
      return strict1('timestamp with time zone', argAs(x0, 'double precision', name, args), (v) =>
        toTimestamp(v as number),
      );
    }
    case 'extract':
    case 'date_part': {
      const [u, x0] = args;
      if (args.length !== 2 || !u || !x0) throw noFunctionFor(name, args);
      const isDate = x0.type === 'date';
      const x = isDate || isTimestamp(x0.type) ? x0 : argAs(x0, 'timestamp with time zone', name, args);
      const type = x.type;
      const toTs = isDate
        ? (v: Value): Micros => (Number.isFinite(v as number) ? (v as number) * US_PER_DAY : (v as number))
        : (v: Value) => v as Micros;
      const numeric = name === 'extract';
      return strict2(numeric ? 'numeric' : 'double precision', argAs(u, 'text', name, args), x, (unit, v) => {
        const text = extractField(unitOf(unit as string, type), type, toTs(v), isDate);
        if (text === null) return null;
        return numeric ? parseNumericText(text) : numericToFloat(text);
      });
    }
    default:
      return undefined;
  }
}
