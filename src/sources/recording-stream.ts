/**
 * A recording read as a stream, one event's text at a time, instead of whole: a replay of a large
 * file neither holds the file in memory (the text and every line of it stayed reachable for the
 * whole run) nor stalls the event loop for the read and the split at start. JSON lines (the usual
 * recording) stream in chunks, gzipped or not; SSE text, which recordings of the raw stream use,
 * is read whole by `readRecording` (such files are small, and their parser is not incremental).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { ViewcastError } from '../core/errors.js';
import { readRecording } from './replay.js';

/** Bytes read at a time: small enough that splitting one chunk is a short turn of the event loop. */
const CHUNK_BYTES = 64 * 1024;

/** Whether the file starts with gzip's magic bytes. */
async function isGzipped(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new ViewcastError(
      'VIEWCAST_SOURCE',
      `Cannot read the recording ${file}: ${error.code ?? error.message}.`,
    );
  });
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The file's text in chunks, unpacked when gzipped. */
async function* textChunks(file: string): AsyncGenerator<string> {
  const gzipped = await isGzipped(file);
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const input = gzipped ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  if (gzipped) raw.on('error', (error) => input.destroy(error));
  input.setEncoding('utf8');
  try {
    for await (const chunk of input) yield chunk as string;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ViewcastError(
      'VIEWCAST_SOURCE',
      gzipped
        ? `The recording ${file} looks gzipped but cannot be unpacked: ${reason}.`
        : `Cannot read the recording ${file}: ${reason}.`,
    );
  } finally {
    input.destroy();
  }
}

/**
 * The text of each event in the recording, in order: the same entries as `readRecording` (blank
 * lines skipped, lines trimmed), read a chunk at a time.
 */
export async function* recordingEntries(file: string): AsyncGenerator<string> {
  let pending = '';
  let format: 'lines' | 'whole' | null = null;
  for await (const chunk of textChunks(file)) {
    pending += chunk;
    if (format === null) {
      const first = pending.trimStart()[0];
      if (first === undefined) continue;
      // Anything not starting like JSON may be SSE text: decided on the whole file, as before.
      format = first === '{' || first === '[' ? 'lines' : 'whole';
      if (format === 'whole') break;
    }
    const end = pending.lastIndexOf('\n');
    if (end < 0) continue;
    for (const line of pending.slice(0, end).split('\n')) {
      const entry = line.trim();
      if (entry !== '') yield entry;
    }
    pending = pending.slice(end + 1);
  }
  if (format === 'whole') {
    yield* await readRecording(file);
    return;
  }
  const last = pending.trim();
  if (last !== '') yield last;
}

/** How many events the recording holds (a streaming pass over it). */
export async function countRecordingEntries(file: string): Promise<number> {
  let count = 0;
  for await (const _entry of recordingEntries(file)) count++;
  return count;
}
