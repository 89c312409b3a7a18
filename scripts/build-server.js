// Bundles the compiled command line (dist/src/cli/main.js and every project module it reaches,
// dynamic imports included) into one file, dist/src/cli/main.bundle.js, which bin/viewcast.js
// loads. Loading some 200 separate ES modules (resolving, reading and linking each) was most of
// the server's start-up CPU; one file is read and compiled lazily in one go. Pure JavaScript
// packages are bundled too (see NOT_BUNDLED for the rest). The worker scripts stay files, which
// `new Worker(new URL('./x.js', import.meta.url))` loads as files: their URLs are rewritten to be
// relative to the bundle. The unbundled modules stay in dist/ for the tests and for library use.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';

const ENTRY = 'dist/src/cli/main.js';
const OUT = 'dist/src/cli/main.bundle.js';
const outDir = resolve(dirname(OUT));
/**
 * Packages loaded from node_modules as they are: native or WebAssembly code found by path, and
 * optional peers that may be absent. Every other package is bundled, so that one a lazily loaded
 * module uses (node-postgres for the remote engine) loads with it, not at start: an external
 * package would be a static import at the top of the bundle.
 */
const NOT_BUNDLED = ['lmdb', 'libpg-query', '@electric-sql/*', 'pg-native', 'bufferutil', 'utf-8-validate'];

/** `new URL('./worker.js', import.meta.url)` in a module, made relative to the bundle's folder. */
const workerUrls = {
  name: 'relative-urls',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(
        /new URL\((['"])(\.\.?\/[^'"]+)\1, import\.meta\.url\)/g,
        (_match, quote, path) => {
          let moved = relative(outDir, resolve(dirname(args.path), path)).replaceAll('\\', '/');
          if (!moved.startsWith('.')) moved = `./${moved}`;
          if (path.endsWith('/') && !moved.endsWith('/')) moved += '/';
          return `new URL(${quote}${moved}${quote}, import.meta.url)`;
        },
      );
      return { contents, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [ENTRY],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: ['node20'],
  // Native and WebAssembly packages load their binaries by path, and optional peers may be absent.
  external: [...NOT_BUNDLED],
  // Bundled CommonJS packages `require` Node's modules.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module';\nconst require = __bundleRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [workerUrls],
});
