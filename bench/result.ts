/**
 * What every benchmark scenario prints last: one `RESULT {...}` line, with the baseline measured in
 * the same run and the ratio against it, so figures from different machines and days stay comparable.
 */
import { cpus } from 'node:os';

export interface BenchResult {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  /** The goal as text, e.g. ">= 0.9x raw ws". */
  goal: string;
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} x ${cpu.trim()}, node ${process.version}`;
}

export function printResult(result: BenchResult): void {
  const line = { ...result, machine: machine(), date: new Date().toISOString().slice(0, 10) };
  process.stdout.write(`RESULT ${JSON.stringify(line)}\n`);
}

export interface ScenarioContext {
  /** `--quick`: a run under a minute. */
  quick: boolean;
  args: string[];
}

export type Scenario = (context: ScenarioContext) => Promise<void>;
