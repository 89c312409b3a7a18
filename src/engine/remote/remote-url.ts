/**
 * Whether `--engine` names a remote engine (a Postgres URL). Apart from connect.ts so that telling
 * the engines apart does not load node-postgres into every embedded `serve`.
 */
export function isRemoteEngine(engine: string): boolean {
  return /^postgres(ql)?:\/\//i.test(engine);
}
