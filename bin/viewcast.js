#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the `prepare` script).
import { existsSync, statSync } from 'node:fs';

// The bundle (scripts/build-server.js, part of `npm run build`) starts faster. The separate
// modules serve when it is absent or older than them (a `tsc` alone rebuilt them since).
const bundle = new URL('../dist/src/cli/main.bundle.js', import.meta.url);
const modules = new URL('../dist/src/cli/main.js', import.meta.url);
const fresh =
  existsSync(bundle) && existsSync(modules) && statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;
const entry = fresh ? bundle : modules;
if (!existsSync(entry)) {
  process.stderr.write(
    'viewcast: not built yet. Run `npm install` (or `npm run build`) in the viewcast folder first.\n',
  );
  process.exit(1);
}
// V8's heap sized for a server (src/cli/heap-tuning.ts), before the command's modules grow it.
const { tuneHeap } = await import(new URL('../dist/src/cli/heap-tuning.js', import.meta.url).href);
const heap = tuneHeap();
const { main } = await import(entry.href);
await main(process.argv.slice(2));
heap.started();
