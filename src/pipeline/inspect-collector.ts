/**
 * The main thread's half of inspection. Row text comes in with its range, keyed by the tag of
 * the flow part it was read in; parts the merge joins bring their rows together; when a flow's
 * row is written, its rows get its flow_id and become JSON lines for the sink, written as bytes
 * (src/sink/ndjson-buffer.ts). DNS messages are paired into transactions at that point, over every
 * part of the flow. Nothing here builds an object per value: the worker made the text
 * (src/inspect/row-json.ts), as members that each start with their comma.
 */
import type { FlowBatch } from '../flow/batch.js';
import type { CertRec } from '../inspect/records.js';
import {
  BGP_STRIDE, DNS_STRIDE, HTTP_STRIDE, NO_CLIENT, NO_RESPONSE, NO_SERVER, QUIC_STRIDE, TLS_STRIDE,
  unpackBgpRow, unpackDnsRow, unpackHttpRow, unpackQuicRow, unpackTlsRow,
  type BgpRow, type DnsRow, type HttpRow, type InspectRows, type QuicRow, type TlsRow,
} from '../inspect/row-json.js';
import { pairDns } from './dns-pairing.js';
import { NdjsonBuffer } from '../sink/ndjson-buffer.js';

/** The rows of one flow part, by table (null: none), each list in arrival order. */
interface Entry {
  tls: TlsRow[] | null;
  quic: QuicRow[] | null;
  dns: DnsRow[] | null;
  http: HttpRow[] | null;
  bgp: BgpRow[] | null;
}

/** JSON lines per table, ready for the sink. */
export interface InspectLines { dns: NdjsonBuffer; tls: NdjsonBuffer; quic: NdjsonBuffer; http: NdjsonBuffer; bgp: NdjsonBuffer }

function noLines(): InspectLines {
  return { dns: new NdjsonBuffer(), tls: new NdjsonBuffer(), quic: new NdjsonBuffer(), http: new NdjsonBuffer(), bgp: new NdjsonBuffer() };
}

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
  lines: InspectLines = noLines();
  /** Rows written, by table. */
  readonly written = { dns: 0, tls: 0, quic: 0, http: 0, bgp: 0 };

  get rowCount(): number {
    return this.lines.dns.rows + this.lines.tls.rows + this.lines.quic.rows + this.lines.http.rows + this.lines.bgp.rows;
  }

  add(out: InspectRows): void {
    // The packed rows (src/inspect/row-json.ts) become row objects here, one loop per table.
    const t = out.tls, q = out.quic, d = out.dns, h = out.http, g = out.bgp;
    for (let k = 0; k < t.length; k += TLS_STRIDE) { const r = unpackTlsRow(t, k); (this.entry(r.tag).tls ??= []).push(r); }
    for (let k = 0; k < q.length; k += QUIC_STRIDE) { const r = unpackQuicRow(q, k); (this.entry(r.tag).quic ??= []).push(r); }
    for (let k = 0; k < d.length; k += DNS_STRIDE) { const r = unpackDnsRow(d, k); (this.entry(r.tag).dns ??= []).push(r); }
    for (let k = 0; k < h.length; k += HTTP_STRIDE) { const r = unpackHttpRow(h, k); (this.entry(r.tag).http ??= []).push(r); }
    for (let k = 0; k < g.length; k += BGP_STRIDE) { const r = unpackBgpRow(g, k); (this.entry(r.tag).bgp ??= []).push(r); }
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
      this.entryLines(captureId * TWO32 + firstIndex + r - from, captureId, e);
    }
  }

  private entryLines(flowId: number, captureId: number, e: Entry): void {
    const L = this.lines;
    if (e.http !== null) {
      for (const row of e.http) start(L.http, flowId, captureId).text(row.json).text('}').endRow();
      this.written.http += e.http.length;
    }
    if (e.bgp !== null) {
      for (const row of e.bgp) start(L.bgp, flowId, captureId).text(row.fromOrig ? ',"from_orig":true' : ',"from_orig":false').text(row.json).text('}').endRow();
      this.written.bgp += e.bgp.length;
    }
    // TLS and QUIC: one row per flow; parts of a flow cut by range boundaries complete each other.
    if (e.tls !== null) { tlsLine(start(L.tls, flowId, captureId), e.tls); this.written.tls++; }
    if (e.quic !== null) { quicLine(start(L.quic, flowId, captureId), e.quic); this.written.quic++; }
    if (e.dns !== null) this.dnsLines(flowId, captureId, e.dns);
  }

  private dnsLines(flowId: number, captureId: number, rows: DnsRow[]): void {
    for (const t of pairDns(rows)) {
      const q = t.query, s = t.response;
      const m = (q ?? s)!;
      const b = start(this.lines.dns, flowId, captureId).mTime(',"ts":', m.sec, m.ns);
      b.text(m.common).text(',"flags":').int(s !== null ? s.flags : m.flags).text(s !== null ? ',"answered":true' : ',"answered":false');
      if (s !== null) {
        b.mTime(',"response_ts":', s.sec, s.ns);
        if (q !== null) b.text(',"rtt_us":').text(String(((s.sec - t.lastQuerySec) * 1e9 + (s.ns - t.lastQueryNs)) / 1000));
      }
      b.text(',"queries":').int(t.queries)
        .text((q?.truncated ?? false) || (s?.truncated ?? false) ? ',"truncated":true' : ',"truncated":false')
        .text(s?.resp ?? NO_RESPONSE).text('}').endRow();
      this.written.dns++;
    }
  }

  /** Takes the lines made so far (for the sink to insert). */
  takeLines(): InspectLines {
    const r = this.lines;
    this.lines = noLines();
    return r;
  }

  /** Rows whose flow never came (none expected): counted, then dropped. */
  orphans(): number {
    const n = this.pending.size;
    this.pending.clear();
    return n;
  }
}

