#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_TRIM_THRESHOLD_=8388608 node --max-semi-space-size=4 --v8-pool-size=1
// V8's young generation bounded at 4 MiB semi-spaces (V8 grows them to 16 MiB on a large machine,
// which held 32 MiB and made scavenges of 10-35 ms on the main thread while ingesting at full speed).
// One V8 helper thread instead of four: the helpers (parallel scavenges, concurrent marking and
// compilation) take the cpu from the main thread while it ingests at full speed, and on a cpu it
// shares with them the event-loop delay's p99 fell from about 11 to 9 ms (BENCHMARKS.md, "One V8
// helper thread").
// glibc's malloc through env(1): two arenas instead of one per thread that ever allocated (eight
// arenas held 26 MiB, mostly zlib's brotli work in the thread pool), and fixed thresholds: glibc
// raises them to the size of the largest buffer freed, so freed buffers piled up in the main heap
// (56 MiB resident after a million events). Fixed, a buffer above 1 MiB is mapped on its own and
// given back when freed, and at most 8 MiB of free memory is kept at the heap's top (a threshold of
// 128 KiB cost about a third of the throughput at full speed: BENCHMARKS.md, "Footprint, fourth pass").
// The flags and the variables must be given to node at start; `npm start` gives the same (package.json).
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
const { main } = await import(entry.href);
await main(process.argv.slice(2));
