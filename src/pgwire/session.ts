/**
 * One client connection after start-up: the simple and extended query protocols, one message at a
 * time in arrival order (a streaming SUBSCRIBE holds the messages behind it until it ends, as in
 * Postgres, up to a bounded queue), transaction state, prepared statements, portals and cursors,
 * text and binary formats. A cancel request or a closed socket aborts whatever is running and
 * frees its subscriptions.
 */
import type { Socket } from 'node:net';
import {
  binaryColumns,
  bindComplete,
  closeComplete,
  emptyQueryResponse,
  errorResponse,
  noData,
  noticeResponse,
  parameterDescription,
  parseComplete,
  readyForQuery,
  rowDescription,
  type BinaryColumns,
  type Field,
  type TransactionStatus,
} from './backend-messages.js';
import { binaryToText } from './binary-format.js';
import type { Execution } from './executions.js';
import { readFrontendMessage, type FrontendMessage } from './frontend-messages.js';
import { Output } from './output.js';
import { PgError, SQLSTATE } from './pg-error.js';
import { splitStatements } from './sql-lexer.js';
import { parseStatement } from './sql-parser.js';
import { prepare, queueFull } from './prepare.js';
import { Portals, type Portal } from './portals.js';
import {
  closeCursors,
  describeStatement,
  startStatement,
  type Cursor,
  type SessionContext,
  type SessionState,
} from './statements.js';

export type { SessionContext } from './statements.js';
import { ViewcastError, errorMessage } from '../core/errors.js';
import { holdSqlParser } from '../sql/parse-sql.js';

export class Session implements SessionState {
  transaction: TransactionStatus = 'I';
  readonly cursors = new Map<string, Cursor>();
  private readonly out: Output;
  private readonly inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private processing = false;
  private readonly named = new Portals();
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipToSync = false;
  private running: AbortController | null = null;
  /** The simple query's execution while it runs, so that close frees its subscription at once. */
  private active: Execution | null = null;
  private closed = false;

  constructor(
    readonly context: SessionContext,
    private readonly socket: Socket,
    readonly parameters: Record<string, string>,
  ) {
    this.out = new Output(socket);
  }

  /** The SQL grammar stays loaded while the session is open (a server lets it go when unused). */
  private readonly grammar = holdSqlParser();

  /** True while a statement runs or messages wait (the connection is not idle). */
  get busy(): boolean {
    return this.processing || this.inbox.length > 0;
  }

  receive(data: Uint8Array): void {
    if (this.closed) return;
    const { maxQueuedMessages, maxQueuedBytes } = this.context.limits;
    if (this.inbox.length >= maxQueuedMessages || this.inboxBytes + data.length > maxQueuedBytes) {
      // A client pipelining behind a statement that does not end (a streaming SUBSCRIBE).
      this.out.send(errorResponse(queueFull(maxQueuedMessages, maxQueuedBytes)));
      this.out.flush();
      this.socket.end();
      this.close();
      return;
    }
    this.inbox.push(Buffer.from(data)); // the framing layer reuses its buffer
    this.inboxBytes += data.length;
    if (!this.processing) void this.process();
  }

  /** A CancelRequest for this session: stops the running statement, if any. */
  cancel(): void {
    this.running?.abort();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.grammar.release();
    this.running?.abort();
    this.active?.close();
    closeCursors(this);
    this.named.closePortals();
  }

  notice(message: string, details: { sqlstate?: string; hint?: string } = {}): void {
    this.out.send(noticeResponse(message, details));
  }

  private async process(): Promise<void> {
    this.processing = true;
    try {
      while (!this.closed && this.inbox.length > 0) {
        const data = this.inbox.shift() as Uint8Array;
        this.inboxBytes -= data.length;
        try {
          await this.grammar.ready;
          await this.handle(readFrontendMessage(data));
        } catch (error) {
          this.fail(error);
        }
        if (!this.closed) this.out.flush();
      }
    } finally {
      this.processing = false;
    }
  }

  private fail(error: unknown): void {
    const pgError =
      error instanceof PgError
        ? error
        : new PgError(
            SQLSTATE.internalError,
            error instanceof ViewcastError ? error.message : `internal error: ${errorMessage(error)}`,
          );
    if (!(error instanceof PgError)) this.context.onInternalError(error);
    this.out.send(errorResponse(pgError));
    if (this.transaction === 'T') this.transaction = 'E';
    if (pgError.severity === 'FATAL') {
      this.out.flush();
      this.socket.end();
      this.close();
    }
  }

