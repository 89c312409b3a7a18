/** Times a new client's way to a complete view, from one long-lived process on the load core. */
import { LOAD_CPU, nodeScript, stopAll, type ControlledProcess } from '../support/processes.js';

export class StateClient {
  private constructor(private readonly process: ControlledProcess) {}

  static async start(): Promise<StateClient> {
    const client = nodeScript('state client', 'load/clients.js', [], LOAD_CPU);
    await client.next('ready', 30_000);
    return new StateClient(client);
  }

  async measure(url: string, times: number): Promise<{ durations: number[]; bytes: number }> {
    const reply = await this.process.request({ cmd: 'first-state', url, times }, 'first-state', 300_000);
    return { durations: reply['durations'] as number[], bytes: Number(reply['bytes']) };
  }

  async close(): Promise<void> {
    await stopAll([this.process]);
  }
}
