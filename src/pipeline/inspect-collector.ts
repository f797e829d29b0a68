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

/** The rows of one flow part, by table (null: none), each list in arrival order. */
interface Entry {
  tls: TlsRow[] | null;
  quic: QuicRow[] | null;
  dns: DnsRow[] | null;
  http: HttpRow[] | null;
  bgp: BgpRow[] | null;
}

/** JSON lines per table, ready for the sink. */
export interface InspectLines { dns: string[]; tls: string[]; quic: string[]; http: string[]; bgp: string[] }

const TWO32 = 4294967296;

/** Appends `b` to `a` (either may be null). */
function concat<T>(a: T[] | null, b: T[] | null): T[] | null {
  if (b === null) return a;
  if (a === null) return b;
  for (let i = 0; i < b.length; i++) a.push(b[i]);
  return a;
}

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
    // One loop per table: each call site sees one row shape.
    for (const r of out.tls) (this.entry(r.tag).tls ??= []).push(r);
    for (const r of out.quic) (this.entry(r.tag).quic ??= []).push(r);
    for (const r of out.dns) (this.entry(r.tag).dns ??= []).push(r);
    for (const r of out.http) (this.entry(r.tag).http ??= []).push(r);
    for (const r of out.bgp) (this.entry(r.tag).bgp ??= []).push(r);
    for (const c of out.certs) if (!this.certs.has(c.sha256)) this.certs.set(c.sha256, c);
    for (const [kind, count, first] of out.anomalies) {
      const e = this.anomalies.get(kind);
      if (e === undefined) this.anomalies.set(kind, [count, first]);
      else { e[0] += count; if (first >= 0 && (e[1] < 0 || first < e[1])) e[1] = first; }
    }
  }

  private entry(tag: number): Entry {
    let e = this.pending.get(tag);
    if (e === undefined) {
      e = { tls: null, quic: null, dns: null, http: null, bgp: null };
      this.pending.set(tag, e);
    }
    return e;
  }

  /** A later part joined an earlier one: its rows are the earlier part's now (turned around when its roles were the other way). */
  join(root: number, part: number, flipped = false): void {
    const p = this.pending.get(part);
    if (p === undefined) return;
    if (flipped) turn(p);
    this.pending.delete(part);
    const r = this.pending.get(root);
    if (r === undefined) { this.pending.set(root, p); return; }
    r.tls = concat(r.tls, p.tls); r.quic = concat(r.quic, p.quic); r.dns = concat(r.dns, p.dns);
    r.http = concat(r.http, p.http); r.bgp = concat(r.bgp, p.bgp);
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
    if (e.http !== null) this.httpLines(prefix, e.http);
    if (e.bgp !== null) this.bgpLines(prefix, e.bgp);
    // TLS and QUIC: one row per flow; parts of a flow cut by range boundaries complete each other.
    if (e.tls !== null) { this.lines.tls.push(prefix + tlsLine(e.tls) + '}'); this.written.tls++; }
    if (e.quic !== null) { this.lines.quic.push(prefix + quicLine(e.quic) + '}'); this.written.quic++; }
    if (e.dns !== null) this.dnsLines(prefix, e.dns);
  }

  private httpLines(prefix: string, rows: HttpRow[]): void {
    for (let i = 0; i < rows.length; i++) this.lines.http.push(prefix + rows[i].json + '}');
    this.written.http += rows.length;
  }

  private bgpLines(prefix: string, rows: BgpRow[]): void {
    for (let i = 0; i < rows.length; i++) this.lines.bgp.push(`${prefix}"from_orig":${rows[i].fromOrig},${rows[i].json}}`);
    this.written.bgp += rows.length;
  }

  private dnsLines(prefix: string, rows: DnsRow[]): void {
    for (const t of pairDns(rows)) {
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
  if (e.bgp !== null) for (const b of e.bgp) b.fromOrig = !b.fromOrig;
  if (e.tls !== null) for (const t of e.tls) t.clientIsOrig = !t.clientIsOrig;
}
