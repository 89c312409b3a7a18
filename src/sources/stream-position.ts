/**
 * The resume position of a live stream, as stored with the events it covers: the last SSE `id`
 * (sent back verbatim as `Last-Event-ID`) and the `meta.id`s of the latest events. Resuming by
 * timestamp re-delivers at least the last event, so a fresh process needs those ids to drop the
 * overlap instead of counting it twice.
 */

export interface StreamPosition {
  lastEventId: string;
  recentIds: string[];
}

/** How many of the latest `meta.id`s travel with the position. */
export const RECENT_IDS_KEPT = 32;

export function encodePosition(position: StreamPosition): string {
  return JSON.stringify({ lastEventId: position.lastEventId, recentIds: position.recentIds });
}

/** Reads a stored position; a bare string (not our JSON) is taken as the last event id itself. */
export function decodePosition(stored: string | null): StreamPosition | null {
  if (stored === null || stored === '') return null;
  try {
    const value = JSON.parse(stored) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const { lastEventId, recentIds } = value as Record<string, unknown>;
      if (typeof lastEventId === 'string')
        return {
          lastEventId,
          recentIds: Array.isArray(recentIds)
            ? recentIds.filter((id): id is string => typeof id === 'string')
            : [],
        };
    }
  } catch {
    // not ours: fall through
  }
  return { lastEventId: stored, recentIds: [] };
}

/**
 * The resume position of any other source that drops re-delivered `meta.id`s (a replay, a followed
 * file, POST /api/ingest): its own position (`at`: an event count, `<inode>:<offset>`, or none) with
 * the latest ids, committed with the events in one transaction, so that a duplicate straddling a
 * restart is dropped too. Positions stored before the ids travelled (the bare `at`) still resume.
 */
export interface DedupePosition {
  at: string | null;
  recentIds: string[];
}

export function encodeDedupePosition(at: string | null, recentIds: string[]): string {
  return JSON.stringify({ at, recentIds });
}

export function decodeDedupePosition(stored: string | null): DedupePosition {
  if (stored === null || stored === '') return { at: null, recentIds: [] };
  if (stored.startsWith('{')) {
    try {
      const value = JSON.parse(stored) as Record<string, unknown>;
      const at = typeof value['at'] === 'string' ? value['at'] : null;
      const ids = Array.isArray(value['recentIds']) ? value['recentIds'] : [];
      return { at, recentIds: ids.filter((id): id is string => typeof id === 'string') };
    } catch {
      // not ours: fall through
    }
  }
  return { at: stored, recentIds: [] };
}

/** A stored position as a log line shows it: the replay count, file offset or SSE id, without the ids. */
export function describePosition(stored: string): string {
  if (!stored.startsWith('{')) return stored;
  const dedupe = decodeDedupePosition(stored);
  if (dedupe.at !== null) return dedupe.at;
  return decodePosition(stored)?.lastEventId ?? stored;
}
