import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI (npm test builds first), run as a user would. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function onpath(args: string[], input?: Buffer | string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
}
