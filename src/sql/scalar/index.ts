/** Postgres scalar semantics for the delta path: see interface.ts for the contract. */
export * from './interface.js';
export { compileExpr } from './compile-expr.js';
export { aggregate } from './aggregates.js';
export {
  compareValues,
  valueKey,
  valuesKey,
  NULL_KEY,
  fromInput,
  parseInput,
  formatOutput,
} from './values.js';
export { toWire, fromWire, PGLITE_PARSERS, type WireValue } from './wire.js';
export { resolveTypeName } from './types.js';
