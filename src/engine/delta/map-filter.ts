/**
 * Filter and projection: keeps the rows for which WHERE is true (not false, not NULL) and computes
 * the projected columns. Stateless. A row whose WHERE or projection raises an error becomes that
 * error, with the row's diff: it lasts while the row is in the input.
 */
import type { CompiledExpr, EvalContext } from '../../sql/scalar/interface.js';
import {
  errorInfo,
  type Batch,
  type DeltaRow,
  type ErrorChange,
  type Operator,
  type RowChange,
} from './batch.js';

export class MapFilter implements Operator {
  constructor(
    readonly id: string,
    private readonly view: string,
    private readonly where: CompiledExpr | null,
    /** null: the row passes unchanged (`SELECT *` without hidden columns). */
    private readonly project: CompiledExpr[] | null,
  ) {
    this.scratch = new Array<unknown>(project?.length ?? 0);
  }

  private readonly scratch: DeltaRow;

  apply(input: Batch, ctx: EvalContext): Batch {
    const rows: RowChange[] = [];
    const errors = input.errors.slice();
    const { where, project } = this;
    for (const change of input.rows) {
      const row = change[0];
      try {
        if (where && where.eval(row, ctx) !== true) continue;
        if (!project) {
          rows.push(change);
          continue;
        }
        const out: DeltaRow = new Array<unknown>(project.length);
        for (let i = 0; i < project.length; i++) out[i] = (project[i] as CompiledExpr).eval(row, ctx);
        rows.push([out, change[1]]);
      } catch (error) {
        errors.push([errorInfo(this.view, error), change[1]]);
      }
    }
    return { rows, errors };
  }

  /**
   * The same filter and projection, each result written into one reused row and handed to `visit`
   * before the next is made; errors are appended to `errors`. For a consumer that keeps nothing of
   * the row it is given (a reduce copies its key and reads its arguments): no row per input row.
   */
  forEach(
    input: Batch,
    ctx: EvalContext,
    errors: ErrorChange[],
    visit: (row: DeltaRow, diff: number) => void,
  ): void {
    const { where, project } = this;
    const out = this.scratch;
    for (const change of input.rows) {
      const row = change[0];
      try {
        if (where && where.eval(row, ctx) !== true) continue;
        if (project)
          for (let i = 0; i < project.length; i++) out[i] = (project[i] as CompiledExpr).eval(row, ctx);
      } catch (error) {
        errors.push([errorInfo(this.view, error), change[1]]);
        continue;
      }
      visit(project ? out : row, change[1]);
    }
  }
}
