/** Runs the real `viewcast` command (bin/viewcast.js) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from './shared-data.js';

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far (the log). */
  readonly stderr: string;
  /** Resolves with the URL from the "listening on" line; rejects if the process exits first. */
  listening: Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function runCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [`${projectRoot}bin/viewcast.js`, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve(url);
    });
    void exited.then((code) => reject(new Error(`viewcast exited (${code}) before listening:\n${stderr}`)));
  });
  listening.catch(() => undefined);
  return {
    child,
    get stderr() {
      return stderr;
    },
    listening,
    exited,
  };
}
