/**
 * The delta path under test: a views file compiled into a delta graph over an in-memory state
 * store, exactly as the embedded engine builds it.
 */
import type { DeltaGraph } from '../../../src/engine/delta/interface.js';
import { memoryStateStore } from '../../../src/engine/delta/memory-store.js';
import { loadSqlParser, parseViewsFile, type ViewsFile } from '../../../src/sql/views-file.js';

// The graph lands in its own module; it is looked up at run time so that this harness compiles
// before it does.
const GRAPH_MODULE = '../../../src/engine/delta/graph.js';

export async function buildGraph(viewsSql: string): Promise<DeltaGraph> {
  await loadSqlParser();
  const graph = (await import(GRAPH_MODULE)) as {
    buildDeltaGraph: (viewsFile: ViewsFile, store: ReturnType<typeof memoryStateStore>) => DeltaGraph;
  };
  return graph.buildDeltaGraph(parseViewsFile(viewsSql, 'oracle.sql'), memoryStateStore());
}
