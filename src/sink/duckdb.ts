/**
 * DuckSink: writes captures and their flows into a DuckDB file, one transaction
 * per capture, so a capture is either all there or not there at all (also after
 * kill -9: DuckDB drops an uncommitted transaction's data, appender flushes included,
 * when it reopens the file).
 *
 * Flows go in through the appender as 2048-row data chunks. The appender lives
 * on the sink's one connection, inside that connection's open transaction; it
 * is flushed (closed) before COMMIT and discarded (cleared) before ROLLBACK,
 * since whatever it still buffers after the transaction ends would otherwise be
 * written later in a transaction of its own.
 *
 * One operation at a time: await each call before making the next.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBListValue,
  DuckDBTimestampNanosecondsValue, DuckDBTimestampValue, type DuckDBValue,
} from '@duckdb/node-api';
import type { FlowBatch } from '../flow/batch.js';
import type { InspectLines } from '../pipeline/inspect-collector.js';
import type { CertRec } from '../inspect/records.js';
import { certRow } from './cert-rows.js';
import { CHUNK_ROWS, flowChunkFiller, type FlowChunkFill } from './flow-chunk.js';
import { toJsonValue } from './json-value.js';
import type { AnomalyRecord, CaptureFileRecord, CaptureRecord, L2Record } from './records.js';
import { CAPTURE_CHILD_TABLES, CAPTURE_TABLES, DNS_COLUMNS, L2_BINDING_COLUMNS, SFLOW_AGENT_COLUMNS, SFLOW_COUNTER_COLUMNS, SFLOW_FLOW_COLUMNS, HTTP_COLUMNS, QUIC_COLUMNS, SCHEMA_DDL, TABLES, TLS_COLUMNS } from './schema.js';
import { insertJsonLines } from './json-insert.js';
import { BGP_MESSAGE_COLUMNS } from '../context/schema.js';

/** Inspection rows leave out empty lists (src/inspect/json-text.ts). */
const EMPTY_LISTS = { missingListIsEmpty: true };

export interface QueryResult { columns: string[]; rows: unknown[][] }

interface ActiveCapture {
  captureId: number;
  /** Created on the first appendFlows. */
  appender: DuckDBAppender | null;
  /** Flow rows appended so far: the next row's running index. */
  rows: number;
  /** Live: a checkpoint committed this capture's rows (captures, anomalies, l2) already. */
  checkpointed?: boolean;
}

const NS_PER_S = 1000000000n;

/** SQL string literal. */
function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function tsOrNull(sec: number | null, ns: number): DuckDBTimestampNanosecondsValue | null {
  return sec === null ? null : new DuckDBTimestampNanosecondsValue(BigInt(sec) * NS_PER_S + BigInt(ns));
}

function bigOrNull(x: number | null): bigint | null {
  return x === null ? null : BigInt(x);
}

