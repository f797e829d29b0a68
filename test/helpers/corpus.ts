import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The shared corpus, read in place (never copied into the project). */
export const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export interface ManifestRow { file: string; format: string; linktypes: string; packets: number; features: string[]; refs: string[] }

export function manifest(): ManifestRow[] {
  const lines = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const head = lines[0].split('\t');
  const col = (name: string): number => head.indexOf(name);
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return {
      file: f[col('file')], format: f[col('format')], linktypes: f[col('linktypes')],
      packets: Number(f[col('packets')]), features: (f[col('features')] ?? '').split(','), refs: (f[col('refs')] ?? '').split(','),
    };
  });
}

export function corpusPath(file: string): string { return join(CORPUS, file); }
export function hasSidecar(file: string, ext: string): boolean { return existsSync(join(CORPUS, `${file}.${ext}`)); }

/** Parses a TSV sidecar: '#' lines skipped, first remaining line is the header. */
export function readTsv(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) return [];
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [head[i], v])));
}

/** Zeek conn.log (full, '#fields' header) or a btest '.cut' file (plain header line). */
export function readZeekLog(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  let head: string[] | null = null;
  const rows: Record<string, string>[] = [];
  for (const l of lines) {
    if (l.startsWith('#fields')) { head = l.split('\t').slice(1); continue; }
    if (l.startsWith('#') || l.trim() === '') continue;
    if (head === null) { head = l.split('\t'); continue; }
    rows.push(Object.fromEntries(l.split('\t').map((v, i) => [head![i], v])));
  }
  return rows;
}
