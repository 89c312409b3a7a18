/**
 * On a gateway (`--engine postgres://...`) SELECTs over served views are answered by the remote
 * engine itself (Materialize or another viewcast), over one connection opened on first use and
 * again after it failed. Values come back as the remote's text, as everywhere in this server.
 */
import pg from 'pg';
import { canceled, PgError, SQLSTATE } from './pg-error.js';
import type { QueryResult, RemoteQueries } from './query-service.js';

const text = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export function remoteQueries(
  connectionString: string,
  statementTimeoutMs: number,
): RemoteQueries & { close(): Promise<void> } {
  let client: Promise<pg.Client> | null = null;
  const open = (): Promise<pg.Client> => {
    client ??= (async () => {
      const c = new pg.Client({
        connectionString,
        application_name: 'viewcast gateway queries',
        query_timeout: statementTimeoutMs,
        types: text,
      });
      c.on('error', () => {
        client = null; // the next query connects again
      });
      await c.connect();
      return c;
    })();
    client.catch(() => (client = null));
    return client;
  };
  return {
    async run(sql: string, params: Array<string | null>, signal: AbortSignal): Promise<QueryResult> {
      if (signal.aborted) throw canceled();
      try {
        const result = await (await open()).query({ text: sql, values: params, rowMode: 'array' });
        return {
          fields: result.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })),
          rows: result.rows as Array<Array<string | null>>,
        };
      } catch (error) {
        const e = error as { code?: string; message?: string; hint?: string };
        if (e.code && /^[0-9A-Z]{5}$/.test(e.code))
          throw new PgError(
            e.code as PgError['sqlstate'],
            e.message ?? 'remote error',
            e.hint ? { hint: e.hint } : {},
          );
        throw new PgError(
          SQLSTATE.internalError,
          `the remote engine did not answer: ${e.message ?? String(error)}`,
          {
            hint: 'check that the engine of --engine is running; viewcast connects again on the next query.',
          },
        );
      }
    },
    async close() {
      const c = await client?.catch(() => null);
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
