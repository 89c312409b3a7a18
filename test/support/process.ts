/** viewcast as a child process, as users run it: `node bin/viewcast.js serve ...`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { projectRoot } from './shared-data.js';

export interface ViewcastProcess {
  child: ChildProcess;
  /** The HTTP URL from its "listening on" log line. */
  url: string;
  /** Its log so far (stderr). */
  log: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startViewcast(args: string[]): Promise<ViewcastProcess> {
  const child = spawn(process.execPath, [`${projectRoot}bin/viewcast.js`, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      log.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`viewcast ${args.join(' ')} exited (${code}):\n${log.join('\n')}`)),
    );
  });
  return {
    child,
    url,
    log,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

/** A TCP port that was free a moment ago, for a process whose port must be known in advance. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
