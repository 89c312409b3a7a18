/**
 * What each of the process's threads did meanwhile (/proc/self/task): its nice value and CPU time, and
 * how long the main thread was runnable but waiting for the cpu (the kernel's schedstat). When every
 * thread is pinned to one cpu, the others' CPU comes out of the main thread's turns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fmt } from './stats.js';

export interface ThreadStat {
  tid: number;
  nice: string;
  /** CPU time used so far, in clock ticks (1/100 s). */
  ticks: number;
  /** Time spent runnable but waiting for the cpu so far, in ns (schedstat's second field). */
  waitNs: number;
}

export function threadStats(): ThreadStat[] {
  return readdirSync('/proc/self/task').map((tid) => {
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th, nice the 17th.
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const waitNs = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    return {
      tid: Number(tid),
      nice: fields[16] ?? '?',
      ticks: Number(fields[11]) + Number(fields[12]),
      waitNs,
    };
  });
}

/** Each thread's nice value, and the CPU the main thread and the others used since `before`. */
export function threadReport(before: ThreadStat[]): string {
  const after = threadStats();
  const used = (s: ThreadStat): number => (s.ticks - (before.find((b) => b.tid === s.tid)?.ticks ?? 0)) * 10;
  const others = new Map<string, number>();
  let othersMs = 0;
  for (const s of after)
    if (s.tid !== process.pid) {
      others.set(s.nice, (others.get(s.nice) ?? 0) + 1);
      othersMs += used(s);
    }
  const main = after.find((s) => s.tid === process.pid);
  const mainBefore = before.find((s) => s.tid === process.pid);
  const waited = main && mainBefore ? fmt((main.waitNs - mainBefore.waitNs) / 1e6, 0) : '?';
  return (
    `main at nice ${main?.nice ?? '?'} used ${main ? used(main) : '?'} ms of CPU and waited ${waited} ms for it; the others ` +
    `(${[...others].map(([nice, n]) => `${n} at nice ${nice}`).join(', ')}) ${othersMs} ms`
  );
}
