#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_TRIM_THRESHOLD_=8388608 node --max-semi-space-size=4
// V8's young generation bounded at 4 MiB semi-spaces (V8 grows them to 16 MiB on a large machine,
// which held 32 MiB and made scavenges of 10-35 ms on the main thread while ingesting at full speed).
// glibc's malloc through env(1): two arenas instead of one per thread that ever allocated (eight
// arenas held 26 MiB, mostly zlib's brotli work in the thread pool), and fixed thresholds: glibc
// raises them to the size of the largest buffer freed, so freed buffers piled up in the main heap
// (56 MiB resident after a million events). Fixed, a buffer above 1 MiB is mapped on its own and
// given back when freed, and at most 8 MiB of free memory is kept at the heap's top (a threshold of
// 128 KiB cost about a third of the throughput at full speed: BENCHMARKS.md, "Footprint, fourth pass").
// The flag and the variables must be given to node at start; `npm start` gives the same (package.json).
// The compiled CLI lives in dist/ (built by `npm install` through the `prepare` script).
import { existsSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

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
const { main } = await import(entry.href);
await main(process.argv.slice(2));
// `serve` has returned once the server listens. From then on V8 optimizes a function after an eighth
// of its default interrupt budget (66 KB of bytecode run, three times over, more for a large
// function): at the live rate (tens of events a second) the code each event runs (the simulator's
// event, the record mapper, each view's operators and expressions, the hub) otherwise ran in the
// interpreter and the baseline compiler for minutes, every event finding its caches cold. It cut
// the CPU at 40 events/s by about a tenth over the first minute, not after the second
// (BENCHMARKS.md, "Idle cost, fifth pass"). Set earlier, it made start-up compile more and start
// later. V8 reads it whenever a function's budget is renewed, so it can be set while running.
setFlagsFromString('--interrupt-budget=8192');
