/**
 * Child processes of a benchmark: servers and load generators, each pinned to its own core where
 * `taskset` exists, with the open-file limit raised to the hard limit, driven by JSON lines on
 * stdin and answering with JSON lines on stdout (stderr passes through for their logs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The project's root, from dist/bench/support/. */
export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Compiled bench scripts live beside this file's directory. */
export const benchDist = fileURLToPath(new URL('../', import.meta.url));

/** `viewcast` itself, run as users run it: its shebang line gives node the server's flags. */
export const VIEWCAST_BIN = `${projectRoot}bin/viewcast.js`;

const SHEBANG_WORDS = (readFileSync(VIEWCAST_BIN, 'utf8').split('\n')[0] ?? '').split(/\s+/);

/** The node flags of that shebang, for the benchmarks' own server processes that run the app. */
export const VIEWCAST_NODE_FLAGS = SHEBANG_WORDS.filter((word) => word.startsWith('--'));

/** The environment variables that shebang sets through env(1) (glibc's malloc settings). */
export const VIEWCAST_NODE_ENV: Record<string, string> = Object.fromEntries(
  SHEBANG_WORDS.filter((word) => /^[A-Z_]+=/.test(word)).map((word) => {
    const at = word.indexOf('=');
    return [word.slice(0, at), word.slice(at + 1)];
  }),
);

export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pinning needs taskset and at least two cores; otherwise processes share whatever there is. */
export const canPin = cpus().length >= 2 && hasTaskset();

export function pinningNote(): string {
  return canPin
    ? `server pinned to cpu ${SERVER_CPU}, load generators to cpu ${LOAD_CPU} (taskset)`
    : 'not pinned (taskset or a second core missing): server and load share the cores';
}

export function hardFdLimit(): string {
  try {
    return execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export type Message = Record<string, unknown> & { type: string };

export class ControlledProcess {
  readonly child: ChildProcess;
  private readonly queue: Message[] = [];
  private readonly waiters: Array<{
    type: string;
    resolve: (m: Message) => void;
    reject: (e: Error) => void;
  }> = [];
  private exited: Error | null = null;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    cpu: number | null,
    env: Record<string, string> = {},
  ) {
    const pin = canPin && cpu !== null ? ['taskset', '-c', String(cpu)] : [];
    // Many sockets need many descriptors: raise the soft limit to the hard one before exec.
    this.child = spawn(
      'bash',
      ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bench', ...pin, command, ...args],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } },
    );
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        return;
      }
      const waiter = this.waiters.findIndex((w) => w.type === message.type || message.type === 'error');
      if (waiter >= 0) {
        const [w] = this.waiters.splice(waiter, 1);
        if (message.type === 'error' && w) w.reject(new Error(`${name}: ${String(message['message'])}`));
        else w?.resolve(message);
      } else this.queue.push(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? code})`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  send(message: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  /** The next message of `type` (an `error` message rejects). */
  next(type: string, timeoutMs = 120_000): Promise<Message> {
    const queued = this.queue.findIndex((m) => m.type === type);
    if (queued >= 0) return Promise.resolve(this.queue.splice(queued, 1)[0] as Message);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  async request(
    message: Record<string, unknown> & { cmd: string },
    reply: string,
    timeoutMs?: number,
  ): Promise<Message> {
    this.send(message);
    return this.next(reply, timeoutMs);
  }

  /** CPU seconds (user + system) used so far, from /proc; all threads included. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** CPU seconds used so far in user space and in the kernel, from /proc; all threads included. */
  cpuTimes(): CpuTimes {
    return processCpuTimes(this.pid);
  }

  rssBytes(): number {
    return processRssBytes(this.pid);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export interface CpuTimes {
  user: number;
  system: number;
}

export function processCpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime in clock ticks; USER_HZ is 100 on Linux
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

export function processCpuSeconds(pid: number): number {
  const { user, system } = processCpuTimes(pid);
  return user + system;
}

export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

/** What a process's resident memory is made of, in bytes, from /proc/<pid>/smaps. */
export interface ResidentParts {
  rss: number;
  /** Mapped files: node's own code, shared libraries, LMDB's map. */
  file: number;
  /** glibc malloc's main heap (`[heap]`, grown with brk). */
  mallocHeap: number;
  /** Every other anonymous mapping: V8's heap pages, malloc's other arenas, thread stacks. */
  otherAnonymous: number;
}

export function residentParts(pid: number): ResidentParts {
  const parts: ResidentParts = { rss: 0, file: 0, mallocHeap: 0, otherAnonymous: 0 };
  let mapping = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      mapping = header[1] ?? '';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const bytes = Number(rss[1]) * 1024;
    parts.rss += bytes;
    if (mapping === '[heap]') parts.mallocHeap += bytes;
    else if (mapping.startsWith('/')) parts.file += bytes;
    else parts.otherAnonymous += bytes;
  }
  return parts;
}

/**
 * A compiled bench script run by this Node, e.g. `servers/raw-ws.js`. Servers get `--expose-gc`
 * so that memory can be read after a full collection rather than at a random point of the heap.
 */
export function nodeScript(
  name: string,
  relative: string,
  args: string[],
  cpu: number | null,
): ControlledProcess {
  const flags = [
    ...(relative.startsWith('servers/') ? ['--expose-gc'] : []),
    ...(relative === 'servers/viewcast.js' ? VIEWCAST_NODE_FLAGS : []),
  ];
  const env = relative === 'servers/viewcast.js' ? VIEWCAST_NODE_ENV : {};
  return new ControlledProcess(
    name,
    process.execPath,
    [...flags, `${benchDist}${relative}`, ...args],
    cpu,
    env,
  );
}

/** Debian's Python with its python3-tornado. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** The version of Debian's python3-tornado, or null when it cannot be imported. */
export function tornadoVersion(): string | null {
  if (!existsSync(SYSTEM_PYTHON)) return null;
  try {
    return execFileSync(SYSTEM_PYTHON, ['-c', 'import tornado; print(tornado.version)'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return null;
  }
}

/** A Python benchmark server from bench/servers/ on Debian's Python. */
export function pythonServer(name: string, script: string, cpu: number | null): ControlledProcess {
  return new ControlledProcess(name, SYSTEM_PYTHON, [`${projectRoot}bench/servers/${script}`], cpu);
}

export function tornadoServer(args: string[], cpu: number | null): ControlledProcess {
  return new ControlledProcess(
    'tornado server',
    SYSTEM_PYTHON,
    [`${projectRoot}bench/servers/tornado_server.py`, ...args],
    cpu,
  );
}

/** Stops every process, whatever happened. */
export async function stopAll(processes: Array<ControlledProcess | null | undefined>): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop()));
}
