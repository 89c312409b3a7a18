/**
 * Log lines on stderr, so they can be told apart from a view's output (`viewcast tail`): text for
 * people (`2026-12-01T08:00:00.000Z info  listening on ...`), or with `--log-format json` one JSON
 * object per line (`{"time":"...","level":"info","message":"..."}`) for log collectors.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Details for whoever investigates (printed with NODE_DEBUG=viewcast); optional to implement. */
  debug?(message: string): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

export type LogFormat = 'text' | 'json';

export function isLogFormat(value: string): value is LogFormat {
  return value === 'text' || value === 'json';
}

export function formatLine(format: LogFormat, level: Level, message: string, at: Date): string {
  if (format === 'json') return `${JSON.stringify({ time: at.toISOString(), level, message })}\n`;
  return `${at.toISOString()} ${level.padEnd(5)} ${message}\n`;
}

export function consoleLogger(quiet = false, format: LogFormat = 'text'): Logger {
  // Node's own switch for modules' debug output (NODE_DEBUG=viewcast,http ...).
  const debug = /(^|,)\s*viewcast\s*(,|$)/i.test(process.env['NODE_DEBUG'] ?? '');
  const line = (level: Level, message: string): void => {
    process.stderr.write(formatLine(format, level, message, new Date()));
  };
  return {
    info: (message) => !quiet && line('info', message),
    warn: (message) => line('warn', message),
    error: (message) => line('error', message),
    debug: (message) => debug && line('debug', message),
  };
}
