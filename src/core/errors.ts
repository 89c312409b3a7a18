/**
 * One error root for the whole project. Every error carries a stable machine-readable `code`
 * (tests and clients match on it) and a message that says how to fix the problem.
 */
export class ViewcastError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ViewcastError';
  }
}

/** A views file that does not parse or cannot run. Stops start-up before anything is served. */
export class ViewDefinitionError extends ViewcastError {
  constructor(
    readonly view: string,
    readonly line: number,
    reason: string,
    file: string,
  ) {
    super(
      'VIEWCAST_BAD_VIEW',
      `View "${view}" (${file}, line ${line}) cannot be created: ${reason}. ` +
        `Fix the view's SQL, or remove it from the file, and start again.`,
    );
    this.name = 'ViewDefinitionError';
  }
}

/** Bad command-line usage: the message names the flag and what it accepts. */
export class UsageError extends ViewcastError {
  constructor(message: string) {
    super('VIEWCAST_USAGE', message);
    this.name = 'UsageError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
