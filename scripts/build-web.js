// Bundles the dashboard and the client library for browsers with esbuild: everything the page
// needs is served locally (no CDN). Reports each bundle's size against the budget in the README.
import { build } from 'esbuild';
import { statSync } from 'node:fs';

const BUDGET_BYTES = 1_600_000;
const entries = { app: 'web/app.ts', 'viewcast-client': 'src/client/index.ts' };

const result = await build({
  entryPoints: entries,
  outdir: 'dist/web',
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  const size = statSync(file).size;
  const flag = size > BUDGET_BYTES ? `  OVER the ${BUDGET_BYTES} byte budget` : '';
  process.stdout.write(`web bundle ${file}: ${size} bytes${flag}\n`);
  if (size > BUDGET_BYTES) process.exitCode = 1;
  void output;
}
