/**
 * The PGlite `parsers` that make PGlite return the delta path's wire form, from the scalar library.
 * Kept in one place so the oracle and the recordings test read rows the same way.
 */
export { PGLITE_PARSERS } from '../../../src/sql/scalar/wire.js';
