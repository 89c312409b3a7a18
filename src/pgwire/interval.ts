/** Parses the interval of `FETCH ... WITH (timeout = '1s')` into milliseconds. */
import { PgError, SQLSTATE } from './pg-error.js';

const UNITS: Record<string, number> = {
  us: 0.001,
  microsecond: 0.001,
  microseconds: 0.001,
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** `'1s'`, `'500ms'`, `'1.5 seconds'`, `'1 minute 30 seconds'`, or a bare number of seconds. */
export function parseInterval(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  let total = 0;
  let rest = trimmed;
  const part = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/;
  if (rest === '') throw invalid(text);
  while (rest !== '') {
    const match = part.exec(rest);
    const unit = match ? UNITS[match[2] as string] : undefined;
    if (!match || unit === undefined) throw invalid(text);
    total += Number(match[1]) * unit;
    rest = rest.slice(match[0].length);
  }
  return total;
}

function invalid(text: string): PgError {
  return new PgError(SQLSTATE.invalidParameterValue, `invalid interval "${text}" for TIMEOUT`, {
    hint: "use e.g. '1s', '500ms' or '2 seconds'.",
  });
}