/** Starts a row: `{"flow_id":..,"capture_id":..`; the members that follow bring their commas. */
function start(b: NdjsonBuffer, flowId: number, captureId: number): NdjsonBuffer {
  return b.text('{"flow_id":').int(flowId).text(',"capture_id":').int(captureId);
}

function tlsLine(b: NdjsonBuffer, list: TlsRow[]): void {
  // The part with the client's hello is the row; what it lacks comes from the first part that has it.
  let base = list[0];
  for (const t of list) if (t.client !== null) { base = t; break; }
  let server = base.server, chain = base.certChain, alert = base.alert;
  for (const t of list) {
    if (server === null) server = t.server;
    if (chain === null) chain = t.certChain;
    if (alert < 0) alert = t.alert;
  }
  b.text(base.head).text(base.clientIsOrig ? ',"client_is_orig":true' : ',"client_is_orig":false')
    .text(base.client ?? NO_CLIENT).text(server ?? NO_SERVER);
  if (chain !== null) b.text(',"cert_chain":').text(chain);
  if (alert >= 0) b.text(',"alert":').int(alert);
  b.text('}').endRow();
}

function quicLine(b: NdjsonBuffer, list: QuicRow[]): void {
  let base = list[0];
  for (const q of list) if (q.client !== null) { base = q; break; }
  let server = base.server;
  let cp = 0, sp = 0, retry = false;
  for (const q of list) { if (server === null) server = q.server; cp += q.clientPackets; sp += q.serverPackets; retry ||= q.retry; }
  b.text(base.head).text(base.client ?? NO_CLIENT).text(server ?? NO_SERVER)
    .text(',"client_initials":').int(cp).text(',"server_initials":').int(sp).text(retry ? ',"retry":true}' : ',"retry":false}').endRow();
}

/** Turns the directions of an entry's rows around (the flow's originator is the other side). */
function turn(e: Entry): void {
  if (e.bgp !== null) for (const b of e.bgp) b.fromOrig = !b.fromOrig;
  if (e.tls !== null) for (const t of e.tls) t.clientIsOrig = !t.clientIsOrig;
}
