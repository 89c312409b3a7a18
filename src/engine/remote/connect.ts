/**
 * Connections to a remote engine with node-postgres. Values are parsed as the embedded engine makes
 * them, so that a gateway serves the very same rows as the engine behind it: int8 as a number
 * while it is a safe integer (a BigInt beyond), numeric as text.
 */
import pg from 'pg';
import { connectOrEnd, parsePostgresUrl, withoutPassword } from '../../core/pg-connect.js';

const INT8_OID = 20;

function parseInt8(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface RemoteTarget {
  /** The connection string given to node-postgres (without viewcast's own `views` parameter). */
  connectionString: string;
  /** For logs and status: the URL without its password. */
  display: string;
  /** Views named in `?views=a,b`; null serves every view the remote lists. */
  views: string[] | null;
}

export { isRemoteEngine } from './remote-url.js';

export function parseRemoteTarget(engine: string): RemoteTarget {
  const url = parsePostgresUrl(engine, '--engine', 'postgres://materialize@127.0.0.1:6875/materialize');
  const views = url.searchParams.get('views');
  url.searchParams.delete('views');
  return {
    connectionString: url.toString(),
    display: withoutPassword(url.toString()),
    views: views
      ? views
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : null,
  };
}

export async function connect(target: RemoteTarget, purpose: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: target.connectionString,
    application_name: `viewcast ${purpose}`.slice(0, 63),
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    types,
  });
  return connectOrEnd(client);
}

/** True for errors worth retrying (the remote is down or restarting), false for refusals. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? '';
    return code.startsWith('08') || code.startsWith('57P'); // connection exceptions, admin shutdown
  }
  return true; // ECONNREFUSED, ECONNRESET, timeouts, "Connection terminated"
}
