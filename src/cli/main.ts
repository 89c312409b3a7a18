/** The `viewcast` command. */
import { errorMessage, UsageError, ViewcastError } from '../core/errors.js';
import { consoleLogger } from '../core/log.js';
import { isRemoteEngine } from '../engine/remote/remote-url.js';
import { parseServeOptions } from './options.js';
import { SERVE_HELP } from './serve-help.js';

// Each command's modules load only when that command runs: the remote engine's (node-postgres),
// `forward`'s and `tail`'s graphs would otherwise add to every `serve`'s start.

const HELP = `Usage: viewcast <command> [flags]

Commands:
  serve     stream live SQL views to web browsers (the default)
  forward   post the sources' events to a webhook in batches (e.g. Materialize)
  tail      print a view's changes from a running server, like COPY (SUBSCRIBE ...) TO STDOUT

Run 'viewcast serve --help' or 'viewcast tail --help' for the flags.
`;

/** How long the SQL parser stays loaded after the last Postgres-wire session closed. */
const SQL_PARSER_IDLE_MS = 30_000;

async function serve(argv: string[]): Promise<void> {
  const options = parseServeOptions(argv);
  if (options === 'help') {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const log = consoleLogger(false, options.logFormat);
  let stopping = false;
  const app = isRemoteEngine(options.engine)
    ? await (await import('./remote-app.js')).startRemoteApp(options, log)
    : await (
        await import('./app.js')
      ).startApp(options, log, () => {
        if (!stopping) void shutdown(1);
      });
  log.info(`listening on ${app.url}`);
  // The SQL parser has read the views file: it is let go (about 15 MiB) and a Postgres-wire
  // session loads it again while it is open (src/sql/parse-sql.ts). Queries from browsers parse
  // in a socket's message handler, which cannot wait for it: with them on, it stays.
  if (!isRemoteEngine(options.engine) && !options.server.allowBrowserQueries) {
    (await import('../sql/parse-sql.js')).releaseSqlParserWhenIdle(SQL_PARSER_IDLE_MS);
  }
  async function shutdown(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info('shutting down: stopping sources, committing what was received');
    await app.close().catch((error: unknown) => log.error(`while shutting down: ${errorMessage(error)}`));
    process.exit(code);
  }
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
}

async function forward(argv: string[]): Promise<void> {
  const { FORWARD_HELP, parseForwardOptions, startForward } = await import('./forward-command.js');
  const options = parseForwardOptions(argv);
  if (options === 'help') {
    process.stdout.write(FORWARD_HELP);
    return;
  }
  const log = consoleLogger();
  const running = await startForward(options, log);
  process.on('SIGINT', () => void running.stop());
  process.on('SIGTERM', () => void running.stop());
  await running.done;
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command.startsWith('-')) {
      if (command === '--help' || command === '-h') process.stdout.write(HELP);
      else await serve(argv);
    } else if (command === 'serve') {
      await serve(rest);
    } else if (command === 'forward') {
      await forward(rest);
    } else if (command === 'tail') {
      await (await import('./tail.js')).tail(rest);
      process.exit(0);
    } else if (command === 'help') {
      process.stdout.write(HELP);
    } else {
      throw new UsageError(`unknown command "${command}". Run 'viewcast --help' for the commands.`);
    }
  } catch (error) {
    const known =
      error instanceof ViewcastError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`viewcast: ${errorMessage(error)}\n`);
    if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(
      error instanceof UsageError ||
        (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
        ? 2
        : 1,
    );
  }
}
