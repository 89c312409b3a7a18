/**
 * SIGKILL at any moment loses and repeats nothing: a process runs the postgres source with a durable
 * store (a batch and its position written together), is killed with SIGKILL while upstream keeps
 * writing, and starts again from its store; the store then holds every upstream transaction once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { NO_POSTGRES, startCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { readStore } from './support/postgres-durable-child.js';
import { assertReplicaMatches, ReplicaSink } from './support/postgres-replica.js';
import { SHOP_SCHEMA, SHOP_TABLES } from './support/postgres-shop.js';
import { projectRoot } from './support/shared-data.js';

let next = 5000;
function transaction(): string {
  const id = next++;
  return `BEGIN; INSERT INTO orders (id, customer_id, amount, status) VALUES (${id}, 2, ${id}.25, 'open');
          UPDATE orders SET status = 'paid' WHERE id = ${id - 1}; DELETE FROM orders WHERE id = ${id - 3}; COMMIT`;
}

interface Child {
  process: ChildProcess;
  /** Resolves when the child has committed `count` batches in all (its store included). */
  committed(count: number): Promise<void>;
}

function startChild(url: string, file: string): Child {
  const child = spawn(
    process.execPath,
    [`${projectRoot}dist/test/support/postgres-durable-child.js`, url, file, 'killed'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let count = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const match = /^committed (\d+)$/.exec(line);
    if (!match) return;
    count = Number(match[1]);
    for (const waiter of waiters.filter((w) => w.count <= count)) waiter.resolve();
  });
  return {
    process: child,
    committed: (wanted) =>
      wanted <= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count: wanted, resolve })),
  };
}

describe('postgres source: SIGKILL', { skip: NO_POSTGRES, timeout: 180_000 }, () => {
  let cluster: PostgresCluster;
  let dir: string;
  before(async () => {
    cluster = await startCluster();
    await cluster.sql(SHOP_SCHEMA);
    dir = mkdtempSync(join(tmpdir(), 'viewcast-kill-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a process killed while transactions stream resumes from its store without loss or repeats', async () => {
    const file = join(dir, 'store.jsonl');
    let written = 0;
    for (let round = 0; round < 3; round++) {
      const child = startChild(cluster.url(), file);
      await child.committed(1 + written); // the snapshot (first round) and whatever it had already
      // Upstream keeps writing; the kill lands while batches are being committed and acknowledged.
      const writing = (async () => {
        for (let i = 0; i < 8; i++) {
          await cluster.sql(transaction());
          written++;
        }
      })();
      await child.committed(1 + written + 2);
      const exited = once(child.process, 'exit');
      child.process.kill('SIGKILL');
      await exited;
      await writing;
    }
    const last = startChild(cluster.url(), file);
    try {
      await last.committed(1 + written);
      const store = readStore(file);
      assert.equal(store.length, 1 + written, 'one batch per upstream transaction, each once');
      const replica = new ReplicaSink();
      for (const batch of store) await replica.apply(batch);
      await assertReplicaMatches(replica, cluster.url(), SHOP_TABLES, `${written} transactions and 3 kills`);
    } finally {
      const exited = once(last.process, 'exit');
      last.process.kill('SIGTERM');
      await exited;
    }
  });
});
