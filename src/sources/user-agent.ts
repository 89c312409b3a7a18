/**
 * The `User-Agent` sent to Wikimedia. Its servers answer 403 to clients that do not say who they
 * are; their policy asks for a name, a version and a way to reach the operator.
 */
import { readFileSync } from 'node:fs';

interface PackageInfo {
  name?: string;
  version?: string;
  homepage?: string;
}

function packageInfo(): PackageInfo {
  try {
    // dist/src/sources/ -> the project root
    return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as PackageInfo;
  } catch {
    return {};
  }
}

const info = packageInfo();

/** `viewcast/<version> (<project URL>) node/<version>`, the form Wikimedia's policy asks for. */
export const DEFAULT_USER_AGENT = `${info.name ?? 'viewcast'}/${info.version ?? '0'} (${
  info.homepage ?? 'live SQL views of Wikimedia recent changes'
}) node/${process.versions.node}`;
