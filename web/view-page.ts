/**
 * Any view as a live table at `/views/:name`, so a user-defined view is visible without writing a
 * page. The sort order is this page's own input state; server state comes from the client.
 */
import { connect, endpoint, rowKey, type ChangeEvent, type LiveView, type Row } from '../src/client/index.js';
import { byId } from './dashboard/widgets.js';

const MAX_ROWS = 200;

interface Sort {
  column: number;
  descending: boolean;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  return String(a).localeCompare(String(b));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

class ViewTable {
  private sort: Sort | null = null;
  private fresh = new Set<string>();
  /** What the header was drawn for: rebuilding it on every change would lose the focus. */
  private headerKey = '';

  constructor(private readonly view: LiveView) {}

  changed(event: ChangeEvent): void {
    const change = event.views[this.view.name];
    if (!change) return;
    // A view in error has no rows to show: the error says why, until the view recovers.
    const message = byId('view-message');
    if (this.view.error) {
      message.hidden = false;
      message.dataset['error'] = this.view.error.code;
      message.textContent = this.view.error.message;
    } else if (message.dataset['error']) {
      message.hidden = true;
      delete message.dataset['error'];
    }
    // Rows that just arrived are highlighted, except on the first load where everything is new.
    this.fresh = change.reset ? new Set() : new Set(change.inserted.map(rowKey));
    this.render();
  }

  private header(): void {
    const columns = this.view.columns;
    const key = JSON.stringify([columns, this.sort]);
    if (key === this.headerKey) return;
    this.headerKey = key;
    const tr = byId<HTMLTableElement>('view-table').tHead?.rows[0];
    if (!tr) return;
    tr.replaceChildren(
      ...columns.map((name, i) => {
        const th = document.createElement('th');
        th.scope = 'col';
        const [first] = this.view.rows.rows();
        if (typeof first?.[i] === 'number') th.className = 'num';
        const sorted = this.sort?.column === i;
        th.setAttribute('aria-sort', sorted ? (this.sort?.descending ? 'descending' : 'ascending') : 'none');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = name + (sorted ? (this.sort?.descending ? ' ↓' : ' ↑') : '');
        button.addEventListener('click', () => {
          this.sort = { column: i, descending: this.sort?.column === i ? !this.sort.descending : false };
          this.render();
          byId<HTMLTableElement>('view-table').tHead?.rows[0]?.cells[i]?.querySelector('button')?.focus();
        });
        th.append(button);
        return th;
      }),
    );
  }

  render(): void {
    // Until someone picks a column: the last numeric column, highest first (counts, totals).
    if (this.sort === null) {
      const [first] = this.view.rows.rows();
      const numeric = first ? first.map((v) => typeof v === 'number').lastIndexOf(true) : -1;
      if (numeric >= 0) this.sort = { column: numeric, descending: true };
    }
    this.header();
    let rows: Row[] = this.view.rows.rows();
    const sort = this.sort;
    if (sort)
      rows = [...rows].sort((a, b) => compare(a[sort.column], b[sort.column]) * (sort.descending ? -1 : 1));
    const body = byId<HTMLTableElement>('view-table').tBodies[0];
    body?.replaceChildren(
      ...rows.slice(0, MAX_ROWS).map((row) => {
        const tr = document.createElement('tr');
        if (this.fresh.has(rowKey(row))) tr.className = 'fresh';
        for (const value of row) {
          const td = document.createElement('td');
          td.textContent = cell(value);
          if (typeof value === 'number') td.className = 'num';
          tr.append(td);
        }
        return tr;
      }),
    );
    const more = byId('view-more');
    more.hidden = rows.length <= MAX_ROWS;
    more.textContent = `showing the first ${MAX_ROWS} of ${rows.length.toLocaleString('en-US')} rows`;
    byId('row-count').textContent = `${rows.length.toLocaleString('en-US')} rows`;
    if (this.view.timestamp !== null) {
      const asOf = byId('as-of');
      asOf.textContent = new Date(this.view.timestamp).toLocaleTimeString('en-GB');
      asOf.dataset['timestamp'] = String(this.view.timestamp);
    }
  }
}

async function listViews(current: string): Promise<void> {
  const response = await fetch(endpoint(location.href, '/api/views'), { cache: 'no-store' });
  if (!response.ok) return;
  const views = (await response.json()) as Array<{ name: string }>;
  byId('view-list').replaceChildren(
    ...views.map(({ name }) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `/views/${encodeURIComponent(name)}`;
      a.textContent = name;
      if (name === current) a.setAttribute('aria-current', 'page');
      li.append(a);
      return li;
    }),
  );
}

function main(): void {
  const name = decodeURIComponent(location.pathname.replace(/^\/views\/?/, '').replace(/\/$/, ''));
  void listViews(name).catch(() => undefined);
  if (!name) {
    byId('view-name').textContent = 'Views';
    return;
  }
  byId('view-name').textContent = name;
  document.title = `viewcast · ${name}`;
  const client = connect({ views: [name] });
  const view = client.view(name);
  if (!view) return;
  const table = new ViewTable(view);
  client.on('change', (event) => table.changed(event));
  client.on('status', ({ status }) => {
    const badge = byId('connection');
    badge.dataset['state'] = status;
    badge.textContent = status === 'closed' ? 'offline' : status;
  });
  client.on('error', (error) => {
    if (error.code === 'VIEWCAST_VIEW_ERROR') return; // shown with the view's change
    const message = byId('view-message');
    message.hidden = false;
    message.textContent = error.message;
  });
}

main();
