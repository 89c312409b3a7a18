/**
 * The Postgres grammar itself (libpg-query: Postgres 18's parser compiled to WebAssembly). The
 * WebAssembly module loads when this module is first imported (a top-level await); every parse
 * after that is synchronous, so the views file and SQL can be read without awaiting.
 *
 * The parser reports locations as UTF-8 byte offsets, but its syntax-error cursor as a character
 * offset: `SourceText` keeps both views of the text so that slices and line numbers stay right
 * when a comment or a string holds non-ASCII characters.
 *
 * The parser's WebAssembly is compiled by V8's baseline compiler only (Liftoff, no optimizing
 * tier): it parses the views file once at start and the odd query after that, and the optimizing
 * tier cost about 50 ms of start-up CPU and 40 MiB of resident memory (the compiler's memory, which
 * the allocator keeps) for code that barely runs.
 *
 * A server lets the parser go once it has started (`releaseSqlParserWhenIdle`): loaded, it holds
 * about 15 MiB (its compiled code, its WebAssembly memory, the module's bytes) for a views file
 * read once. Whatever parses later holds it (`holdSqlParser`, e.g. a Postgres-wire session) or
 * awaits `loadSqlParser()` first, which loads a fresh instance (about 50 ms of CPU) when needed.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ParseResult, ScanToken } from 'libpg-query';
import { ViewcastError } from '../core/errors.js';

type Parser = typeof import('libpg-query');

const require = createRequire(import.meta.url);
const PACKAGE = require.resolve('libpg-query');
// What the package's entry requires, loaded here first so that their module records name this
// module as their parent, not the first instance of the entry (which they would keep alive).
require(require.resolve('./libpg-query.js', { paths: [dirname(PACKAGE)] }));
require(require.resolve('@pgsql/types', { paths: [dirname(PACKAGE)] }));

let parser: Parser | null = null;
let loading: Promise<Parser> | null = null;
/** Holders that may parse at any time (open Postgres-wire sessions). */
let holders = 0;
/** After start, ms to keep an unheld parser (null: keep it for good, as in tests and tools). */
let idleMs: number | null = null;
let lastUse = 0;
let idleTimer: NodeJS.Timeout | null = null;
const releasedListeners = new Set<() => void>();

/**
 * A fresh instance of the package: its entry instantiates the WebAssembly when it is evaluated,
 * so it is evaluated again, and dropped from the require cache so that letting go of the returned
 * object lets go of the instance.
 */
function instantiate(): Promise<Parser> {
  // V8's flags are the process's: only this module's compilation is baseline-only (PGlite's
  // Postgres, compiled later, keeps both tiers). Instantiation compiles every function eagerly.
  setFlagsFromString('--liftoff-only');
  let instance: Parser;
  try {
    instance = require(PACKAGE) as Parser;
  } catch (error) {
    setFlagsFromString('--no-liftoff-only');
    throw error;
  } finally {
    const record = require.cache[PACKAGE];
    delete require.cache[PACKAGE];
    const siblings = record?.parent?.children;
    if (record && siblings) siblings.splice(siblings.indexOf(record), 1);
  }
  return instance.loadModule().then(
    () => {
      setFlagsFromString('--no-liftoff-only');
      return instance;
    },
    (error: unknown) => {
      setFlagsFromString('--no-liftoff-only');
      throw error;
    },
  );
}

