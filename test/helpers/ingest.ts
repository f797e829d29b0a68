import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckSink } from '../../src/sink/duckdb.js';
import { DEFAULT_FLOW_OPTIONS, type FlowOptions } from '../../src/flow/options.js';
import { ingestCapture, type IngestOptions, type IngestSummary } from '../../src/pipeline/ingest.js';

export function tempDir(prefix = 'onpath-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Ingests captures into a fresh DuckDB file with the real pipeline and sink. */
export async function ingestAll(paths: string[], flow: Partial<FlowOptions> = {}, replace = false, dbPath?: string,
  extra: Partial<IngestOptions> = {}): Promise<{ sink: DuckSink; db: string; summaries: IngestSummary[] }> {
  const db = dbPath ?? join(tempDir(), 'test.duckdb');
  const sink = await DuckSink.open(db);
  const summaries: IngestSummary[] = [];
  for (const p of paths) summaries.push(await ingestCapture(p, sink, { ...extra, flow: { ...DEFAULT_FLOW_OPTIONS, ...flow }, replace }));
  return { sink, db, summaries };
}

/** Rows as objects. */
export async function rows(sink: DuckSink, sql: string): Promise<Record<string, unknown>[]> {
  const r = await sink.query(sql);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
}
