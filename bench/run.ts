/**
 * `npm run bench [-- <scenario>] [--quick]`: runs one scenario or all of them. Each prints its
 * parameters, its baseline, its own figure and the ratio, and ends with a RESULT line. `npm run bench`
 * gives node the server's heap flag (bin/viewcast.js), so that in-process scenarios measure what it runs.
 */
import { scenarios } from './scenarios.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// Scenario names are words; numbers are the values of flags such as `--clients 10000`.
const names = args.filter((a) => /^[a-z][a-z0-9-]*$/.test(a));
const chosen = names.length > 0 ? names : Object.keys(scenarios);
for (const name of chosen) {
  const load = scenarios[name];
  if (!load) {
    process.stderr.write(
      `unknown scenario "${name}"; scenarios: ${Object.keys(scenarios).join(', ') || 'none yet'}\n`,
    );
    process.exit(2);
  }
  process.stdout.write(`\n== ${name}${quick ? ' (quick)' : ''}\n`);
  const scenario = await load();
  await scenario({ quick, args });
}
