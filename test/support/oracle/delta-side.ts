/**
 * The delta path under test: a views file compiled into a delta graph over an in-memory state
 * store, exactly as the embedded engine builds it.
 */
import { buildDeltaGraph } from '../../../src/engine/delta/graph.js';
import type { DeltaGraph } from '../../../src/engine/delta/interface.js';
import { memoryStateStore } from '../../../src/engine/delta/memory-store.js';
import { loadSqlParser, parseViewsFile } from '../../../src/sql/views-file.js';

export async function buildGraph(viewsSql: string): Promise<DeltaGraph> {
  await loadSqlParser();
  return buildDeltaGraph(parseViewsFile(viewsSql, 'oracle.sql'), memoryStateStore());
}
