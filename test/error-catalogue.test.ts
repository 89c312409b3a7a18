/**
 * One error catalogue: every code viewcast raises is in src/core/error-codes.ts with a category and an
 * action, docs/ERRORS.md documents exactly those codes, and no source file raises a code the
 * catalogue does not hold.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES, isErrorCode } from '../src/core/error-codes.js';
import { ViewcastError } from '../src/core/errors.js';
import { projectRoot } from './support/shared-data.js';

function documentedCodes(): string[] {
  const text = readFileSync(join(projectRoot, 'docs/ERRORS.md'), 'utf8');
  return [...text.matchAll(/^## (VIEWCAST_[A-Z0-9_<>]+)\s*$/gm)].map((m) => m[1] as string);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the error catalogue', { timeout: 30_000 }, () => {
  it('is documented code for code in docs/ERRORS.md', () => {
    const catalogue = [...Object.keys(ERROR_CODES), 'VIEWCAST_SQL_<SQLSTATE>'].sort();
    assert.deepEqual(documentedCodes().sort(), catalogue);
  });

  it('holds every code a source file raises', () => {
    const raised = new Set<string>();
    for (const file of sourceFiles(join(projectRoot, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // A code is a quoted VIEWCAST_ name; environment variables (process.env[...]) are not codes.
      for (const m of text.matchAll(/['`](VIEWCAST_[A-Z0-9_]+)['`$]/g)) {
        const code = m[1] as string;
        if (!/process\.env\[\s*$/.test(text.slice(0, m.index))) raised.add(code);
      }
    }
    raised.delete('VIEWCAST_SQL_'); // the SQLSTATE family, built as `VIEWCAST_SQL_${sqlstate}`
    const missing = [...raised].filter((code) => !isErrorCode(code));
    assert.deepEqual(missing, [], 'codes raised in src/ but missing from the catalogue');
    assert.ok(raised.size >= 20, `found only ${raised.size} codes: the scan is broken`);
  });

  it('gives every error a category, a retryable flag and an action', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.match(info.category, /^(configuration|input|view|transport|engine)$/, code);
      assert.ok(info.action.endsWith('.'), `${code}: the action is a sentence`);
    }
    const busy = new ViewcastError('VIEWCAST_DATA_DIR_IN_USE', 'in use');
    assert.equal(busy.category, 'configuration');
    assert.equal(busy.retryable, true);
    assert.equal(new ViewcastError('VIEWCAST_REMOTE_SCHEMA', 'x').retryable, false);
    assert.equal(new ViewcastError('VIEWCAST_SQL_42P01', 'x').category, 'input');
    const relayed = ViewcastError.relayed('UNKNOWN_VIEW', 'unknown view "x"');
    assert.equal(relayed.code, 'UNKNOWN_VIEW');
  });
});