/** Loads the parser, or again after it was let go; the parse functions are usable once it resolves. */
export function loadSqlParser(): Promise<void> {
  lastUse = performance.now();
  if (parser) return Promise.resolve();
  loading ??= instantiate().then(
    (instance) => {
      parser = instance;
      loading = null;
      lastUse = performance.now();
      scheduleRelease();
      return instance;
    },
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading.then(() => undefined);
}

export interface SqlParserHold {
  /** Resolves once the parser is loaded; it stays loaded until `release`. */
  ready: Promise<void>;
  release(): void;
}

/** Keeps the parser loaded (loading it if needed) until released: for whatever may parse at any time. */
export function holdSqlParser(): SqlParserHold {
  holders += 1;
  let released = false;
  return {
    ready: loadSqlParser(),
    release: () => {
      if (released) return;
      released = true;
      holders -= 1;
      scheduleRelease();
    },
  };
}

/**
 * From now on, lets the parser go when nothing holds it: at once if it is idle, else once it has
 * not been used for `ms` (a server calls this when it has started). null keeps it loaded again.
 */
export function releaseSqlParserWhenIdle(ms: number | null): void {
  idleMs = ms;
  if (ms === null) {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    return;
  }
  lastUse = Number.NEGATIVE_INFINITY;
  scheduleRelease();
}

/** Calls `listener` each time the parser is let go. */
export function onSqlParserReleased(listener: () => void): () => void {
  releasedListeners.add(listener);
  return () => releasedListeners.delete(listener);
}

export function sqlParserLoaded(): boolean {
  return parser !== null;
}

function scheduleRelease(): void {
  if (idleMs === null || holders > 0 || !parser || idleTimer) return;
  // A timer, never sooner: a caller that has just awaited loadSqlParser() parses in that same turn.
  const wait = Math.max(0, lastUse + idleMs - performance.now());
  idleTimer = setTimeout(() => {
    idleTimer = null;
    if (idleMs === null || holders > 0 || !parser) return;
    if (performance.now() - lastUse < idleMs) return scheduleRelease();
    parser = null;
    collectParserMemory();
    for (const listener of [...releasedListeners]) listener();
  }, wait);
  idleTimer.unref();
}

/**
 * Returns the parser's memory now: it sits in the old generation, which a server ingesting at
 * tens of events per second may not collect for minutes. The instance goes in one full
 * collection and its WebAssembly memory in the next, after a turn (about 20 ms each, once).
 */
function collectParserMemory(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setImmediate(() => {
    gc();
    setImmediate(gc);
  });
}

function ensureLoaded(): Parser {
  if (!parser) {
    throw new ViewcastError(
      'VIEWCAST_INTERNAL',
      'the SQL parser is not loaded: await loadSqlParser() (or hold it) before parsing SQL',
    );
  }
  lastUse = performance.now();
  return parser;
}

// Importers get a parser that is ready: a module graph that reaches this file waits for it.
await loadSqlParser();

/** A syntax error with the character offset (0-based) where Postgres stopped reading. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly cursor: number,
  ) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}

export function parseSql(sql: string): ParseResult {
  const { parseSync } = ensureLoaded();
  try {
    return parseSync(sql);
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (error instanceof Error ? error.message : String(error));
    throw new SqlSyntaxError(message, details?.cursorPosition ?? 0);
  }
}

/** Postgres's query fingerprint: equal for statements that differ only in comments and whitespace. */
export function fingerprintSql(sql: string): string {
  return ensureLoaded().fingerprintSync(sql);
}

/** The lexer's tokens (comments included), or null when the text does not even scan. */
export function scanSql(sql: string): ScanToken[] | null {
  const { scanSync } = ensureLoaded();
  try {
    return scanSync(sql).tokens;
  } catch {
    return null;
  }
}

/** SQL text addressed by the parser's byte offsets. */
export class SourceText {
  private readonly bytes: Buffer;
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] === 0x0a) this.lineStarts.push(i + 1);
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  slice(from: number, to: number = this.bytes.length): string {
    return this.bytes.subarray(from, to).toString('utf8');
  }

  /** 1-based line of a byte offset. */
  lineAtByte(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }

  /** Byte offset of a character offset as the parser counts characters (code points). */
  byteOfChar(chars: number): number {
    let seen = 0;
    let bytes = 0;
    for (const ch of this.text) {
      if (seen >= chars) break;
      bytes += Buffer.byteLength(ch, 'utf8');
      seen += 1;
    }
    return bytes;
  }
}
