/**
 * Inspection records as JSON text, made in the worker as soon as a record is complete (so the
 * record objects die young): the members of each table row except
 * flow_id and capture_id, which only the writer knows, each member with its comma in front and
 * null or empty members left out (src/inspect/json-text.ts). The writer puts the two in front and
 * hands the lines to DuckDB's JSON reader (src/sink/json-insert.ts), so the main thread only joins
 * text. A TLS or QUIC row is kept in parts (client hello, server hello) so that the parts of a
 * flow read in different ranges can complete each other; a DNS message keeps what pairing needs.
 * Timestamps are decimal strings of epoch nanoseconds (a double cannot hold them exactly).
 */
import { dnsRcodeName, dnsTypeName } from './dns.js';
import { tlsVersionName } from './tls.js';
import { JsonText } from './json-text.js';
import type { CertRec, DnsAnswer, DnsMsgRec, HttpRec, QuicRec, TlsHelloFields, TlsRec, TlsServerFields } from './records.js';

/** The rows the main thread's collector holds (src/pipeline/inspect-collector.ts), made from the packed form below. */
export interface TlsRow { tag: number; head: string; clientIsOrig: boolean; client: string | null; server: string | null; certChain: string | null; alert: number }
export interface QuicRow { tag: number; head: string; client: string | null; server: string | null; clientPackets: number; serverPackets: number; retry: boolean }
export interface DnsRow {
  tag: number; sec: number; ns: number; response: boolean; id: number; qname: string | null; qtype: number;
  /** transport .. opcode */
  common: string;
  flags: number;
  truncated: boolean;
  /** rcode .. svcb_ech, for a response. */
  resp: string | null;
}
export interface HttpRow { tag: number; json: string }
/** A BGP message row: `from_orig` is kept apart, since joining range parts may turn it around. */
export interface BgpRow { tag: number; json: string; fromOrig: boolean }

/**
 * A table's rows as they travel from a worker: the values of each row one after the other in one
 * flat array, STRIDE values a row, in the field order of the row types above (certChain as JSON
 * text, or null when empty). The pack* functions below write that layout and the unpack* ones
 * read it; nothing else knows it. Cloning a flat array of strings and numbers between threads costs a
 * fraction of cloning an object per row, and the worker makes no object per row.
 */
export type PackedRows = (string | number | boolean | null)[];
export const TLS_STRIDE = 7;
export const QUIC_STRIDE = 7;
export const DNS_STRIDE = 11;
export const HTTP_STRIDE = 2;
export const BGP_STRIDE = 3;

export interface InspectRows {
  tls: PackedRows;
  quic: PackedRows;
  dns: PackedRows;
  http: PackedRows;
  certs: CertRec[];
  bgp: PackedRows;
  anomalies: [string, number, number][];
}

/** The writer of every row text in this thread (rows are made one at a time). */
const J = new JsonText();

function clientJson(c: TlsHelloFields | null): string | null {
  if (c === null) return null;
  return J.begin().mStr(',"sni":', c.sni).mStrs(',"alpn":', c.alpn)
    .mStr(',"client_version":', c.maxVersion >= 0 ? tlsVersionName(c.maxVersion) : null)
    .mNums(',"supported_versions":', c.supportedVersions).mNums(',"cipher_suites":', c.cipherSuites)
    .mNums(',"extensions":', c.extensions).mNums(',"groups":', c.groups).mNums(',"sig_algs":', c.sigAlgs)
    .mBool(',"ech":', c.ech).mNat(',"session_id_len":', c.sessionIdLength)
    .mStr(',"ja3":', c.ja3Hash).mStr(',"ja3_full":', c.ja3).mStr(',"ja4":', c.ja4).mStr(',"ja4_r":', c.ja4r)
    .mBool(',"hello_truncated":', c.truncated).end();
}

function serverJson(s: TlsServerFields | null): string | null {
  if (s === null) return null;
  return J.begin().mStr(',"version":', s.version >= 0 ? tlsVersionName(s.version) : null)
    .mNat(',"server_cipher":', s.cipher).mStr(',"server_alpn":', s.alpn).mStr(',"ja3s":', s.ja3s).end();
}

