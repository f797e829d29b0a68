import { readFileSync } from 'node:fs';

function readVersion(): string {
  // src/version.ts under vitest, dist/src/version.js when built.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'onpath' && pkg.version) return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
