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
import type { NdjsonBuffer } from './ndjson-buffer.js';

let dir: string | null = null;
let seq = 0;

function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export interface JsonInsertOptions {
  /**
   * A list column whose member is missing (or null) is the empty list. Inspection rows leave out
   * empty lists (src/inspect/json-text.ts); none of their list columns is ever NULL.
   */
  missingListIsEmpty?: boolean;
}

/** Inserts rows given as JSON lines, or as one NDJSON byte buffer, into `table`, typed by `columns`. */
export async function insertJsonLines(conn: DuckDBConnection, table: string, columns: readonly (readonly [string, string])[],
  lines: string[] | NdjsonBuffer, opts: JsonInsertOptions = {}): Promise<void> {
  const bytes = Array.isArray(lines) ? null : lines.bytes();
  if (bytes !== null ? bytes.length === 0 : (lines as string[]).length === 0) return;
  dir ??= mkdtempSync(join(tmpdir(), 'onpath-rows-'));
  const path = join(dir, `${table}-${process.pid}-${seq++}.ndjson`);
  writeFileSync(path, bytes ?? (lines as string[]).join('\n') + '\n');
  try {
    const spec = columns.map(([c, t]) => `${c}: ${lit(t === 'TIMESTAMP_NS' ? 'VARCHAR' : t)}`).join(', ');
    const select = columns.map(([c, t]) => {
      if (t === 'TIMESTAMP_NS') return `make_timestamp_ns(${c}::BIGINT)`;
      if (opts.missingListIsEmpty && t.endsWith('[]')) return `coalesce(${c}, []::${t}) AS ${c}`;
      return c;
    }).join(', ');
    await conn.run(`INSERT INTO ${table} SELECT ${select} FROM read_json(${lit(path)}, format = 'newline_delimited', columns = {${spec}})`);
  } finally {
    rmSync(path, { force: true });
  }
}
