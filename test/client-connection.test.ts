/**
 * The client's connection state machine, as a pure function: reconnects with jittered backoff,
 * falls back to SSE when a WebSocket never opens, and reports live / stale / reconnecting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, BACKOFF_DEFAULTS } from '../src/core/backoff.js';
import {
  connectionStatus,
  initialState,
  step,
  type ConnectionInput,
  type ConnectionState,
  type MachineOptions,
} from '../src/client/connection-machine.js';

const options: MachineOptions = { transport: 'auto', backoff: BACKOFF_DEFAULTS, random: () => 1 };

function run(inputs: ConnectionInput[], start = initialState('auto'), opts = options) {
  let state: ConnectionState = start;
  const actions = [];
  for (const input of inputs) {
    const result = step(state, input, 1000, opts);
    state = result.state;
    actions.push(result.action);
  }
  return { state, actions };
}

describe('client connection', { timeout: 120_000 }, () => {
  it('backs off exponentially with jitter between half and the whole ceiling, up to the maximum', () => {
    assert.equal(
      backoffDelay(0, BACKOFF_DEFAULTS, () => 1),
      250,
    );
    assert.equal(
      backoffDelay(0, BACKOFF_DEFAULTS, () => 0),
      125,
    );
    assert.equal(
      backoffDelay(3, BACKOFF_DEFAULTS, () => 1),
      2000,
    );
    assert.equal(
      backoffDelay(30, BACKOFF_DEFAULTS, () => 1),
      10_000,
    );
  });

  it('connects over WebSocket first and is live once a frame arrives', () => {
    const { state, actions } = run([{ type: 'start' }, { type: 'opened' }]);
    assert.deepEqual(actions[0], { type: 'connect', transport: 'websocket' });
    assert.equal(connectionStatus(state, 1000, 5000), 'connecting');
    const heard = step(state, { type: 'heard' }, 1000, options).state;
    assert.equal(connectionStatus(heard, 1000, 5000), 'live');
    assert.equal(connectionStatus(heard, 7000, 5000), 'stale', 'silent for longer than staleAfterMs');
  });

  it('falls back to SSE at once when a WebSocket fails before it ever opened', () => {
    const { state, actions } = run([{ type: 'start' }, { type: 'lost' }, { type: 'retry' }]);
    assert.deepEqual(actions[1], { type: 'wait', ms: 0 });
    assert.deepEqual(actions[2], { type: 'connect', transport: 'sse' });
    assert.equal(state.transport, 'sse');
  });

  it('keeps a transport that worked once: a restarting server is not a blocked WebSocket', () => {
    const { state, actions } = run([
      { type: 'start' },
      { type: 'opened' },
      { type: 'heard' },
      { type: 'lost' },
      { type: 'retry' },
      { type: 'lost' },
      { type: 'retry' },
      { type: 'lost' },
    ]);
    assert.deepEqual(
      actions.filter((a) => a?.type === 'connect'),
      [
        { type: 'connect', transport: 'websocket' },
        { type: 'connect', transport: 'websocket' },
        { type: 'connect', transport: 'websocket' },
      ],
    );
    assert.deepEqual(
      actions.filter((a) => a?.type === 'wait'),
      [
        { type: 'wait', ms: 250 },
        { type: 'wait', ms: 500 },
        { type: 'wait', ms: 1000 },
      ],
    );
    assert.equal(connectionStatus(state, 1000, 5000), 'reconnecting');
    const back = run([{ type: 'retry' }, { type: 'opened' }, { type: 'heard' }], state).state;
    assert.equal(connectionStatus(back, 1000, 5000), 'live');
    assert.equal(back.attempt, 0, 'a frame resets the backoff');
  });

  it('stays on SSE when a preference says so, and stops for good on close', () => {
    const sse = run([{ type: 'start' }, { type: 'lost' }], initialState('sse'), {
      ...options,
      transport: 'sse',
    });
    assert.equal(sse.state.transport, 'sse');
    const closed = run([{ type: 'start' }, { type: 'close' }, { type: 'retry' }]);
    assert.deepEqual(closed.actions, [
      { type: 'connect', transport: 'websocket' },
      { type: 'disconnect' },
      null,
    ]);
    assert.equal(connectionStatus(closed.state, 1000, 5000), 'closed');
  });
});
