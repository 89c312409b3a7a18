/** TEMPORARY stand-in until the delta graph lands: every view planned on PGlite. */
import type { ViewsFile } from '../../sql/views-file.js';
import type { DeltaGraph, PlannedView, StateStore } from '../delta/interface.js';

export function buildDeltaGraph(
  parsed: ViewsFile,
  _store: StateStore,
  _options: { forcePglite: boolean },
): DeltaGraph {
  const names = new Set([...parsed.tables.map((t) => t.name), ...parsed.views.map((v) => v.name)]);
  const views: PlannedView[] = parsed.views.map((v) => {
    const reads = new Set<string>();
    JSON.stringify(v.ast, (key, value: unknown) => {
      if (key === 'relname' && typeof value === 'string' && names.has(value)) reads.add(value);
      return value;
    });
    return {
      name: v.name,
      line: v.line,
      query: v.query,
      columns: [],
      path: 'pglite',
      reason: 'stand-in',
      reads: [...reads],
    };
  });
  return { views, apply: () => [], snapshot: () => [], errors: () => [] };
}
