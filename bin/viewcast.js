#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'viewcast: not built yet. Run `npm install` (or `npm run build`) in the viewcast folder first.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
