/**
 * One error root for the whole project. Every error carries a stable machine-readable `code` from
 * the catalogue (error-codes.ts), which says what kind of problem it is, whether trying again can
 * help and what to do; the message says how to fix this instance.
 */
import { errorInfo, isErrorCode, type ErrorCategory, type ErrorCode } from './error-codes.js';

/** A code received from another process or server (a worker, a remote peer): kept verbatim. */
export type RelayedCode = string & { readonly relayed: true };

export class ViewcastError extends Error {
  readonly code: ErrorCode | RelayedCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ViewcastError';
  }

  /**
   * An error whose code came over a wire (an engine worker, a server's error frame). A peer may be
   * newer than this catalogue, so the code is kept as it came instead of being checked.
   */
  static relayed(code: string, message: string, name?: string): ViewcastError {
    const error = new ViewcastError('VIEWCAST_ENGINE', message);
    (error as { code: string }).code = code;
    if (name) error.name = name;
    return error;
  }

  get category(): ErrorCategory {
    return isErrorCode(this.code) ? errorInfo(this.code).category : 'transport';
  }

  get retryable(): boolean {
    return isErrorCode(this.code) ? errorInfo(this.code).retryable : false;
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

/** What a client is told of a view it named that is not served here: the views that are. */
export function unknownViewMessage(view: string, known: Iterable<string | { name: string }>): string {
  const names = [...known].map((k) => (typeof k === 'string' ? k : k.name));
  return `unknown view "${view}"; known views: ${names.join(', ')}`;
}

/** A view asked for by name that is not served here. */
export function unknownViewError(view: string, known: Iterable<string | { name: string }>): ViewcastError {
  return new ViewcastError('VIEWCAST_UNKNOWN_VIEW', unknownViewMessage(view, known));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
