/**
 * What a SELECT reads, found with the Postgres grammar itself (libpg-query): exactly one SELECT,
 * reading either served views (by their plain names) or the system catalog (pg_catalog,
 * information_schema), never both and nothing else. Anything that writes (SELECT INTO, a
 * data-modifying WITH, FOR UPDATE) is refused as a read-only transaction would.
 */
import { parseSql, SqlSyntaxError } from '../sql/parse-sql.js';
import { PgError, readOnly, SQLSTATE, unknownView } from './pg-error.js';

export interface AnalyzedQuery {
  /** The query text as the client wrote it (one statement, no trailing semicolon needed). */
  sql: string;
  /** Served views it reads, each once, in order of appearance. */
  views: string[];
  /** True when it reads only the system catalog (psql's \d, GUI tools on connect). */
  catalog: boolean;
  /** The parse tree without positions: identical queries share one key. */
  key: string;
  /** Highest $n placeholder. */
  params: number;
}

type Node = Record<string, unknown>;

const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/** Catalog tables that hold secrets or server files: refused as Postgres refuses a non-superuser. */
const HIDDEN_CATALOG =
  /^(pg_authid|pg_shadow|pg_user_mappings?|pg_largeobject|pg_statistic|pg_file_settings|pg_hba_file_rules|pg_ident_file_mappings|pg_config)$/;

/** Functions that act on the server rather than read data: refused as Postgres refuses a non-superuser. */
const ADMIN_FUNCTIONS =
  /^(pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_read_file|pg_read_binary_file|pg_ls_\w+|pg_stat_file|pg_promote|pg_switch_wal|pg_create_\w+|pg_drop_\w+|pg_replication_\w+|pg_logical_\w+|pg_advisory_\w+|pg_try_advisory_\w+|set_config|lo_\w+|dblink\w*|nextval|setval)$/;

/** Parses `sql`; null when it is not a query (the caller tries its own statements then). */
export function parseQuery(sql: string, offset = 0): Node | null {
  let tree: { stmts: Array<{ stmt: Node }> };
  try {
    // The grammar shared with the views file; a session holds it loaded (see Session).
    tree = parseSql(sql) as typeof tree;
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    throw new PgError(SQLSTATE.syntaxError, error.message, { position: offset + error.cursor + 1 });
  }
  if (tree.stmts.length !== 1) {
    throw new PgError(SQLSTATE.syntaxError, 'cannot insert multiple commands into a prepared statement');
  }
  return tree.stmts[0]?.stmt ?? null;
}

/** Checks a parsed statement that should be a SELECT over served views or the catalog. */
export function analyzeQuery(sql: string, views: readonly string[], offset = 0): AnalyzedQuery {
  const stmt = parseQuery(sql, offset) ?? {};
  const select = stmt['SelectStmt'] as Node | undefined;
  if (!select) throw readOnly(Object.keys(stmt)[0]?.replace(/Stmt$/, '').toUpperCase() ?? 'this statement');
  if (select['intoClause']) throw readOnly('SELECT INTO');
  const served = new Set(views);
  const ctes = new Set<string>();
  const read: string[] = [];
  let catalog = false;
  let params = 0;
  walk(select, (key, node) => {
    if (key === 'CommonTableExpr') ctes.add(String(node['ctename']));
  });
  walk(select, (key, node) => {
    if (key === 'CommonTableExpr') {
      const query = node['ctequery'] as Node | undefined;
      if (query && !query['SelectStmt']) throw readOnly('a data-modifying WITH');
    } else if (key === 'SelectStmt' && (node['lockingClause'] as unknown[] | undefined)?.length) {
      throw readOnly('SELECT FOR UPDATE');
    } else if (key === 'FuncCall') {
      const names = (node['funcname'] as Array<{ String?: { sval?: string } }> | undefined) ?? [];
      const name = names.at(-1)?.String?.sval ?? '';
      if (ADMIN_FUNCTIONS.test(name)) {
        throw new PgError(SQLSTATE.insufficientPrivilege, `permission denied for function ${name}`, {
          position: offset + Number(node['location'] ?? 0) + 1,
          hint: 'viewcast serves views read-only; functions that act on the server are not available.',
        });
      }
    } else if (key === 'ParamRef') {
      params = Math.max(params, Number(node['number'] ?? 0));
    } else if (key === 'RangeVar') {
      const schema = node['schemaname'] as string | undefined;
      const name = String(node['relname']);
      const position = offset + Number(node['location'] ?? 0) + 1;
      if (HIDDEN_CATALOG.test(name)) {
        throw new PgError(SQLSTATE.insufficientPrivilege, `permission denied for table ${name}`, {
          position,
        });
      }
      if (schema && CATALOG_SCHEMAS.has(schema)) catalog = true;
      else if (!schema && ctes.has(name)) return;
      else if ((!schema || schema === 'public') && served.has(name)) {
        if (!read.includes(name)) read.push(name);
      } else if (!schema && /^pg_/.test(name)) catalog = true;
      else {
        const error = unknownView(schema ? `${schema}.${name}` : name, [...served]);
        throw new PgError(error.sqlstate, error.message, { position, hint: error.hint });
      }
    }
  });
  if (catalog && read.length > 0) {
    throw new PgError(
      SQLSTATE.featureNotSupported,
      'a query reads either served views or the system catalog, not both',
      {
        hint: 'run the catalog query and the query over views separately.',
      },
    );
  }
  return {
    sql,
    views: read,
    catalog: read.length === 0,
    key: JSON.stringify(stripLocations(select)),
    params,
  };
}

function walk(node: unknown, visit: (key: string, node: Node) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Node)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && /^[A-Z]/.test(key))
      visit(key, value as Node);
    walk(value, visit);
  }
}

function stripLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripLocations);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Node)
      .filter(([key]) => key !== 'location')
      .map(([key, value]) => [key, stripLocations(value)]),
  );
}