export class DuckSink {
  private active: ActiveCapture | null = null;
  /** Reused for every flows chunk, created with the first flows appender. */
  private flowChunk: DuckDBDataChunk | null = null;
  /** Fills flowChunk (chosen for its column types along with it). */
  private fillFlows: FlowChunkFill | null = null;

  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection) {}

  /** Opens (or creates) the database, creates missing tables and drops rows of captures that never committed. */
  static async open(path: string, opts: { memoryLimit?: string } = {}): Promise<DuckSink> {
    // The writers cap DuckDB's buffer pool (its default is 80 % of RAM): a capture's rows then go
    // to the file as they pass the cap instead of staying cached, and memory stays flat with size.
    const instance = await DuckDBInstance.create(path, opts.memoryLimit ? { memory_limit: opts.memoryLimit } : undefined);
    const conn = await instance.connect();
    const sink = new DuckSink(instance, conn);
    try {
      for (const ddl of SCHEMA_DDL) await conn.run(ddl);
      await sink.cleanOrphans();
    } catch (e) {
      sink.close();
      throw e;
    }
    return sink;
  }

  /** Deletes child rows whose capture_id has no row in `captures`. Returns how many went. */
  async cleanOrphans(): Promise<number> {
    if (this.active) throw new Error('cleanOrphans would delete the open capture\'s rows');
    let n = 0;
    for (const t of CAPTURE_CHILD_TABLES) {
      const r = await this.conn.run(
        `DELETE FROM ${t} WHERE NOT EXISTS (SELECT 1 FROM captures c WHERE c.capture_id = ${t}.capture_id)`,
      );
      n += r.rowsChanged;
    }
    return n;
  }

  /**
   * capture_id of the newest capture with this content hash, else null. Failed captures count
   * too: the same bytes fail the same way, and their kept rows must not be added twice.
   */
  async findCaptureByHash(sha256: string): Promise<number | null> {
    const reader = await this.conn.runAndReadAll(
      `SELECT capture_id FROM captures WHERE sha256 = $1
       ORDER BY capture_id DESC LIMIT 1`,
      [sha256],
    );
    const rows = reader.getRows();
    return rows.length === 0 ? null : Number(rows[0]![0]);
  }

  /** The capture that already holds a file with this content, alone or in a stream of files (the newest). */
  async findFileByHash(sha256: string): Promise<number | null> {
    const reader = await this.conn.runAndReadAll(
      `SELECT capture_id FROM capture_files WHERE sha256 = $1 AND NOT (status = 'failed' AND packets = 0)
       UNION ALL SELECT capture_id FROM captures WHERE sha256 = $1
       ORDER BY capture_id DESC LIMIT 1`,
      [sha256],
    );
    const rows = reader.getRows();
    return rows.length === 0 ? null : Number(rows[0]![0]);
  }

  /** Starts the capture's transaction and allocates its capture_id (max + 1). */
  async beginCapture(): Promise<number> {
    if (this.active) throw new Error(`capture ${this.active.captureId} is still open`);
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const reader = await this.conn.runAndReadAll('SELECT coalesce(max(capture_id), 0) + 1 FROM captures');
      const captureId = Number(reader.getRows()[0]![0]);
      this.active = { captureId, appender: null, rows: 0 };
      return captureId;
    } catch (e) {
      await this.conn.run('ROLLBACK');
      throw e;
    }
  }

  /** Appends the batch's rows [start, start + count) (default: all n) to `flows`; flow_id continues the capture's running index. */
  async appendFlows(captureId: number, batch: FlowBatch, from = 0, rows = batch.n - from): Promise<void> {
    const a = this.expect(captureId);
    if (rows <= 0) return;
    if (!a.appender) a.appender = await this.conn.createAppender('flows');
    const appender = a.appender;
    if (!this.flowChunk || !this.fillFlows) {
      const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
      this.flowChunk = DuckDBDataChunk.create(types);
      this.fillFlows = flowChunkFiller(types);
    }
    for (let start = from; start < from + rows; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, from + rows - start);
      this.fillFlows(this.flowChunk, batch, start, count, captureId, a.rows);
      appender.appendDataChunk(this.flowChunk);
      a.rows += count;
    }
  }

  /** Running index the next flow row of the open capture gets (its flow_id is (capture_id << 32) + index). */
  nextFlowIndex(captureId: number): number {
    return this.expect(captureId).rows;
  }

  /** Appends inspection rows (dns, tls, quic, http) inside the open capture's transaction. */
  async appendInspect(captureId: number, rows: InspectLines): Promise<void> {
    this.expect(captureId);
    await insertJsonLines(this.conn, 'dns', DNS_COLUMNS, rows.dns, EMPTY_LISTS);
    await insertJsonLines(this.conn, 'tls', TLS_COLUMNS, rows.tls, EMPTY_LISTS);
    await insertJsonLines(this.conn, 'quic', QUIC_COLUMNS, rows.quic, EMPTY_LISTS);
    await insertJsonLines(this.conn, 'http', HTTP_COLUMNS, rows.http, EMPTY_LISTS);
    await insertJsonLines(this.conn, 'bgp_messages', BGP_MESSAGE_COLUMNS, rows.bgp, EMPTY_LISTS);
  }

  /** Adds the certificates not yet in `certs` (deduplicated by SHA-256 across captures). */
  async appendCerts(captureId: number, certs: CertRec[]): Promise<number> {
    this.expect(captureId);
    if (certs.length === 0) return 0;
    const known = new Set<string>();
    for (let i = 0; i < certs.length; i += 1000) {
      const part = certs.slice(i, i + 1000).map((c) => lit(c.sha256)).join(',');
      const r = await this.conn.runAndReadAll(`SELECT sha256 FROM certs WHERE sha256 IN (${part})`);
      for (const row of r.getRows()) known.add(String(row[0]));
    }
    const fresh = certs.filter((c) => !known.has(c.sha256));
    await this.appendRows('certs', fresh.map((c) => certRow(c, captureId)));
    return fresh.length;
  }

  /**
   * Writes the capture's own rows, drops the rows of `opts.replaceId` (all tables)
   * and commits. On failure the transaction is rolled back and the error rethrown.
   */
  async finishCapture(
    captureId: number, rec: CaptureRecord, anomalies: AnomalyRecord[], l2: L2Record[],
    opts: { replaceId?: number | null },
  ): Promise<void> {
    const a = this.expect(captureId);
    try {
      if (a.appender) {
        a.appender.closeSync(); // flushes into this transaction
        a.appender = null;
      }
      if (a.checkpointed) await this.deleteCaptureRows(captureId);
      const replaceId = opts.replaceId ?? null;
      if (replaceId !== null) {
        for (const t of CAPTURE_TABLES) await this.conn.run(`DELETE FROM ${t} WHERE capture_id = $1`, [replaceId]);
      }
      await this.appendRows('captures', [captureRow(captureId, rec)]);
      await this.appendRows('capture_files', rec.files.map((f, i) => captureFileRow(captureId, i, f)));
      await this.appendRows('anomalies', anomalies.map((x) => [captureId, x.kind, BigInt(x.count), BigInt(x.firstOffset)]));
      await this.appendRows('l2', l2.map((x) => [captureId, x.ethertype, x.name, BigInt(x.packets), BigInt(x.bytes)]));
      await this.conn.run('COMMIT');
      this.active = null;
    } catch (e) {
      // A failed COMMIT has already ended the transaction; the original error is the one to report.
      await this.abortCapture().catch(() => {});
      throw e;
    }
  }

  /**
   * Live capture: commits what the open capture wrote so far, with its captures row as it
   * stands (status 'running') and its anomalies and l2 rows, then begins a new transaction
   * for the rest. The flows written stay; the next checkpoint and finishCapture replace the
   * capture's own rows. After a crash the DB holds the last checkpoint. Files never call
   * this: a file capture stays one transaction.
   */
  async checkpointCapture(captureId: number, rec: CaptureRecord, anomalies: AnomalyRecord[], l2: L2Record[]): Promise<void> {
    const a = this.expect(captureId);
    try {
      if (a.appender) {
        a.appender.closeSync();
        a.appender = null;
      }
      if (a.checkpointed) await this.deleteCaptureRows(captureId);
      await this.appendRows('captures', [captureRow(captureId, rec)]);
      await this.appendRows('capture_files', rec.files.map((f, i) => captureFileRow(captureId, i, f)));
      await this.appendRows('anomalies', anomalies.map((x) => [captureId, x.kind, BigInt(x.count), BigInt(x.firstOffset)]));
      await this.appendRows('l2', l2.map((x) => [captureId, x.ethertype, x.name, BigInt(x.packets), BigInt(x.bytes)]));
      await this.conn.run('COMMIT');
    } catch (e) {
      await this.abortCapture().catch(() => {});
      throw e;
    }
    a.checkpointed = true;
    try {
      await this.conn.run('BEGIN TRANSACTION');
    } catch (e) {
      this.active = null;
      throw e;
    }
  }

  /** The captures, anomalies and l2 rows of a capture (not its flows), inside the open transaction. */
  private async deleteCaptureRows(captureId: number): Promise<void> {
    for (const t of ['captures', 'capture_files', 'anomalies', 'l2']) await this.conn.run(`DELETE FROM ${t} WHERE capture_id = $1`, [captureId]);
  }

  /** Discards everything the open capture wrote. A no-op when none is open. */
  async abortCapture(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.active = null;
    if (a.appender) {
      a.appender.clear(); // drop buffered rows: closing must not flush them
      try { a.appender.closeSync(); } catch { /* nothing buffered; the transaction goes anyway */ }
    }
    await this.conn.run('ROLLBACK');
  }

  /** sFlow rows of the open capture (JSON lines with capture_id). */
  async appendSflow(captureId: number, flows: string[], counters: string[], agents: string[]): Promise<void> {
    this.expect(captureId);
    await insertJsonLines(this.conn, 'sflow_flows', SFLOW_FLOW_COLUMNS, flows);
    await insertJsonLines(this.conn, 'sflow_counters', SFLOW_COUNTER_COLUMNS, counters);
    await insertJsonLines(this.conn, 'sflow_agents', SFLOW_AGENT_COLUMNS, agents);
  }

  /** The open capture's ARP/ND bindings (written with its own rows). */
  async appendBindings(captureId: number, lines: string[]): Promise<void> {
    this.expect(captureId);
    await insertJsonLines(this.conn, 'l2_bindings', L2_BINDING_COLUMNS, lines);
  }

  /** Runs a statement (outside the capture transaction's bookkeeping: for context loading). */
  async run(sql: string, params?: DuckDBValue[]): Promise<number> {
    const r = await this.conn.run(sql, params);
    return r.rowsChanged;
  }

  /** Appends rows (DuckDB values, in column order) to a table. */
  async appendValues(table: string, rows: DuckDBValue[][]): Promise<void> {
    await this.appendRows(table, rows);
  }

  /** Inserts JSON-text rows (one object per line) into a table typed by `columns`. */
  async insertLines(table: string, columns: readonly (readonly [string, string])[], lines: string[]): Promise<void> {
    await insertJsonLines(this.conn, table, columns, lines);
  }

  /** Runs any SQL (several statements: the last one's result) and returns JSON-friendly rows. */
  async query(sql: string): Promise<QueryResult> {
    const reader = await this.conn.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRows().map((row) => row.map(toJsonValue));
    return { columns, rows };
  }

  /** COPY each table to dir/<table>.<parquet|csv> (CSV with a header); returns the paths written. */
  async exportAll(dir: string, format: 'parquet' | 'csv'): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const opts = format === 'parquet' ? '(FORMAT parquet)' : '(FORMAT csv, HEADER true)';
    const paths: string[] = [];
    for (const t of TABLES) {
      const path = join(dir, `${t}.${format}`);
      await this.conn.run(`COPY (SELECT * FROM ${t}) TO ${lit(path)} ${opts}`);
      paths.push(path);
    }
    return paths;
  }

  /** Closes the connection and the database; an open capture is rolled back by DuckDB. */
  close(): void {
    if (this.active?.appender) {
      this.active.appender.clear();
      try { this.active.appender.closeSync(); } catch { /* closing anyway */ }
    }
    this.active = null;
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private expect(captureId: number): ActiveCapture {
    const a = this.active;
    if (!a || a.captureId !== captureId) throw new Error(`capture ${captureId} is not the open capture`);
    return a;
  }

  /** Appends small row sets (capture metadata) as data chunks, inside the open transaction. */
  private async appendRows(table: string, rows: DuckDBValue[][]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await this.conn.createAppender(table);
    try {
      const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
      for (let at = 0; at < rows.length; at += CHUNK_ROWS) {
        const part = rows.slice(at, at + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(types, part.length);
        chunk.setRows(part);
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
    } catch (e) {
      appender.clear();
      try { appender.closeSync(); } catch { /* already failing */ }
      throw e;
    }
  }
}

/** A `capture_files` row, in table column order. */
function captureFileRow(captureId: number, index: number, f: CaptureFileRecord): DuckDBValue[] {
  return [
    captureId, index, f.path, BigInt(f.size), f.sha256, f.format, new DuckDBListValue(f.linktypes), f.snaplen,
    BigInt(f.streamOffset), BigInt(f.packets), BigInt(f.bytes), tsOrNull(f.firstSec, f.firstNs), tsOrNull(f.lastSec, f.lastNs),
    f.status, f.error, bigOrNull(f.errorOffset),
  ];
}

/** The `captures` row, in table column order. */
function captureRow(captureId: number, r: CaptureRecord): DuckDBValue[] {
  return [
    captureId, r.path, BigInt(r.size), r.sha256, r.format, new DuckDBListValue(r.linktypes),
    BigInt(r.packets), BigInt(r.bytes), tsOrNull(r.firstSec, r.firstNs), tsOrNull(r.lastSec, r.lastNs),
    r.snaplen, r.status, r.error, bigOrNull(r.errorOffset),
    bigOrNull(r.isb.ifRecv), bigOrNull(r.isb.ifDrop), bigOrNull(r.isb.filterAccept), bigOrNull(r.isb.osDrop),
    bigOrNull(r.isb.usrDeliv), BigInt(r.flows), new DuckDBTimestampValue(BigInt(Date.now()) * 1000n), r.toolVersion,
  ];
}
