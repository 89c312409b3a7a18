/** The benchmark scenarios by name, in the order `npm run bench` runs them. */
import type { Scenario } from './result.js';

export const scenarios: Record<string, () => Promise<Scenario>> = {};
