/**
 * The server's memory settings as a user gets them: `viewcast serve` starts with V8's young
 * generation bounded and glibc's malloc held to two arenas that give freed memory back (the node
 * flag and the variables on bin/viewcast.js's shebang line, and in `npm start`), and lets
 * the SQL parser go once it has started, loading it again for a Postgres-wire session
 * (src/sql/parse-sql.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  loadSqlParser,
  onSqlParserReleased,
  parseSql,
  releaseSqlParserWhenIdle,
  sqlParserLoaded,
} from '../src/sql/parse-sql.js';
import { startViewcast, VIEWCAST_BIN, type RunningViewcast } from './support/child-server.js';
import { pgClient, startTestPgServer } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { projectRoot, recording } from './support/shared-data.js';
import { count, waitForView } from './support/wait-view.js';

const RECORDING = recording('recentchange-2026-05-05-2476.jsonl');
/** One semi-space of V8's young generation, in MiB, as the server starts with. */
const SEMI_SPACE_MIB = 4;
/** glibc's malloc: two arenas, and fixed thresholds for mapping a buffer apart and for giving memory back. */
const MALLOC_SETTINGS = [
  'MALLOC_ARENA_MAX=2',
  'MALLOC_MMAP_THRESHOLD_=1048576',
  'MALLOC_TRIM_THRESHOLD_=8388608',
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  assert.ok(line, `${name}${labels} in /metrics`);
  return Number(line.split(' ')[1]);
}

describe('viewcast serve: memory settings', { timeout: 120_000 }, () => {
  let server: RunningViewcast | null = null;
  after(async () => {
    await server?.stop();
  });

  it('bounds the young generation while ingesting at full speed (V8 alone grows it to 32 MiB)', async () => {
    // Run as a user runs the installed command: the file itself, through its shebang line.
    server = await startViewcast(['--memory', '--source', `replay:${RECORDING}`, '--speed', 'max'], {
      shell: 'exec "$2" "${@:3}"',
    });
    await waitForView(server.url, 'counter', (rows) => count(rows) === 2476);
    // The shebang's env(1) gave node glibc's malloc settings (bin/viewcast.js).
    const environ = readFileSync(`/proc/${server.child.pid}/environ`, 'utf8').split('\0');
    for (const setting of MALLOC_SETTINGS)
      assert.ok(environ.includes(setting), `${setting} in the environment`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const newSpace = metric(metrics, 'nodejs_heap_space_size_total_bytes', '{space="new"}');
    assert.ok(newSpace > 0);
    assert.ok(newSpace <= 2 * SEMI_SPACE_MIB * 1024 * 1024, `new space ${newSpace} bytes`);
  });

  it('lets the SQL parser go once started, and loads it again to answer a Postgres-wire query', async () => {
    const pgPort = await freePort();
    const child = await startViewcast([
      '--memory',
      '--source',
      `replay:${RECORDING}`,
      '--speed',
      'max',
      '--pg-port',
      String(pgPort),
    ]);
    try {
      await waitForView(child.url, 'counter', (rows) => count(rows) === 2476);
      const metrics = await (await fetch(`${child.url}/metrics`)).text();
      // Loaded, the parser's WebAssembly memory alone counts 128 MiB here.
      const external = metric(metrics, 'nodejs_external_memory_bytes');
      assert.ok(external < 64 * 1024 * 1024, `external memory ${external} bytes`);
      const client = await pgClient(`postgresql://materialize@127.0.0.1:${pgPort}/materialize`);
      try {
        const result = await client.query('SELECT count FROM counter');
        assert.deepEqual(result.rows, [{ count: '2476' }]);
      } finally {
        await client.end();
      }
    } finally {
      await child.stop();
    }
  });

  it('gives `npm start` the same node flags and malloc settings as the shebang line of the command', () => {
    const shebang = readFileSync(VIEWCAST_BIN, 'utf8').split('\n')[0] ?? '';
    const words = shebang.split(/\s+/);
    const flags = words.filter((word) => word.startsWith('--'));
    const settings = words.filter((word) => /^[A-Z_]+=/.test(word));
    assert.deepEqual(flags, [`--max-semi-space-size=${SEMI_SPACE_MIB}`, '--v8-pool-size=1']);
    assert.deepEqual(settings, MALLOC_SETTINGS);
    const { scripts } = JSON.parse(readFileSync(`${projectRoot}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(scripts['start'], `env ${settings.join(' ')} node ${flags.join(' ')} bin/viewcast.js serve`);
  });
});

describe('the SQL parser, let go after start', { timeout: 120_000 }, () => {
  it('is loaded again for a Postgres-wire session, answers its query, and let go when it closes', async () => {
    const app = await startTestApp(['--memory', '--source', `replay:${RECORDING}`, '--speed', 'max']);
    const pg = await startTestPgServer(app.hub);
    try {
      await waitForView(app.url, 'counter', (rows) => count(rows) === 2476);
      let letGo = new Promise<void>((resolve) => {
        const stop = onSqlParserReleased(() => {
          stop();
          resolve();
        });
      });
      releaseSqlParserWhenIdle(0);
      await letGo;
      assert.equal(sqlParserLoaded(), false);

      const client = await pgClient(`postgresql://materialize@127.0.0.1:${pg.port}/materialize`);
      const result = await client.query('SELECT count FROM counter');
      assert.deepEqual(result.rows, [{ count: '2476' }]);
      assert.equal(sqlParserLoaded(), true);
      letGo = new Promise<void>((resolve) => {
        const stop = onSqlParserReleased(() => {
          stop();
          resolve();
        });
      });
      await client.end();
      await letGo;
      assert.equal(sqlParserLoaded(), false);
    } finally {
      await pg.close();
      await app.close();
      releaseSqlParserWhenIdle(null);
      await loadSqlParser(); // the other tests in this process parse without awaiting
    }
  });

  it('frees the parser’s WebAssembly memory when it lets it go', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await loadSqlParser();
    parseSql('SELECT 1');
    gc();
    const loaded = process.memoryUsage().external;
    const letGo = new Promise<void>((resolve) => {
      const stop = onSqlParserReleased(() => {
        stop();
        resolve();
      });
    });
    // The release runs on an unref'd timer (it must never keep a server alive): hold the loop open.
    const holdLoop = setInterval(() => undefined, 60_000);
    releaseSqlParserWhenIdle(0);
    await letGo.finally(() => clearInterval(holdLoop));
    // The instance goes in one collection, its WebAssembly memory in a later one; V8 then returns
    // the memory from a background thread, so the count drops some collections later.
    let freed = 0;
    for (let turn = 0; turn < 200 && freed < 64 * 1024 * 1024; turn++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      freed = loaded - process.memoryUsage().external;
    }
    assert.ok(freed >= 64 * 1024 * 1024, `freed ${freed} bytes of external memory`);
    releaseSqlParserWhenIdle(null);
    await loadSqlParser();
    assert.deepEqual(Object.keys(parseSql('SELECT 1').stmts?.[0]?.stmt ?? {}), ['SelectStmt']);
  });
});
