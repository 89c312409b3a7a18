/**
 * What the benchmark's server processes share: their answers on stdout (JSON lines, read by
 * support/processes.ts) and the paced broadcast of frames that viewcast produced, which every
 * baseline sends at the moments viewcast published them.
 */
import { nowMs } from '../support/stats.js';

export function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** A frame's timestamp (its last number), by which the load generator matches receipts to sends. */
export function frameKey(frame: string): string {
  return frame.slice(frame.lastIndexOf(':') + 1, frame.lastIndexOf('}'));
}

export interface PacedSends {
  /** When each frame's broadcast started, by frame key. */
  sendTimes: Record<string, number>;
  /** CPU of the broadcasts alone. */
  sendCpuSeconds: number;
}

/** Broadcasts frame i with `broadcast` `offsets[i]` ms after the start. */
export async function broadcastAtOffsets(
  frames: string[],
  offsets: number[],
  broadcast: (frame: string) => void,
): Promise<PacedSends> {
  let sendCpuSeconds = 0;
  const sendTimes: Record<string, number> = {};
  const start = nowMs();
  for (let i = 0; i < frames.length; i++) {
    const wait = start + (offsets[i] ?? 0) - nowMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const frame = frames[i] as string;
    sendTimes[frameKey(frame)] = nowMs();
    const before = process.cpuUsage();
    broadcast(frame);
    const sending = process.cpuUsage(before);
    sendCpuSeconds += (sending.user + sending.system) / 1e6;
  }
  return { sendTimes, sendCpuSeconds };
}
