/**
 * Runs `viewcast serve` as a real child process, the way users run it, so that tests can kill it
 * with SIGKILL, restart it on the same data directory, or start it under a file size limit or as
 * another user. Its log is kept; tests wait for log lines and exits, never for time.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { projectRoot } from './shared-data.js';

export const VIEWCAST_BIN = `${projectRoot}bin/viewcast.js`;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildViewcast {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (past or future). */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<Exit>;
}

export interface RunOptions {
  /** Runs `bash -c <script> viewcast-node <node> <bin> <args...>`: the script must `exec "$@"`. */
  shell?: string;
  uid?: number;
  gid?: number;
  cwd?: string;
}

export function runViewcast(args: string[], options: RunOptions = {}): ChildViewcast {
  const command = options.shell ? 'bash' : process.execPath;
  const argv = options.shell
    ? ['-c', options.shell, 'viewcast-node', process.execPath, VIEWCAST_BIN, ...args]
    : [VIEWCAST_BIN, ...args];
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  };
  const child = spawn(command, argv, spawnOptions);
  let text = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(text);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => text,
    exited,
    waitFor: (pattern) => {
      const match = pattern.exec(text);
      if (match) return Promise.resolve(match);
      return Promise.race([
        new Promise<RegExpExecArray>((resolve) => waiters.push({ pattern, resolve })),
        exited.then((exit): never => {
          throw new Error(
            `viewcast exited (${exit.code ?? exit.signal}) before ${pattern}; its log:\n${text}`,
          );
        }),
      ]);
    },
  };
}

export interface RunningViewcast extends ChildViewcast {
  url: string;
  /** SIGTERM, then resolves with the exit. */
  stop(): Promise<Exit>;
  /** SIGKILL: no chance to clean up, as in a crash or power loss. */
  kill(): Promise<Exit>;
}

/** Starts `viewcast serve` and resolves once it listens. */
export async function startViewcast(args: string[], options: RunOptions = {}): Promise<RunningViewcast> {
  // No clock ticks unless a test asks for them (`--tick`), as in support/server.ts.
  const run = runViewcast(['serve', '--port', '0', '--pg-port', '0', '--tick', '0', ...args], options);
  const match = await run.waitFor(/listening on (http:\/\/\S+)/);
  return {
    ...run,
    url: match[1] as string,
    stop: () => {
      run.child.kill('SIGTERM');
      return run.exited;
    },
    kill: () => {
      run.child.kill('SIGKILL');
      return run.exited;
    },
  };
}
