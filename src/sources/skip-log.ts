/**
 * Skipped input is counted always and logged sparingly: the first skip of a reason gets a line with
 * its detail at once; after that at most one line per reason every `intervalMs`, saying how many
 * more were skipped. Canary events and re-delivered duplicates are the stream working as designed:
 * they are counted, never logged.
 */
import type { EventSink, RawEvent, SourceLog } from './types.js';

const QUIET = new Set(['canary', 'duplicate']);

export function withSkipLog(sink: EventSink, log: SourceLog, source: string, intervalMs = 10_000): EventSink {
  const state = new Map<string, { lastLine: number; unlogged: number }>();
  return {
    push: (event: RawEvent, position: string | null, text?: string) => sink.push(event, position, text),
    ...(sink.reads ? { reads: sink.reads } : {}),
    skip: (reason: string, detail?: string) => {
      sink.skip(reason, detail);
      if (QUIET.has(reason)) return;
      const now = Date.now();
      const seen = state.get(reason);
      if (!seen) {
        state.set(reason, { lastLine: now, unlogged: 0 });
        log.warn(
          `source ${source}: skipped input (${reason})${detail ? `: ${detail}` : ''}; ` +
            `further skips of this kind are summarized at most every ${Math.round(intervalMs / 1000)} s`,
        );
        return;
      }
      seen.unlogged++;
      if (now - seen.lastLine < intervalMs) return;
      log.warn(
        `source ${source}: skipped ${seen.unlogged} more (${reason}) in the last ${Math.round((now - seen.lastLine) / 1000)} s` +
          (detail ? `; latest: ${detail}` : ''),
      );
      seen.lastLine = now;
      seen.unlogged = 0;
    },
  };
}
