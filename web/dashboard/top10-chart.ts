/**
 * A top-10 bar chart (all time, or the last ten minutes): Vega-Lite through vega-embed, updated in
 * place with changesets, never redrawn. The chart's data is reconciled with the store's rows by value (a multiset difference),
 * so whatever happened in between (batches, a reset after a reconnect) the chart ends equal to the
 * view. Vega runs its expression interpreter: the page needs no `eval` (strict CSP).
 */
import embed from 'vega-embed';
import { changeset, Error as VegaErrorLevel, type View } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import type { TopLevelSpec } from 'vega-lite';
import { difference, Multiset } from '../../src/core/multiset.js';
import { toVegaChangeset, type Datum, type Row } from '../../src/client/index.js';
import type { Part } from '../lib/renderer.js';
import type { DashboardState } from './state.js';

const COLUMNS = ['user', 'count'];
const DATA = 'top10';

/** The rows a chart shows, highest count first: `top10` or `top10Recent`. */
export type TopSlice = (state: DashboardState) => readonly Row[];

const spec = (color: string): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { name: DATA },
  width: 'container',
  // A fixed step per row, not a fixed height: two editors get two bars of the usual size, not two
  // slabs (the box around the chart keeps its height, so nothing below it moves).
  height: { step: 33 },
  // resize: labels change with the data, and the padding around the plot must follow them.
  autosize: { type: 'fit-x', contains: 'padding', resize: true },
  // Ranked here rather than sorted by count alone: ties need a fixed order (by name, as in the table).
  transform: [
    {
      window: [{ op: 'row_number', as: 'rank' }],
      sort: [
        { field: 'count', order: 'descending' },
        { field: 'user', order: 'ascending' },
      ],
    },
  ],
  encoding: {
    y: {
      field: 'user',
      type: 'nominal',
      sort: { field: 'rank', order: 'ascending' },
      title: null,
      // A fixed width for the names: a new, longer name must not shift every bar sideways.
      axis: {
        labelFontSize: 13,
        labelLimit: 150,
        minExtent: 158,
        maxExtent: 158,
        ticks: false,
        domain: false,
        labelPadding: 8,
      },
    },
    x: {
      field: 'count',
      type: 'quantitative',
      title: null,
      axis: null,
      scale: { nice: false },
    },
    tooltip: [
      { field: 'user', type: 'nominal', title: 'user' },
      { field: 'count', type: 'quantitative', title: 'edits' },
    ],
  },
  layer: [
    { mark: { type: 'bar', color, cornerRadiusEnd: 4, height: { band: 0.78 } } },
    {
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 6, fontSize: 13, fontWeight: 600 },
      encoding: { text: { field: 'count', type: 'quantitative', format: ',d' }, color: { value: '#1b1b1f' } },
    },
  ],
  config: {
    view: { stroke: null },
    font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    axis: { labelColor: '#2b2c33' },
  },
});

export class Top10Chart implements Part<DashboardState> {
  private constructor(
    private readonly view: View,
    private readonly slice: TopSlice,
  ) {}

  static async create(container: HTMLElement, slice: TopSlice, color = '#2458b3'): Promise<Top10Chart> {
    const result = await embed(container, spec(color), {
      actions: false,
      renderer: 'svg',
      ast: true,
      expr: expressionInterpreter,
      logLevel: VegaErrorLevel,
      defaultStyle: false,
      tooltip: false,
    });
    return new Top10Chart(result.view, slice);
  }

  async render(state: DashboardState, previous: DashboardState | null): Promise<void> {
    const rows = this.slice(state);
    if (previous && rows === this.slice(previous)) return;
    const current = this.view.data(DATA) as Datum[];
    const shown = new Multiset();
    for (const datum of current)
      shown.apply(
        COLUMNS.map((c) => datum[c] ?? null),
        1,
      );
    const target = new Multiset();
    for (const row of rows) target.apply(row, 1);
    const inserted: Row[] = [];
    const deleted: Row[] = [];
    for (const [row, diff] of difference(shown, target)) {
      for (let i = 0; i < Math.abs(diff); i++) (diff > 0 ? inserted : deleted).push(row);
    }
    if (inserted.length === 0 && deleted.length === 0) return;
    this.view.change(DATA, toVegaChangeset(changeset, COLUMNS, current, { inserted, deleted }));
    await this.view.runAsync();
  }
}
