/**
 * Sources whose output is input changes (the postgres source) feed the engine directly: one engine
 * transaction per batch, committed with the batch's position, and the sink resolves only once that
 * commit is durable (the source then acknowledges the position upstream).
 */
import { readFile } from 'node:fs/promises';
import type { IngestingEngine } from '../engine/types.js';
import { loadSqlParser, parseViewsFile } from '../sql/views-file.js';
import { ingestSink, type ReplicatedTable } from '../sources/postgres/index.js';
import type { ChangeSource } from '../sources/postgres/interface.js';
import type { Source } from '../sources/types.js';

export function isChangeSource(source: Source | ChangeSource): source is ChangeSource {
  return 'output' in source && source.output === 'changes';
}

/** The views file's CREATE TABLEs: the tables a postgres source replicates, by name and columns. */
export async function declaredTables(viewsFile: string): Promise<ReplicatedTable[]> {
  await loadSqlParser();
  const parsed = parseViewsFile(await readFile(viewsFile, 'utf8'), viewsFile);
  return parsed.tables.map((t) => ({ name: t.name, columns: t.columns.map((c) => ({ ...c })) }));
}

/**
 * Runs a change source from the engine's stored position; counts the changes committed, and tells
 * `onCommit` after each transaction (as the event pipeline tells its own).
 */
export async function runChangeSource(
  source: ChangeSource,
  engine: IngestingEngine,
  counters: { applied: number },
  onResume: (position: string) => void,
  onCommit: () => void = () => undefined,
): Promise<void> {
  const resume = await engine.resumePosition(source.id);
  if (resume !== null) onResume(resume);
  const sink = ingestSink(source.id, async (changes, positions) => {
    await engine.ingestChanges(changes, positions);
    counters.applied += changes.length;
    onCommit();
  });
  await source.run(sink, resume);
}
