/** The error Postgres raises for a call no function matches (42883), shared by the function modules. */
import { SqlCompileError } from './interface.js';
import type { Expr } from './expr.js';

export function noFunctionFor(name: string, args: readonly Expr[]): SqlCompileError {
  return new SqlCompileError(
    '42883',
    `function ${name}(${args.map((a) => a.type).join(', ')}) does not exist`,
  );
}
