/**
 * The extended query protocol's named objects of one session: prepared statements and portals, with
 * Postgres's errors for a name that is missing or already taken (the unnamed ones, `""`, are replaced
 * silently, as in Postgres).
 */
import type { Field } from './backend-messages.js';
import type { Execution } from './executions.js';
import { PgError, SQLSTATE } from './pg-error.js';
import type { Prepared } from './prepare.js';
import type { Statement } from './sql-ast.js';

export interface Portal {
  statement: Statement;
  params: Array<string | null>;
  resultFormats: number[];
  execution: Execution | null;
  /** Known once the portal ran (a Describe of a query runs it: Postgres plans it then too). */
  fields: Field[] | null;
}

export class Portals {
  private readonly prepared = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();

  /** Throws before the statement is prepared, so a taken name costs no parse. */
  checkStatementName(name: string): void {
    if (name !== '' && this.prepared.has(name)) {
      throw new PgError(SQLSTATE.duplicatePreparedStatement, `prepared statement "${name}" already exists`);
    }
  }

  addStatement(name: string, prepared: Prepared): void {
    this.checkStatementName(name);
    this.prepared.set(name, prepared);
  }

  statement(name: string): Prepared {
    const prepared = this.prepared.get(name);
    if (!prepared) {
      throw new PgError(SQLSTATE.invalidPreparedStatement, `prepared statement "${name}" does not exist`);
    }
    return prepared;
  }

  dropStatement(name: string): void {
    this.prepared.delete(name);
  }

  bind(name: string, portal: Portal): void {
    if (name !== '' && this.portals.has(name)) {
      throw new PgError(SQLSTATE.duplicateCursor, `portal "${name}" already exists`);
    }
    this.portals.get(name)?.execution?.close();
    this.portals.set(name, portal);
  }

  portal(name: string): Portal {
    const portal = this.portals.get(name);
    if (!portal) throw new PgError(SQLSTATE.invalidCursorName, `portal "${name}" does not exist`);
    return portal;
  }

  /** Closes the portal's execution (freeing its subscription) and forgets it. */
  dropPortal(name: string): void {
    this.portals.get(name)?.execution?.close();
    this.portals.delete(name);
  }

  closePortals(): void {
    for (const portal of this.portals.values()) portal.execution?.close();
    this.portals.clear();
  }
}
