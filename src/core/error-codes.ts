/**
 * The catalogue of every error code viewcast raises: what kind of problem each is (which says who
 * can fix it), whether trying again can help, and what to do. Tests and clients match on the code,
 * never on the message. docs/ERRORS.md lists the same codes (test/error-catalogue.test.ts keeps the
 * two in step). To add a code: one entry in ERROR_CODES, one section in docs/ERRORS.md. The error
 * class that carries a code is `ViewcastError` (errors.ts).
 */

/** Where the problem lies, which says who can fix it. */
export type ErrorCategory = 'configuration' | 'input' | 'view' | 'transport' | 'engine';

export interface ErrorCodeInfo {
  category: ErrorCategory;
  /** True when the same operation may succeed later unchanged (a lost connection, a busy lock). */
  retryable: boolean;
  /** What to do about it, one sentence: shown in docs/ERRORS.md and usable as a message's tail. */
  action: string;
}

export const ERROR_CODES = {
  VIEWCAST_USAGE: {
    category: 'configuration',
    retryable: false,
    action: 'Fix the command line: the message names the flag and what it accepts.',
  },
  VIEWCAST_BAD_VIEW: {
    category: 'configuration',
    retryable: false,
    action: "Fix the view's SQL (file and line are named), or remove the view, and start again.",
  },
  VIEWCAST_BAD_VIEWS_FILE: {
    category: 'configuration',
    retryable: false,
    action: 'Fix the views file named in the message so that it parses as SQL statements.',
  },
  VIEWCAST_VIEWS_FILE: {
    category: 'configuration',
    retryable: false,
    action: 'Point --views at a readable views file with at least one CREATE VIEW.',
  },
  VIEWCAST_DATA_DIR: {
    category: 'configuration',
    retryable: false,
    action: 'Point --data-dir at a writable directory with free space, or run with --memory.',
  },
  VIEWCAST_DATA_DIR_FULL: {
    category: 'configuration',
    retryable: true,
    action: 'Free some space, point --data-dir at another disk, or run with --memory.',
  },
  VIEWCAST_DATA_DIR_IN_USE: {
    category: 'configuration',
    retryable: true,
    action: 'Stop the other viewcast using the data directory, or point --data-dir elsewhere.',
  },
  VIEWCAST_DATA_DIR_MISMATCH: {
    category: 'configuration',
    retryable: false,
    action: 'Start with the views file the data directory was made with, or use a new data directory.',
  },
  VIEWCAST_HISTORY_NOT_RETAINED: {
    category: 'configuration',
    retryable: false,
    action:
      "Restore the view's previous definition, or start a new data directory with --retain all so that views can be added later.",
  },
  VIEWCAST_AS_OF: {
    category: 'input',
    retryable: false,
    action: 'Ask for a whole-number timestamp within the history the engine keeps (the message says which).',
  },
  VIEWCAST_UNKNOWN_VIEW: {
    category: 'input',
    retryable: false,
    action: 'Use one of the views the message lists (GET /api/views lists them too).',
  },
  VIEWCAST_SOURCE: {
    category: 'configuration',
    retryable: false,
    action: 'Point --source at a readable recording of newline-delimited JSON or SSE text.',
  },
  VIEWCAST_SSE_FIELD: {
    category: 'input',
    retryable: false,
    action: 'Send SSE ids and event names without line breaks.',
  },
  VIEWCAST_PROTOCOL: {
    category: 'transport',
    retryable: false,
    action: "Update the page's client library to the server's protocol version.",
  },
  VIEWCAST_TAIL: {
    category: 'transport',
    retryable: true,
    action: 'Check the server address, the view name and --token; viewcast tail prints what the server said.',
  },
  VIEWCAST_PG_LISTEN: {
    category: 'configuration',
    retryable: false,
    action: 'Choose another --pg-port (or 0 to turn the Postgres-wire port off), or stop what uses it.',
  },
  VIEWCAST_ENGINE: {
    category: 'engine',
    retryable: false,
    action: 'Read the reason in the log; restart viewcast (state is kept in the data directory).',
  },
  VIEWCAST_VIEW_ERROR: {
    category: 'view',
    retryable: true,
    action:
      "The view's SQL fails on some input it reads (the message names the reason and value); it recovers " +
      'by itself when that input goes away, or fix the view.',
  },
  VIEWCAST_VIEW_STUCK: {
    category: 'view',
    retryable: true,
    action: 'The view stopped progressing: check the engine log (or the remote engine) for that view.',
  },
  VIEWCAST_START_TIMEOUT: {
    category: 'engine',
    retryable: true,
    action:
      'The views named did not deliver their first snapshot in time: check the engine or remote engine.',
  },
  VIEWCAST_REMOTE_ENGINE: {
    category: 'transport',
    retryable: true,
    action: 'Check that the remote engine (--engine URL) is reachable and accepts the credentials.',
  },
  VIEWCAST_REMOTE_PROTOCOL: {
    category: 'transport',
    retryable: false,
    action:
      'The remote engine sent SUBSCRIBE output viewcast cannot read: use Materialize or viewcast as remote.',
  },
  VIEWCAST_REMOTE_TIMESTAMP: {
    category: 'transport',
    retryable: false,
    action: 'The remote engine sent a timestamp beyond 2^53: viewcast cannot carry it exactly.',
  },
  VIEWCAST_REMOTE_REFUSED: {
    category: 'transport',
    retryable: false,
    action:
      'The remote engine refuses the SUBSCRIBE (SQL, permissions or credentials): fix the remote or the URL.',
  },
  VIEWCAST_REMOTE_SCHEMA: {
    category: 'view',
    retryable: false,
    action: "The remote view's columns changed: restart viewcast so that clients get the new columns.",
  },
  VIEWCAST_WIKIMEDIA_FORBIDDEN: {
    category: 'transport',
    retryable: false,
    action: 'Wikimedia refused the request: set a descriptive User-Agent, or use --source simulate.',
  },
  VIEWCAST_FORWARD_REFUSED: {
    category: 'transport',
    retryable: false,
    action: 'The webhook refused the events: fix the URL or its credentials; viewcast forward exits.',
  },
  VIEWCAST_FORWARD_UNAVAILABLE: {
    category: 'transport',
    retryable: true,
    action:
      'The webhook kept answering 429 or 5xx (or not at all): check that it is up, then run forward again.',
  },
  VIEWCAST_FORWARD_STATE: {
    category: 'configuration',
    retryable: false,
    action: 'Point --state at a readable JSON file written by viewcast forward, or delete it to start over.',
  },
  VIEWCAST_PG_LOGIN: {
    category: 'configuration',
    retryable: false,
    action: 'Fix the user or password in the --source postgres:// URL, or allow the login in pg_hba.conf.',
  },
  VIEWCAST_PG_DATABASE: {
    category: 'configuration',
    retryable: false,
    action: 'Name an existing database in the --source postgres:// URL.',
  },
  VIEWCAST_PG_FAILED: {
    category: 'transport',
    retryable: true,
    action: 'Check that the upstream Postgres server is running and reachable at the --source URL.',
  },
  VIEWCAST_PG_WAL_LEVEL: {
    category: 'configuration',
    retryable: false,
    action:
      'Set wal_level = logical in the upstream postgresql.conf and restart Postgres (see docs/POSTGRES.md).',
  },
  VIEWCAST_PG_PRIVILEGE: {
    category: 'configuration',
    retryable: false,
    action: 'Grant the --source user REPLICATION and SELECT on the replicated tables (see docs/POSTGRES.md).',
  },
  VIEWCAST_PG_TABLE: {
    category: 'configuration',
    retryable: false,
    action: 'Create the table upstream, or remove its CREATE TABLE from the views file.',
  },
  VIEWCAST_PG_COLUMNS: {
    category: 'configuration',
    retryable: false,
    action: "Make the CREATE TABLE in the views file list the upstream table's columns and types.",
  },
  VIEWCAST_PG_REPLICA_IDENTITY: {
    category: 'configuration',
    retryable: false,
    action: 'Run ALTER TABLE ... REPLICA IDENTITY FULL upstream on the named table.',
  },
  VIEWCAST_PG_PUBLICATION: {
    category: 'configuration',
    retryable: false,
    action: 'Create the publication named by --pg-publication for the declared tables, or omit the flag.',
  },
  VIEWCAST_PG_SLOT: {
    category: 'configuration',
    retryable: false,
    action: 'Create the slot named by --pg-slot with the pgoutput plugin, or omit the flag.',
  },
  VIEWCAST_PG_SLOT_LOST: {
    category: 'engine',
    retryable: false,
    action: 'The replication slot was dropped or invalidated upstream: start over with a new data directory.',
  },
  VIEWCAST_PG_SCHEMA_CHANGED: {
    category: 'configuration',
    retryable: false,
    action:
      'A replicated table changed upstream: update its CREATE TABLE in the views file and start with a new data directory.',
  },
  VIEWCAST_PG_TRUNCATE: {
    category: 'input',
    retryable: false,
    action: 'A replicated table was truncated upstream: start over with a new data directory.',
  },
  VIEWCAST_PG_POSITION: {
    category: 'engine',
    retryable: false,
    action: 'The stored replication position is unreadable: start over with a new data directory.',
  },
  VIEWCAST_PG_PROTOCOL: {
    category: 'transport',
    retryable: true,
    action:
      'Upstream sent a replication message viewcast cannot read: check the server is Postgres 13 or later.',
  },
  VIEWCAST_INTERNAL: {
    category: 'engine',
    retryable: false,
    action: 'A bug in viewcast: report it with the message and the views file.',
  },
  VIEWCAST_NOT_DELTA: {
    category: 'engine',
    retryable: false,
    action:
      'A bug in viewcast (a view was asked of the delta path that runs elsewhere): report it with the views file.',
  },
  VIEWCAST_BAD_QUERY: {
    category: 'input',
    retryable: false,
    action:
      'Fix the query: it must be one SELECT over one served view (GET /api/views lists them), in Postgres syntax.',
  },
  VIEWCAST_QUERIES_OFF: {
    category: 'configuration',
    retryable: false,
    action:
      'Subscribe to a served view by name, or start the server with --allow-browser-queries to accept ad-hoc queries from browsers (see the security note in README).',
  },
  VIEWCAST_QUERY_NOT_INCREMENTAL: {
    category: 'input',
    retryable: false,
    action:
      'Rewrite the query in a shape the delta path maintains (one served view in FROM: filters, projections, GROUP BY with count/sum/avg/min/max, DISTINCT, ORDER BY ... LIMIT), or define it as a view in the views file.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/**
 * Postgres-wire errors carry the SQLSTATE they answer with (`VIEWCAST_SQL_42P01`): one family of
 * codes, documented once as `VIEWCAST_SQL_<SQLSTATE>`.
 */
export type SqlErrorCode = `VIEWCAST_SQL_${string}`;

export const SQL_ERROR_FAMILY: ErrorCodeInfo = {
  category: 'input',
  retryable: false,
  action: 'The Postgres-wire client sent SQL viewcast refuses: the SQLSTATE and message say why.',
};

export type ErrorCode = keyof typeof ERROR_CODES | SqlErrorCode;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code) || code.startsWith('VIEWCAST_SQL_');
}

/** The catalogue entry of a code (the SQL family for `VIEWCAST_SQL_*`). */
export function errorInfo(code: ErrorCode): ErrorCodeInfo {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as keyof typeof ERROR_CODES] : SQL_ERROR_FAMILY;
}
