/**
 * The main thread's half of inspection. Row text comes in with its range, keyed by the tag of
 * the flow part it was read in; parts the merge joins bring their rows together; when a flow's
 * row is written, its rows get its flow_id and become JSON lines for the sink. DNS messages are
 * paired into transactions at that point, over every part of the flow. Nothing here builds an
 * object per value: the worker made the text (src/inspect/row-json.ts).
 */
import type { FlowBatch } from '../flow/batch.js';
import type { CertRec } from '../inspect/records.js';
import { NO_CLIENT, NO_RESPONSE, NO_SERVER, nsText, type BgpRow, type DnsRow, type HttpRow, type InspectRows, type QuicRow, type TlsRow } from '../inspect/row-json.js';
import { pairDns } from './dns-pairing.js';

type Row = TlsRow | QuicRow | DnsRow | HttpRow | BgpRow;
const enum K { Tls, Quic, Dns, Http, Bgp }
interface Entry { kinds: K[]; rows: Row[] }

/** JSON lines per table, ready for the sink. */
export interface InspectLines { dns: string[]; tls: string[]; quic: string[]; http: string[]; bgp: string[] }

const TWO32 = 4294967296;

export class InspectCollector {
  private readonly pending = new Map<number, Entry>();
  /** Certificates seen in this capture, by SHA-256. */
  readonly certs = new Map<string, CertRec>();
  /** [count, firstOffset] by anomaly kind. */
  readonly anomalies = new Map<string, [number, number]>();
  lines: InspectLines = { dns: [], tls: [], quic: [], http: [], bgp: [] };
  /** Rows written, by table. */
  readonly written = { dns: 0, tls: 0, quic: 0, http: 0, bgp: 0 };

  get rowCount(): number {
    return this.lines.dns.length + this.lines.tls.length + this.lines.quic.length + this.lines.http.length + this.lines.bgp.length;
  }

  add(out: InspectRows): void {
    for (const r of out.tls) this.put(r.tag, K.Tls, r);
    for (const r of out.quic) this.put(r.tag, K.Quic, r);
    for (const r of out.dns) this.put(r.tag, K.Dns, r);
    for (const r of out.http) this.put(r.tag, K.Http, r);
    for (const r of out.bgp) this.put(r.tag, K.Bgp, r);
    for (const c of out.certs) if (!this.certs.has(c.sha256)) this.certs.set(c.sha256, c);
    for (const [kind, count, first] of out.anomalies) {
      const e = this.anomalies.get(kind);
      if (e === undefined) this.anomalies.set(kind, [count, first]);
      else { e[0] += count; if (first >= 0 && (e[1] < 0 || first < e[1])) e[1] = first; }
    }
  }

  private put(tag: number, kind: K, row: Row): void {
    const e = this.pending.get(tag);
    if (e === undefined) this.pending.set(tag, { kinds: [kind], rows: [row] });
    else { e.kinds.push(kind); e.rows.push(row); }
  }

  /** A later part joined an earlier one: its rows are the earlier part's now (turned around when its roles were the other way). */
  join(root: number, part: number, flipped = false): void {
    const p = this.pending.get(part);
    if (p === undefined) return;
    if (flipped) turn(p);
    this.pending.delete(part);
    const r = this.pending.get(root);
    if (r === undefined) { this.pending.set(root, p); return; }
    for (let i = 0; i < p.rows.length; i++) { r.kinds.push(p.kinds[i]); r.rows.push(p.rows[i]); }
  }

  /** The stored part's roles were turned around: so are the directions of its rows. */
  flip(root: number): void {
    const e = this.pending.get(root);
    if (e !== undefined) turn(e);
  }

  /** The batch's rows are flow_id (captureId << 32) + firstIndex + row: their records become lines. */
  flowsWritten(batch: FlowBatch, captureId: number, firstIndex: number, from = 0, rows = batch.n - from): void {
    if (this.pending.size === 0) return;
    const tags = batch.cols.tag;
    for (let r = from; r < from + rows; r++) {
      const e = this.pending.get(tags[r]);
      if (e === undefined) continue;
      this.pending.delete(tags[r]);
      const prefix = `{"flow_id":${captureId * TWO32 + firstIndex + r - from},"capture_id":${captureId},`;
      this.entryLines(prefix, e);
    }
  }

