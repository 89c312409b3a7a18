/**
 * The oracle: plain Postgres (PGlite, no pg_ivm) holding the same input table, with every view
 * created as an ordinary view and evaluated from scratch after each transaction. PGlite returns
 * rows through the scalar library's parsers, in exactly the wire form the delta path emits.
 */
import { PGlite, type ParserOptions } from '@electric-sql/pglite';
import { typeName } from '../../../src/core/pg-types.js';
import { PGLITE_PARSERS } from './parsers.js';

/** Rows as arrays of wire values with their columns' type names, or the error Postgres raised. */
export type Evaluation =
  { rows: unknown[][]; types: string[] } | { error: { sqlstate: string; message: string } };

const SCHEMA = 'oracle';

export class PgliteOracle {
  private constructor(private readonly pg: PGlite) {}

  static async start(parsers: typeof PGLITE_PARSERS = PGLITE_PARSERS): Promise<PgliteOracle> {
    // The scalar library's parsers always use their second argument's type; PGlite's is optional.
    return new PgliteOracle(await PGlite.create({ parsers: parsers as ParserOptions }));
  }

  /** Starts over: an empty schema holding the input table and the views (as `CREATE VIEW`). */
  async load(createTable: string, views: Array<{ name: string; sql: string }>): Promise<void> {
    await this.pg.exec(
      `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}; SET search_path TO ${SCHEMA};`,
    );
    await this.pg.exec(createTable);
    for (const view of views) await this.pg.exec(`CREATE VIEW ${view.name} AS ${view.sql}`);
  }

  /** Runs one transaction given as SQL (BEGIN ... COMMIT). */
  async run(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  /** Runs one statement with parameters; its rows as objects, with PGlite's own parsers. */
  async runWith<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (await this.pg.query<T>(sql, params)).rows;
  }

  /** The rows of a query as arrays of wire values, or the error Postgres raised. */
  async evaluate(query: string): Promise<Evaluation> {
    try {
      const result = await this.pg.query<unknown[]>(query, [], { rowMode: 'array' });
      return { rows: result.rows, types: result.fields.map((f) => typeName(f.dataTypeID)) };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown };
      if (typeof e.code !== 'string') throw error;
      return { error: { sqlstate: e.code, message: String(e.message) } };
    }
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}