  private async handle(message: FrontendMessage): Promise<void> {
    if (message.type === 'terminate') {
      this.close();
      this.socket.end();
      return;
    }
    if (message.type === 'sync') {
      this.skipToSync = false;
      if (this.transaction === 'I') this.named.closePortals(); // the implicit transaction ends here
      this.out.send(readyForQuery(this.transaction));
      return;
    }
    if (message.type === 'query') {
      this.skipToSync = false;
      await this.simpleQuery(message.sql);
      return;
    }
    if (this.skipToSync || message.type === 'copy-in') return;
    try {
      await this.extended(message);
    } catch (error) {
      this.skipToSync = true;
      throw error;
    }
  }

  private async simpleQuery(sql: string): Promise<void> {
    const texts = splitStatements(sql);
    if (texts.length === 0) this.out.send(emptyQueryResponse());
    for (const text of texts) {
      try {
        const { fields, execution } = await this.run(() =>
          startStatement(parseStatement(text, this.context.hub.viewNames), this, [], this.signal()),
        );
        if (fields) this.out.send(rowDescription(fields));
        this.active = execution;
        try {
          await this.run(() => execution.resume(this.out, 0, this.signal()));
        } finally {
          this.active = null;
          execution.close();
        }
      } catch (error) {
        this.fail(error);
        break;
      }
    }
    if (!this.closed) this.out.send(readyForQuery(this.transaction));
  }

  private async extended(message: FrontendMessage): Promise<void> {
    switch (message.type) {
      case 'parse': {
        this.named.checkStatementName(message.name);
        const { statement, paramTypes } = await this.run(() =>
          prepare(message.sql, message.paramTypes, this.context),
        );
        this.named.addStatement(message.name, { statement, paramTypes });
        this.out.send(parseComplete());
        return;
      }
      case 'bind': {
        const prepared = this.named.statement(message.statement);
        const params = message.params.map((value, i) =>
          Buffer.isBuffer(value) ? binaryToText(prepared.paramTypes[i] ?? 25, value) : value,
        );
        this.named.bind(message.portal, {
          statement: prepared.statement,
          params,
          resultFormats: message.resultFormats,
          execution: null,
          fields: null,
        });
        this.out.send(bindComplete());
        return;
      }
      case 'describe': {
        if (message.target === 'statement') {
          const prepared = this.named.statement(message.name);
          this.out.send(parameterDescription(prepared.paramTypes));
          this.sendFields(await this.run(() => describeStatement(prepared.statement, this)));
        } else {
          const portal = this.named.portal(message.name);
          if (portal.statement.kind === 'query' && !portal.execution) await this.startPortal(portal);
          const fields = portal.fields ?? (await this.run(() => describeStatement(portal.statement, this)));
          this.sendFields(fields, binaryColumns(fields, portal.resultFormats));
        }
        return;
      }
      case 'execute': {
        const portal = this.named.portal(message.portal);
        const execution = portal.execution ?? (await this.startPortal(portal));
        const binary = binaryColumns(portal.fields, portal.resultFormats);
        const result = await this.run(() =>
          execution.resume(this.out, Math.max(0, message.maxRows), this.signal(), binary),
        );
        if (result === 'done') {
          this.named.dropPortal(message.portal);
        }
        return;
      }
      case 'close': {
        if (message.target === 'statement') this.named.dropStatement(message.name);
        else this.named.dropPortal(message.name);
        this.out.send(closeComplete());
        return;
      }
      case 'flush':
        this.out.flush();
        return;
      default:
        throw new PgError(
          SQLSTATE.protocolViolation,
          `unsupported message type "${message.type === 'other' ? message.code : message.type}"`,
        );
    }
  }

  private async startPortal(portal: Portal): Promise<Execution> {
    const started = await this.run(() =>
      startStatement(portal.statement, this, portal.params, this.signal()),
    );
    portal.execution = started.execution;
    portal.fields = started.fields;
    return started.execution;
  }

  private sendFields(fields: Field[] | null, binary: BinaryColumns = null): void {
    this.out.send(fields ? rowDescription(fields, binary) : noData());
  }

  private signal(): AbortSignal {
    return (this.running as AbortController).signal;
  }

  /** Runs one step with a fresh AbortController, so that a cancel stops exactly this step. */
  private async run<T>(step: () => Promise<T>): Promise<T> {
    this.running = new AbortController();
    if (this.closed) this.running.abort();
    try {
      return await step();
    } finally {
      this.running = null;
    }
  }
}
