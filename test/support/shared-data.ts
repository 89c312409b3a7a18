/**
 * The recorded Wikimedia events and their ground truth live in ../shared/data beside the project.
 * Tests that need them fail with a clear message when the folder is missing, never pass silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const sharedData = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));

export function recording(name: string): string {
  const file = `${sharedData}wikimedia/${name}`;
  if (!existsSync(file)) {
    throw new Error(
      `missing test data ${file}: clone the project with the shared folder beside it (../shared/data)`,
    );
  }
  return file;
}

export const RECORDING_2476 = 'recentchange-2026-05-05-2476.jsonl';

/** The per-user counts of the 2,476-event recording, read from shared/data/README.md. */
export function groundTruth2476(): Array<[string, number]> {
  const readme = readFileSync(`${sharedData}README.md`, 'utf8');
  const section = /Ground truth for the 2,476-event file[^\n]*\n([\s\S]+?)(?:\n\s*\n|$)/
    .exec(readme)?.[1]
    ?.replace(/\s+/g, ' ');
  if (!section) throw new Error('shared/data/README.md has no ground truth for the 2,476-event file');
  return section
    .replace(/\(.*?\)/g, '')
    .split(',')
    .map((part) => /^\s*(.+?)\s+(\d+)\s*\.?\s*$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, Number(m[2])]);
}
