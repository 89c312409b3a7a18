// Bundles the dashboard, the generic view page and the client library for browsers with esbuild:
// everything a page needs is served locally (no CDN). Fails the build when a bundle passes its
// budget (stated in the README), so growth is a decision, not an accident.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** Minified bytes allowed per bundle. */
const BUDGETS = { app: 1_100_000, view: 48_000, 'viewcast-client': 48_000 };
const entries = { app: 'web/app.ts', view: 'web/view-page.ts', 'viewcast-client': 'src/client/index.ts' };

await build({
  entryPoints: entries,
  outdir: 'dist/web',
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const [name, budget] of Object.entries(BUDGETS)) {
  const file = `dist/web/${name}.js`;
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes).length;
  const over = bytes.length > budget;
  process.stdout.write(
    `web bundle ${file}: ${bytes.length} bytes (${gzip} gzipped), budget ${budget}${over ? '  OVER BUDGET' : ''}\n`,
  );
  if (over) process.exitCode = 1;
}
