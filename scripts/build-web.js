// Builds what the server's static handler serves, into dist/web: the dashboard, the generic view
// page and the client library bundled with esbuild (everything local, no CDN), the page's styles and
// icon, and the two HTML pages pointing at them.
//
// Every asset gets a content-hashed name (app-3F2A9C1B.js), so it can be cached for a year as
// immutable; only the HTML pages (and the client library's stable alias, for other sites' pages)
// are revalidated, with ETag and 304. Each text file is also written as .br and .gz at maximum
// compression, once, here, instead of on every request. Fails the build when a bundle passes its
// budget (stated in the README), so growth is a decision, not an accident.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const OUT = 'dist/web';
/** Minified bytes allowed per bundle. */
const BUDGETS = { app: 1_100_000, view: 48_000, 'viewcast-client': 48_000 };
const entries = { app: 'web/app.ts', view: 'web/view-page.ts', 'viewcast-client': 'src/client/index.ts' };
/** Files compressed ahead of time (not source maps: large, slow to compress, rarely fetched). */
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const result = await build({
  entryPoints: entries,
  outdir: OUT,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});

/** Public path of each asset by its plain name (`/app.js` -> `/app-3F2A9C1B.js`). */
const hashed = new Map();
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = Object.entries(entries).find(([, source]) => source === meta.entryPoint)?.[0];
  if (name) hashed.set(`/${name}.js`, `/${basename(output)}`);
}

/** Copies a static file under a content-hashed name. */
function hashCopy(source) {
  const bytes = readFileSync(source);
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 8).toUpperCase();
  const extension = extname(source);
  const name = `${basename(source, extension)}-${digest}${extension}`;
  writeFileSync(join(OUT, name), bytes);
  hashed.set(`/${basename(source)}`, `/${name}`);
}
hashCopy('web/style.css');
hashCopy('web/favicon.svg');

// The pages, pointing at the hashed names; the client library keeps a stable alias too.
for (const page of ['index.html', 'view.html']) {
  let html = readFileSync(join('web', page), 'utf8');
  for (const [plain, name] of hashed) html = html.replaceAll(`"${plain}"`, `"${name}"`);
  writeFileSync(join(OUT, page), html);
}
const client = hashed.get('/viewcast-client.js');
copyFileSync(join(OUT, client), join(OUT, 'viewcast-client.js'));
writeFileSync(join(OUT, 'assets.json'), `${JSON.stringify(Object.fromEntries(hashed), null, 2)}\n`);

for (const name of readdirSync(OUT)) {
  if (!COMPRESSIBLE.has(extname(name))) continue;
  const bytes = readFileSync(join(OUT, name));
  writeFileSync(
    join(OUT, `${name}.br`),
    brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  );
  writeFileSync(join(OUT, `${name}.gz`), gzipSync(bytes, { level: 9 }));
}

for (const [name, budget] of Object.entries(BUDGETS)) {
  const file = join(OUT, basename(hashed.get(`/${name}.js`)));
  const size = readFileSync(file).length;
  const brotli = readFileSync(`${file}.br`).length;
  const gzip = readFileSync(`${file}.gz`).length;
  const over = size > budget;
  process.stdout.write(
    `web bundle ${file}: ${size} bytes (${brotli} brotli, ${gzip} gzip), budget ${budget}${over ? '  OVER BUDGET' : ''}\n`,
  );
  if (over) process.exitCode = 1;
}
