/**
 * The Postgres grammar itself (libpg-query: Postgres 18's parser compiled to WebAssembly). The
 * WebAssembly module loads once, when this module is first imported (a top-level await); every
 * parse after that is synchronous, so the views file and SQL can be read without awaiting.
 *
 * The parser reports locations as UTF-8 byte offsets, but its syntax-error cursor as a character
 * offset: `SourceText` keeps both views of the text so that slices and line numbers stay right
 * when a comment or a string holds non-ASCII characters.
 *
 * The parser's WebAssembly is compiled by V8's baseline compiler only (Liftoff, no optimizing
 * tier): it parses the views file once at start and the odd query after that, and the optimizing
 * tier cost about 50 ms of start-up CPU and 40 MiB of resident memory (the compiler's memory, which
 * the allocator keeps) for code that barely runs.
 */
import { setFlagsFromString } from 'node:v8';
import {
  fingerprintSync,
  loadModule,
  parseSync,
  scanSync,
  type ParseResult,
  type ScanToken,
} from 'libpg-query';
import { ViewcastError } from '../core/errors.js';

let loading: Promise<void> | null = null;
let loaded = false;

/** Loads the parser (once per process; importing this module already started it). */
export function loadSqlParser(): Promise<void> {
  if (!loading) {
    // V8's flags are the process's: only this module's compilation is baseline-only (PGlite's
    // Postgres, compiled later, keeps both tiers). Instantiation compiles every function eagerly.
    setFlagsFromString('--liftoff-only');
    loading = loadModule().then(
      () => {
        setFlagsFromString('--no-liftoff-only');
        loaded = true;
      },
      (error: unknown) => {
        setFlagsFromString('--no-liftoff-only');
        throw error;
      },
    );
  }
  return loading;
}

function ensureLoaded(): void {
  if (!loaded) {
    throw new ViewcastError(
      'VIEWCAST_INTERNAL',
      'the SQL parser is not loaded: await loadSqlParser() before parsing SQL',
    );
  }
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
  ensureLoaded();
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
  ensureLoaded();
  return fingerprintSync(sql);
}

/** The lexer's tokens (comments included), or null when the text does not even scan. */
export function scanSql(sql: string): ScanToken[] | null {
  ensureLoaded();
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
