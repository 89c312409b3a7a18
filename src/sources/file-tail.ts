/**
 * Follows a file that another program appends the stream to, as `curl -N <stream> >> file` does:
 * SSE text, read as it grows. A message cut at the end of the file waits for the rest of its bytes;
 * a file that shrinks was truncated and is read again from the start; a file whose inode changed
 * was rotated: the old one is read to its end, then the new one from its start. The position is
 * `<inode>:<byte offset after the last message>`, so a restart continues in the same file, with the
 * latest `meta.id`s, so a duplicate that straddles a restart is dropped as well.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { EventGate } from './event-gate.js';
import { eventParser, type ParsedFrame } from './event-schema.js';
import { Sleeper } from './sleeper.js';
import { SseParser, type SseMessage } from '../core/sse-parser.js';
import { decodeDedupePosition, encodeDedupePosition, RECENT_IDS_KEPT } from './stream-position.js';
import type { EventSink, Source, SourceLog, SourceStatus } from './types.js';

export interface FileTailOptions {
  file: string;
  /** How often to look at the file when no change notification came, in ms. */
  pollMs: number;
  log: SourceLog;
}

interface OpenFile {
  handle: FileHandle;
  inode: number;
  parser: SseParser;
  /** Where the parser started in the file: message offsets are relative to it. */
  base: number;
  /** Bytes of the file read so far. */
  offset: number;
}

const CHUNK = 64 * 1024;

export class FileTailSource implements Source {
  readonly kind = 'file';
  readonly id: string;
  private readonly sleeper = new Sleeper();
  private readonly gate = new EventGate();
  private emitted = 0;
  private rotations = 0;
  private truncations = 0;
  private waitingForFile = false;
  private current: OpenFile | null = null;
  private pending: Array<Promise<void>> = [];
  /** Decodes a message's JSON (only the fields the sink reads); set when `run` gets its sink. */
  private decode: (text: string) => ParsedFrame = eventParser(undefined);

  constructor(private readonly options: FileTailOptions) {
    this.id = `file:${options.file}`;
  }

  describe(): string {
    return `SSE appended to ${this.options.file}, followed as it grows`;
  }

  async run(sink: EventSink, resumeFrom: string | null): Promise<void> {
    this.decode = eventParser(sink.reads);
    const watcher = this.watchDirectory();
    const resumed = decodeDedupePosition(resumeFrom);
    for (const id of resumed.recentIds) this.gate.seen.add(id);
    let resume = parsePosition(resumed.at);
    try {
      while (!this.sleeper.stopped) {
        if (!this.current) {
          this.current = await this.openFile(sink, resume);
          resume = null;
          if (!this.current) {
            await this.sleeper.sleep(this.options.pollMs);
            continue;
          }
        }
        await this.readToEnd(this.current, sink);
        if (await this.checkReplaced(this.current, sink)) continue;
        await this.sleeper.sleep(this.options.pollMs);
      }
    } finally {
      watcher?.close();
      await this.current?.handle.close().catch(() => undefined);
      this.current = null;
    }
  }

  stop(): void {
    this.sleeper.stop();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      emitted: this.emitted,
      finished: false,
      file: this.options.file,
      offset: this.current?.offset ?? 0,
      waitingForFile: this.waitingForFile,
      rotations: this.rotations,
      truncations: this.truncations,
    };
  }

  /** Wakes the reader as soon as anything happens to the file (polling stays as the fallback). */
  private watchDirectory(): FSWatcher | null {
    const name = basename(this.options.file);
    try {
      const watcher = watch(dirname(this.options.file), (_event, changed) => {
        if (changed === null || changed === name) this.sleeper.wake();
      });
      watcher.on('error', () => undefined);
      return watcher;
    } catch {
      return null;
    }
  }

  private async openFile(
    sink: EventSink,
    resume: { inode: number; offset: number } | null,
  ): Promise<OpenFile | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.options.file, 'r');
    } catch (error) {
      if (!this.waitingForFile)
        this.options.log.warn(
          `file ${this.options.file}: cannot open it (${(error as NodeJS.ErrnoException).code ?? String(error)}); waiting for it to appear`,
        );
      this.waitingForFile = true;
      return null;
    }
    this.waitingForFile = false;
    const info = await handle.stat();
    const start = resume && resume.inode === info.ino && resume.offset <= info.size ? resume.offset : 0;
    return this.fresh(handle, info.ino, start, sink);
  }

  private fresh(handle: FileHandle, inode: number, start: number, sink: EventSink): OpenFile {
    const file: OpenFile = {
      handle,
      inode,
      base: start,
      offset: start,
      parser: new SseParser((message) => this.onMessage(message, file, sink)),
    };
    return file;
  }

  private async readToEnd(file: OpenFile, sink: EventSink): Promise<void> {
    const size = (await file.handle.stat()).size;
    if (size < file.offset) {
      this.truncations++;
      this.options.log.warn(`file ${this.options.file} was truncated; reading it again from the start`);
      file.parser.end(false);
      file.base = 0;
      file.offset = 0;
      file.parser = new SseParser((message) => this.onMessage(message, file, sink));
    }
    const buffer = Buffer.alloc(CHUNK);
    while (!this.sleeper.stopped) {
      const { bytesRead } = await file.handle.read(buffer, 0, CHUNK, file.offset);
      if (bytesRead === 0) break;
      file.offset += bytesRead;
      file.parser.feed(buffer.subarray(0, bytesRead));
      if (this.pending.length > 0) await Promise.all(this.pending.splice(0));
    }
  }

  /** True when the path now names another file (rotation): the old one has been read to its end. */
  private async checkReplaced(file: OpenFile, sink: EventSink): Promise<boolean> {
    const info = await stat(this.options.file).catch(() => null);
    if (info === null || info.ino === file.inode) return false;
    // The writer may have added to the old file between our last read and the rename.
    await this.readToEnd(file, sink);
    this.rotations++;
    this.options.log.info(
      `file ${this.options.file} was replaced (rotated); following the new file from its start`,
    );
    // The old file is complete: a last message without its blank line is still whole.
    file.parser.end(true);
    if (this.pending.length > 0) await Promise.all(this.pending.splice(0));
    await file.handle.close().catch(() => undefined);
    this.current = null;
    return true;
  }

  private onMessage(message: SseMessage, file: OpenFile, sink: EventSink): void {
    if (message.event !== 'message') return;
    const parsed = this.decode(message.data);
    if ('reason' in parsed) {
      sink.skip(parsed.reason, `${this.options.file} at byte ${file.base + message.end}: ${parsed.detail}`);
      return;
    }
    const verdict = this.gate.admit(parsed.event);
    if (verdict !== 'pass') {
      sink.skip(verdict);
      return;
    }
    this.emitted++;
    const at = `${file.inode}:${file.base + message.end}`;
    const position = encodeDedupePosition(at, this.gate.seen.latest(RECENT_IDS_KEPT));
    const wait = sink.push(parsed.event, position, message.data);
    if (wait) this.pending.push(wait);
  }
}

function parsePosition(stored: string | null): { inode: number; offset: number } | null {
  const match = stored === null ? null : /^(\d+):(\d+)$/.exec(stored);
  return match ? { inode: Number(match[1]), offset: Number(match[2]) } : null;
}
