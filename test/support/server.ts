/** Starts a real viewcast on port 0 for a test, in this process. */
import { startApp, type App, type AppHooks } from '../../src/cli/app.js';
import type { Logger } from '../../src/core/log.js';
import { parseServeOptions, type ServeOptions } from '../../src/cli/options.js';
import { projectRoot } from './shared-data.js';

export const quietLog: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: (m) => process.stderr.write(`${m}\n`),
};

export function serveOptions(args: string[]): ServeOptions {
  const options = parseServeOptions([
    '--port',
    '0',
    '--pg-port',
    '0',
    '--views',
    `${projectRoot}views/wikirecent.sql`,
    // Tests see the engine's clock only where they ask for it (`--tick`): most read timestamps that
    // stand still once their input ends; the clock's own tests turn it on.
    '--tick',
    '0',
    ...args,
  ]);
  if (options === 'help') throw new Error('unexpected --help');
  return options;
}

export async function startTestApp(args: string[], hooks: AppHooks = {}): Promise<App> {
  return startApp(serveOptions(args), quietLog, undefined, hooks);
}

export async function getJson<T>(app: App, path: string): Promise<T> {
  const response = await fetch(`${app.url}${path}`);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
