/**
 * A fake engine that implements the engine contract (src/engine/types.ts) so that each test decides
 * which view progresses when, which one reports errors (errors are data) and which one loses its
 * subscription; and a manual clock for the hub, so "silent for a minute" takes no time.
 */
import type {
  Engine,
  SubscribeListener,
  SubscribeOptions,
  SubscribeRow,
  ViewErrorInfo,
  ViewInfo,
} from '../../src/engine/types.js';

export class FakeEngine implements Engine {
  readonly views: ViewInfo[];
  private readonly listeners = new Map<string, SubscribeListener>();
  readonly options = new Map<string, SubscribeOptions>();

  /** Every view has one text column, `column`. */
  constructor(names: string[], column = 'x') {
    this.views = names.map((name) => ({ name, columns: [{ name: column, type: 'text' }] }));
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  subscribe(view: string, options: SubscribeOptions, listener: SubscribeListener): { close(): void } {
    this.listeners.set(view, listener);
    this.options.set(view, options);
    return { close: () => this.listeners.delete(view) };
  }

  /** Sends `view` the changes (and errors, when given) at `timestamp` and a progress row after them. */
  step(
    view: string,
    timestamp: number,
    changes: Array<[unknown[], number]> = [],
    errors?: ViewErrorInfo[],
  ): void {
    const rows: SubscribeRow[] = changes.map(([row, diff]) => ({ progressed: false, timestamp, diff, row }));
    if (errors) rows.push({ progressed: false, timestamp, errors });
    rows.push({ progressed: true, timestamp: timestamp + 1 });
    this.listeners.get(view)?.(rows);
  }

  open(view: string, timestamp: number, rows: unknown[][]): void {
    this.listeners.get(view)?.([{ progressed: true, timestamp }]);
    this.step(
      view,
      timestamp,
      rows.map((row) => [row, 1]),
    );
  }
}

/** A logger that keeps its lines, for tests that check what was reported. */
export function recordingLog(): {
  lines: string[];
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
} {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}