  private entryLines(prefix: string, e: Entry): void {
    let tls: TlsRow[] | null = null, quic: QuicRow[] | null = null, dns: DnsRow[] | null = null;
    for (let i = 0; i < e.rows.length; i++) {
      switch (e.kinds[i]) {
        case K.Tls: (tls ??= []).push(e.rows[i] as TlsRow); break;
        case K.Quic: (quic ??= []).push(e.rows[i] as QuicRow); break;
        case K.Dns: (dns ??= []).push(e.rows[i] as DnsRow); break;
        case K.Http: this.lines.http.push(prefix + (e.rows[i] as HttpRow).json + '}'); this.written.http++; break;
        case K.Bgp: {
          const b = e.rows[i] as BgpRow;
          this.lines.bgp.push(`${prefix}"from_orig":${b.fromOrig},${b.json}}`);
          this.written.bgp++;
          break;
        }
      }
    }
    // TLS and QUIC: one row per flow; parts of a flow cut by range boundaries complete each other.
    if (tls !== null) { this.lines.tls.push(prefix + tlsLine(tls) + '}'); this.written.tls++; }
    if (quic !== null) { this.lines.quic.push(prefix + quicLine(quic) + '}'); this.written.quic++; }
    if (dns !== null) {
      for (const t of pairDns(dns)) {
        const q = t.query, s = t.response;
        const m = (q ?? s)!;
        const rtt = q !== null && s !== null ? ((s.sec - t.lastQuerySec) * 1e9 + (s.ns - t.lastQueryNs)) / 1000 : null;
        const rts = s !== null ? nsText(s.sec, s.ns) : null;
        this.lines.dns.push(`${prefix}"ts":"${nsText(m.sec, m.ns)}",${m.common},"flags":${s !== null ? s.flags : m.flags},` +
          `"answered":${s !== null},"response_ts":${rts === null ? 'null' : `"${rts}"`},"rtt_us":${rtt},"queries":${t.queries},` +
          `"truncated":${(q?.truncated ?? false) || (s?.truncated ?? false)},${s?.resp ?? NO_RESPONSE}}`);
        this.written.dns++;
      }
    }
  }

  /** Takes the lines made so far (for the sink to insert). */
  takeLines(): InspectLines {
    const r = this.lines;
    this.lines = { dns: [], tls: [], quic: [], http: [], bgp: [] };
    return r;
  }

  /** Rows whose flow never came (none expected): counted, then dropped. */
  orphans(): number {
    const n = this.pending.size;
    this.pending.clear();
    return n;
  }
}

function tlsLine(list: TlsRow[]): string {
  const base = list.find((t) => t.client !== null) ?? list[0];
  const server = base.server ?? list.find((t) => t.server !== null)?.server ?? null;
  const chain = base.certChain.length > 0 ? base.certChain : list.find((t) => t.certChain.length > 0)?.certChain ?? [];
  const alert = base.alert >= 0 ? base.alert : list.find((t) => t.alert >= 0)?.alert ?? -1;
  return `${base.head},"client_is_orig":${base.clientIsOrig},${base.client ?? NO_CLIENT},${server ?? NO_SERVER},"cert_chain":${JSON.stringify(chain)},"alert":${alert >= 0 ? alert : null}`;
}

function quicLine(list: QuicRow[]): string {
  const base = list.find((q) => q.client !== null) ?? list[0];
  const server = base.server ?? list.find((q) => q.server !== null)?.server ?? null;
  let cp = 0, sp = 0, retry = false;
  for (const q of list) { cp += q.clientPackets; sp += q.serverPackets; retry ||= q.retry; }
  return `${base.head},${base.client ?? NO_CLIENT},${server ?? NO_SERVER},"client_initials":${cp},"server_initials":${sp},"retry":${retry}`;
}

/** Turns the directions of an entry's rows around (the flow's originator is the other side). */
function turn(e: Entry): void {
  for (let i = 0; i < e.rows.length; i++) {
    const k = e.kinds[i];
    if (k === K.Bgp) { const b = e.rows[i] as BgpRow; b.fromOrig = !b.fromOrig; }
    else if (k === K.Tls) { const t = e.rows[i] as TlsRow; t.clientIsOrig = !t.clientIsOrig; }
  }
}
