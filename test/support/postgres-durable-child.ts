/**
 * A process that runs the postgres source with a durable store, for the SIGKILL test: each batch is
 * appended to a file as one JSON line and synced before its commit resolves (the line is the commit:
 * changes and position together), and the process resumes from the file's last line. It prints
 * `committed <batches>` after each commit so the test can kill it at a known point.
 *
 *   node dist/test/support/postgres-durable-child.js <url> <file> <slot>
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import type { ChangeBatch } from '../../src/sources/postgres/interface.js';
import { PostgresSource } from '../../src/sources/postgres/postgres-source.js';
import { SHOP_TABLES } from './postgres-shop.js';

/** The committed batches in a store file (a torn last line was never committed). */
export function readStore(file: string): ChangeBatch[] {
  if (!existsSync(file)) return [];
  const batches: ChangeBatch[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      batches.push(JSON.parse(line) as ChangeBatch);
    } catch {
      break;
    }
  }
  return batches;
}

async function main(url: string, file: string, slot: string): Promise<void> {
  let batches = readStore(file).length;
  const resume = readStore(file).at(-1)?.position ?? null;
  const log = {
    info: (m: string) => console.error(m),
    warn: (m: string) => console.error(m),
    error: (m: string) => console.error(m),
  };
  const source = new PostgresSource({ url, tables: SHOP_TABLES, log, slot });
  const sink = {
    apply: (batch: ChangeBatch): Promise<void> => {
      const fd = openSync(file, 'a');
      try {
        appendFileSync(fd, `${JSON.stringify(batch)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      console.log(`committed ${++batches}`);
      return Promise.resolve();
    },
  };
  process.once('SIGTERM', () => source.stop());
  await source.run(sink, resume);
}

const [url, file, slot] = process.argv.slice(2);
if (url && file && slot) {
  main(url, file, slot).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