function quicVersionName(v: number): string {
  if (v === 1) return 'v1';
  if (v === 0x6b3343cf) return 'v2';
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** Packs a TLS record's row into `out` (TLS_STRIDE values). */
export function packTlsRow(out: PackedRows, t: TlsRec): void {
  out.push(t.tag, J.begin().mTime(',"ts":', t.sec, t.ns).end(), t.clientIsOrig, clientJson(t.client), serverJson(t.server),
    t.certChain.length > 0 ? JSON.stringify(t.certChain) : null, t.alert);
}

export function packQuicRow(out: PackedRows, q: QuicRec): void {
  out.push(q.tag,
    J.begin().mTime(',"ts":', q.sec, q.ns).mStr(',"quic_version":', quicVersionName(q.version))
      .mStr(',"dcid":', q.dcid).mStr(',"scid":', q.scid).mStr(',"server_scid":', q.serverScid).end(),
    clientJson(q.client), serverJson(q.server), q.clientPackets, q.serverPackets, q.retry);
}

/** A DNS row's response members (rcode .. svcb_ech). */
function responseJson(rcode: string | null, answers: readonly DnsAnswer[], addrs: readonly string[],
  svcbAlpn: readonly string[], svcbEch: boolean): string {
  let minTtl: number | null = null;
  for (const a of answers) if (minTtl === null || a.ttl < minTtl) minTtl = a.ttl;
  J.begin().mStr(',"rcode":', rcode);
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i];
    J.raw(i === 0 ? ',"answers":[{"name":' : ',{"name":').str(a.name).raw(',"type":').str(dnsTypeName(a.type)).raw(',"ttl":').num(a.ttl >>> 0)
      .raw(',"data":').str(a.data).raw('}');
  }
  if (answers.length > 0) J.raw(']');
  return J.mStrs(',"answer_addrs":', addrs).mNum(',"min_ttl":', minTtl).mStrs(',"svcb_alpn":', svcbAlpn)
    .mBool(',"svcb_ech":', svcbEch).end();
}

export function packDnsRow(out: PackedRows, m: DnsMsgRec): void {
  const resp = m.response ? responseJson(dnsRcodeName(m.rcode), m.answers, m.addrs, m.svcbAlpn, m.svcbEch) : null;
  const common = J.begin().mStr(',"transport":', m.transport).mStr(',"flavor":', m.flavor).mNum(',"id":', m.id)
    .mStr(',"query_name":', m.qname).mStr(',"query_type":', m.qtype >= 0 ? dnsTypeName(m.qtype) : null)
    .mNum(',"opcode":', m.opcode).end();
  out.push(m.tag, m.sec, m.ns, m.response, m.id, m.qname, m.qtype, common, m.flags, m.truncated, resp);
}

/**
 * What a row without that part says, written by the part's own writer from a part that knows
 * nothing: its members that are not null or [] (JsonText leaves those out), such as false flags.
 */
export const NO_CLIENT = clientJson({
  legacyVersion: -1, maxVersion: -1, supportedVersions: [], sni: null, alpn: [], cipherSuites: [], extensions: [],
  groups: [], sigAlgs: [], ech: false, sessionIdLength: -1, ja3: null, ja3Hash: null, ja4: null, ja4r: null, truncated: false,
})!;
export const NO_SERVER = serverJson({ version: -1, cipher: -1, alpn: null, ja3s: null })!;
export const NO_RESPONSE = responseJson(null, [], [], [], false);

export function packHttpRow(out: PackedRows, h: HttpRec): void {
  out.push(h.tag,
    J.begin().mTime(',"ts":', h.sec, h.ns).mStr(',"method":', h.method).mStr(',"host":', h.host)
      .mNat(',"port":', h.port).mStr(',"path":', h.path).mStr(',"user_agent":', h.userAgent)
      .mStr(',"version":', h.version).mNat(',"status":', h.status)
      .mStr(',"content_type":', h.contentType).mStr(',"server":', h.server)
      .mTime(',"response_ts":', h.respSec, h.respNs).end());
}

/** Packs a BGP message row (BGP_STRIDE values; src/inspect/bgp-session.ts makes its text). */
export function packBgpRow(out: PackedRows, tag: number, json: string, fromOrig: boolean): void {
  out.push(tag, json, fromOrig);
}

// The main thread's side: the row at out[k] of each packed table, as the collector holds it.

export function unpackTlsRow(t: PackedRows, k: number): TlsRow {
  return {
    tag: t[k] as number, head: t[k + 1] as string, clientIsOrig: t[k + 2] as boolean, client: t[k + 3] as string | null,
    server: t[k + 4] as string | null, certChain: t[k + 5] as string | null, alert: t[k + 6] as number,
  };
}

export function unpackQuicRow(q: PackedRows, k: number): QuicRow {
  return {
    tag: q[k] as number, head: q[k + 1] as string, client: q[k + 2] as string | null, server: q[k + 3] as string | null,
    clientPackets: q[k + 4] as number, serverPackets: q[k + 5] as number, retry: q[k + 6] as boolean,
  };
}

export function unpackDnsRow(d: PackedRows, k: number): DnsRow {
  return {
    tag: d[k] as number, sec: d[k + 1] as number, ns: d[k + 2] as number, response: d[k + 3] as boolean, id: d[k + 4] as number,
    qname: d[k + 5] as string | null, qtype: d[k + 6] as number, common: d[k + 7] as string, flags: d[k + 8] as number,
    truncated: d[k + 9] as boolean, resp: d[k + 10] as string | null,
  };
}

export function unpackHttpRow(h: PackedRows, k: number): HttpRow {
  return { tag: h[k] as number, json: h[k + 1] as string };
}

export function unpackBgpRow(g: PackedRows, k: number): BgpRow {
  return { tag: g[k] as number, json: g[k + 1] as string, fromOrig: g[k + 2] as boolean };
}

export function emptyInspectRows(): InspectRows {
  return { tls: [], quic: [], dns: [], http: [], certs: [], bgp: [], anomalies: [] };
}
