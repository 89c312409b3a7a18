/**
 * The connection's state machine as a pure function: a state and an input (plus `now` and the
 * options) in, the next state and at most one action out. The client performs the actions; tests
 * drive this function directly, without sockets or clocks.
 *
 * Transport choice with `auto`: WebSocket first. A WebSocket that fails before it ever opened may be
 * blocked (a proxy that refuses upgrades), so the next attempt uses SSE at once. Whichever transport
 * has opened once is kept from then on; while neither ever opened (the server may simply be down),
 * attempts alternate, with backoff.
 */
import { backoffDelay, BACKOFF_DEFAULTS, type BackoffOptions } from '../core/backoff.js';

export type TransportKind = 'websocket' | 'sse';
export type TransportPreference = TransportKind | 'auto';

export type Phase = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

export interface ConnectionState {
  phase: Phase;
  transport: TransportKind;
  /** Consecutive attempts that ended before any frame arrived. */
  attempt: number;
  /** Transports that opened at least once in this client's life. */
  worked: TransportKind[];
  /** Some frame arrived on the current connection. */
  heard: boolean;
  /** Some frame ever arrived: losing the connection after that is reconnecting, not connecting. */
  everHeard: boolean;
  /** When the last frame arrived (any frame: progress messages exist to keep this fresh). */
  lastHeardAt: number | null;
}

export type ConnectionInput =
  | { type: 'start' }
  | { type: 'opened' }
  | { type: 'heard' }
  /** The connection closed or failed; `fatal` when retrying cannot help (e.g. a refused origin). */
  | { type: 'lost'; fatal?: boolean }
  /** The backoff wait is over. */
  | { type: 'retry' }
  | { type: 'close' };

export type ConnectionAction =
  | { type: 'connect'; transport: TransportKind }
  | { type: 'wait'; ms: number }
  | { type: 'disconnect' }
  | null;

export interface MachineOptions {
  transport: TransportPreference;
  backoff: BackoffOptions;
  random: () => number;
}

export const MACHINE_DEFAULTS: MachineOptions = {
  transport: 'auto',
  backoff: BACKOFF_DEFAULTS,
  random: Math.random,
};

export function initialState(preference: TransportPreference): ConnectionState {
  return {
    phase: 'idle',
    transport: preference === 'sse' ? 'sse' : 'websocket',
    attempt: 0,
    worked: [],
    heard: false,
    everHeard: false,
    lastHeardAt: null,
  };
}

function nextTransport(state: ConnectionState, preference: TransportPreference): TransportKind {
  if (preference !== 'auto') return preference;
  if (state.worked.includes(state.transport)) return state.transport;
  const other: TransportKind = state.transport === 'websocket' ? 'sse' : 'websocket';
  return state.worked.includes(other) || state.worked.length === 0 ? other : state.transport;
}

export function step(
  state: ConnectionState,
  input: ConnectionInput,
  now: number,
  options: MachineOptions = MACHINE_DEFAULTS,
): { state: ConnectionState; action: ConnectionAction } {
  if (state.phase === 'closed') return { state, action: null };
  switch (input.type) {
    case 'start':
      if (state.phase !== 'idle') return { state, action: null };
      return {
        state: { ...state, phase: 'connecting' },
        action: { type: 'connect', transport: state.transport },
      };
    case 'opened': {
      const worked = state.worked.includes(state.transport)
        ? state.worked
        : [...state.worked, state.transport];
      return { state: { ...state, phase: 'open', worked, heard: false }, action: null };
    }
    case 'heard':
      return {
        state: { ...state, heard: true, everHeard: true, attempt: 0, lastHeardAt: now },
        action: null,
      };
    case 'lost': {
      if (state.phase !== 'connecting' && state.phase !== 'open') return { state, action: null };
      if (input.fatal) return { state: { ...state, phase: 'closed' }, action: { type: 'disconnect' } };
      const transport = nextTransport(state, options.transport);
      // A WebSocket that never opened, anywhere, may be blocked: try SSE without waiting.
      const probe =
        transport !== state.transport && state.worked.length === 0 && state.transport === 'websocket';
      const ms = probe ? 0 : backoffDelay(state.attempt, options.backoff, options.random);
      return {
        state: {
          ...state,
          phase: 'waiting',
          transport,
          attempt: probe ? state.attempt : state.attempt + 1,
          heard: false,
        },
        action: { type: 'wait', ms },
      };
    }
    case 'retry':
      if (state.phase !== 'waiting') return { state, action: null };
      return {
        state: { ...state, phase: 'connecting' },
        action: { type: 'connect', transport: state.transport },
      };
    case 'close':
      return { state: { ...state, phase: 'closed' }, action: { type: 'disconnect' } };
  }
}

/** What a page shows about its freshness. */
export type ConnectionStatus = 'connecting' | 'live' | 'stale' | 'reconnecting' | 'closed';

/**
 * `live` while frames keep arriving (batches, or the progress messages a server sends to idle
 * clients); `stale` when an open connection has been silent for longer than `staleAfterMs`;
 * `reconnecting` between connections once one has worked; `connecting` before that.
 */
export function connectionStatus(
  state: ConnectionState,
  now: number,
  staleAfterMs: number,
): ConnectionStatus {
  if (state.phase === 'closed') return 'closed';
  if (state.phase === 'open' && state.heard) {
    return state.lastHeardAt !== null && now - state.lastHeardAt > staleAfterMs ? 'stale' : 'live';
  }
  return state.everHeard || state.attempt > 0 ? 'reconnecting' : 'connecting';
}
