/** The 2,476-event recording as benchmark input, and helpers to run an embedded engine on it. */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EmbeddedEngine } from '../../src/engine/embedded/engine.js';

export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const RECORDING = fileURLToPath(
  new URL('../../../../shared/data/wikimedia/recentchange-2026-05-05-2476.jsonl', import.meta.url),
);

/** The recording's JSON lines, repeated until there are `count` of them. */
export function recordingLines(count: number): string[] {
  if (!existsSync(RECORDING)) {
    throw new Error(
      `missing benchmark data ${RECORDING}: the shared data folder must sit beside the project`,
    );
  }
  const lines = readFileSync(RECORDING, 'utf8').split('\n').filter(Boolean);
  return Array.from({ length: count }, (_, i) => lines[i % lines.length] as string);
}

/**
 * Writes `count` events of the recording, repeated, to `path` as JSON lines, each repetition with
 * fresh `meta.id` values (sources drop re-delivered events by their id). Written in slices: a
 * million events are 1.4 GB.
 */
export function writeRecordingFile(path: string, count: number): void {
  const lines = recordingLines(Math.min(count, 2_476));
  const fd = openSync(path, 'w');
  try {
    for (let start = 0; start < count; start += lines.length) {
      const slice = lines.slice(0, Math.min(lines.length, count - start)).map((line, i) => {
        const event = JSON.parse(line) as { meta?: { id?: string } };
        if (event.meta) event.meta.id = `${event.meta.id ?? ''}-${start + i}`;
        return JSON.stringify(event);
      });
      writeSync(fd, `${slice.join('\n')}\n`);
    }
  } finally {
    closeSync(fd);
  }
}

/** A views file of the project by name (`wikirecent`, `dashboard`, `examples`). */
export function viewsFile(name: string): string {
  return `${projectRoot}views/${name}.sql`;
}

export async function startEngine(
  views = viewsFile('wikirecent'),
  dataDir: string | null = null,
  pgliteOnly = false,
): Promise<EmbeddedEngine> {
  const engine = new EmbeddedEngine({ viewsFile: views, dataDir, pgliteOnly });
  await engine.start();
  return engine;
}

/** CPU time of the whole process (main thread and the PGlite worker, if any), in ms. */
export function cpuMs(since?: NodeJS.CpuUsage): number {
  const usage = process.cpuUsage(since);
  return (usage.user + usage.system) / 1000;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
