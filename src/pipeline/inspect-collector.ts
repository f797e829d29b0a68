/**
 * The main thread's half of inspection. Records come in with their range (keyed by the tag of
 * the flow part they were read in); parts the merge joins bring their records together; when a
 * flow's row is written, its records are given its flow_id and become table rows. DNS messages
 * are paired into transactions at that point, over every part of the flow.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { FlowBatch } from '../flow/batch.js';
import type { CertRec, DnsMsgRec, HttpRec, InspectOutput, QuicRec, TlsRec } from '../inspect/records.js';
import { pairDns } from './dns-pairing.js';
import { dnsRow, httpRow, quicRow, tlsRow } from '../sink/inspect-rows.js';

interface FlowRecords { tls: TlsRec[]; quic: QuicRec[]; dns: DnsMsgRec[]; http: HttpRec[] }

export interface InspectRows {
  dns: DuckDBValue[][];
  tls: DuckDBValue[][];
  quic: DuckDBValue[][];
  http: DuckDBValue[][];
}

const TWO32 = 4294967296;

export class InspectCollector {
  private readonly pending = new Map<number, FlowRecords>();
  /** Certificates seen in this capture, by SHA-256. */
  readonly certs = new Map<string, CertRec>();
  /** [count, firstOffset] by anomaly kind. */
  readonly anomalies = new Map<string, [number, number]>();
  rows: InspectRows = { dns: [], tls: [], quic: [], http: [] };
  /** Records written, by table. */
  readonly written = { dns: 0, tls: 0, quic: 0, http: 0 };

  get rowCount(): number {
    return this.rows.dns.length + this.rows.tls.length + this.rows.quic.length + this.rows.http.length;
  }

  add(out: InspectOutput): void {
    for (const r of out.tls) this.entry(r.tag).tls.push(r);
    for (const r of out.quic) this.entry(r.tag).quic.push(r);
    for (const r of out.dns) this.entry(r.tag).dns.push(r);
    for (const r of out.http) this.entry(r.tag).http.push(r);
    for (const c of out.certs) if (!this.certs.has(c.sha256)) this.certs.set(c.sha256, c);
    for (const [kind, count, first] of out.anomalies) {
      const e = this.anomalies.get(kind);
      if (e === undefined) this.anomalies.set(kind, [count, first]);
      else { e[0] += count; if (first >= 0 && (e[1] < 0 || first < e[1])) e[1] = first; }
    }
  }

  private entry(tag: number): FlowRecords {
    let e = this.pending.get(tag);
    if (e === undefined) { e = { tls: [], quic: [], dns: [], http: [] }; this.pending.set(tag, e); }
    return e;
  }

  /** A later part joined an earlier one: its records are the earlier part's now. */
  join(root: number, part: number): void {
    const p = this.pending.get(part);
    if (p === undefined) return;
    this.pending.delete(part);
    const r = this.pending.get(root);
    if (r === undefined) { this.pending.set(root, p); return; }
    r.tls.push(...p.tls); r.quic.push(...p.quic); r.dns.push(...p.dns); r.http.push(...p.http);
  }

  /** The batch's rows are flow_id (captureId << 32) + firstIndex + row: their records become rows. */
  flowsWritten(batch: FlowBatch, captureId: number, firstIndex: number): void {
    if (this.pending.size === 0) return;
    const tags = batch.cols.tag;
    for (let r = 0; r < batch.n; r++) {
      const e = this.pending.get(tags[r]);
      if (e === undefined) continue;
      this.pending.delete(tags[r]);
      const flowId = captureId * TWO32 + firstIndex + r;
      const rows = this.rows;
      // TLS and QUIC: one row per flow; the parts of a flow cut by range boundaries complete each other.
      if (e.tls.length > 0) { rows.tls.push(tlsRow(flowId, captureId, mergeTls(e.tls))); this.written.tls++; }
      if (e.quic.length > 0) { rows.quic.push(quicRow(flowId, captureId, mergeQuic(e.quic))); this.written.quic++; }
      for (const h of e.http) { rows.http.push(httpRow(flowId, captureId, h)); this.written.http++; }
      if (e.dns.length > 0) for (const t of pairDns(e.dns)) { rows.dns.push(dnsRow(flowId, captureId, t)); this.written.dns++; }
    }
  }

  /** Takes the rows made so far (for the sink to append). */
  takeRows(): InspectRows {
    const r = this.rows;
    this.rows = { dns: [], tls: [], quic: [], http: [] };
    return r;
  }

  /** Records whose flow never came (none expected): counted, then dropped. */
  orphans(): number {
    const n = this.pending.size;
    this.pending.clear();
    return n;
  }
}

function mergeTls(list: TlsRec[]): TlsRec {
  if (list.length === 1) return list[0];
  const withClient = list.find((t) => t.client !== null);
  const out: TlsRec = { ...(withClient ?? list[0]) };
  if (out.server === null) out.server = list.find((t) => t.server !== null)?.server ?? null;
  if (out.certChain.length === 0) out.certChain = list.find((t) => t.certChain.length > 0)?.certChain ?? [];
  if (out.alert < 0) out.alert = list.find((t) => t.alert >= 0)?.alert ?? -1;
  return out;
}

function mergeQuic(list: QuicRec[]): QuicRec {
  if (list.length === 1) return list[0];
  const base = list.find((q) => q.client !== null) ?? list[0];
  const out: QuicRec = { ...base };
  if (out.server === null) out.server = list.find((q) => q.server !== null)?.server ?? null;
  for (const q of list) if (q !== base) { out.clientPackets += q.clientPackets; out.serverPackets += q.serverPackets; out.retry ||= q.retry; }
  return out;
}
