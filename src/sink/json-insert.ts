/**
 * Bulk rows into a table through DuckDB's own JSON reader: the rows, already JSON text, are
 * written as newline-delimited JSON to a temporary file and inserted with one INSERT ... SELECT, typed by
 * the table's columns. Far cheaper than converting each value to a DuckDB value object in JS.
 * TIMESTAMP_NS columns travel as decimal strings of epoch nanoseconds.
 */
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';

let dir: string | null = null;
let seq = 0;

function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export async function insertJsonLines(conn: DuckDBConnection, table: string, columns: readonly (readonly [string, string])[], lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  dir ??= mkdtempSync(join(tmpdir(), 'onpath-rows-'));
  const path = join(dir, `${table}-${process.pid}-${seq++}.ndjson`);
  writeFileSync(path, lines.join('\n') + '\n');
  try {
    const spec = columns.map(([c, t]) => `${c}: ${lit(t === 'TIMESTAMP_NS' ? 'VARCHAR' : t)}`).join(', ');
    const select = columns.map(([c, t]) => (t === 'TIMESTAMP_NS' ? `make_timestamp_ns(${c}::BIGINT)` : c)).join(', ');
    await conn.run(`INSERT INTO ${table} SELECT ${select} FROM read_json(${lit(path)}, format = 'newline_delimited', columns = {${spec}})`);
  } finally {
    rmSync(path, { force: true });
  }
}
