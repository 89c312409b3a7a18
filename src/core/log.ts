/** Log lines on stderr, prefixed so they can be told apart from a view's output (`viewcast tail`). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function consoleLogger(quiet = false): Logger {
  const line = (level: string, message: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  };
  return {
    info: (message) => !quiet && line('info ', message),
    warn: (message) => line('warn ', message),
    error: (message) => line('error', message),
  };
}
