/**
 * Inspection records as JSON text, made in the worker as soon as a record is complete (so the
 * record objects die young): the members of each table row except
 * flow_id and capture_id, which only the writer knows. The writer puts the two in front and hands
 * the lines to DuckDB's JSON reader (src/sink/json-insert.ts), so the main thread only joins
 * strings. A TLS or QUIC row is kept in parts (client hello, server hello) so that the parts of a
 * flow read in different ranges can complete each other; a DNS message keeps what pairing needs.
 * Timestamps are decimal strings of epoch nanoseconds (a double cannot hold them exactly).
 */
import { dnsRcodeName, dnsTypeName } from './dns.js';
import { tlsVersionName } from './tls.js';
import { JsonText } from './json-text.js';
import type { CertRec, DnsMsgRec, HttpRec, QuicRec, TlsHelloFields, TlsRec, TlsServerFields } from './records.js';

export interface TlsRow { tag: number; head: string; clientIsOrig: boolean; client: string | null; server: string | null; certChain: string[]; alert: number }
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

export interface InspectRows {
  tls: TlsRow[];
  quic: QuicRow[];
  dns: DnsRow[];
  http: HttpRow[];
  certs: CertRec[];
  bgp: BgpRow[];
  anomalies: [string, number, number][];
}

/** Epoch nanoseconds as a decimal string, or null. */
export function nsText(sec: number, ns: number): string | null {
  if (!Number.isFinite(sec) || sec < 0) return null;
  return sec === 0 ? String(ns) : `${sec}${String(ns).padStart(9, '0')}`;
}

/** The members of an object as JSON text, without the braces. */
const members = (o: object): string => JSON.stringify(o).slice(1, -1);

export const NO_CLIENT = members({
  sni: null, alpn: [], client_version: null, supported_versions: [], cipher_suites: [], extensions: [], groups: [],
  sig_algs: [], ech: false, session_id_len: null, ja3: null, ja3_full: null, ja4: null, ja4_r: null, hello_truncated: false,
});
export const NO_SERVER = members({ version: null, server_cipher: null, server_alpn: null, ja3s: null });
export const NO_RESPONSE = members({ rcode: null, answers: [], answer_addrs: [], min_ttl: null, svcb_alpn: [], svcb_ech: false });

/** The writer of every row text in this thread (rows are made one at a time). */
const J = new JsonText();

function clientJson(c: TlsHelloFields | null): string | null {
  if (c === null) return null;
  return J.begin().raw('"sni":').str(c.sni).raw(',"alpn":').strs(c.alpn)
    .raw(',"client_version":').str(c.maxVersion >= 0 ? tlsVersionName(c.maxVersion) : null)
    .raw(',"supported_versions":').nums(c.supportedVersions).raw(',"cipher_suites":').nums(c.cipherSuites)
    .raw(',"extensions":').nums(c.extensions).raw(',"groups":').nums(c.groups).raw(',"sig_algs":').nums(c.sigAlgs)
    .raw(',"ech":').bool(c.ech).raw(',"session_id_len":').num(c.sessionIdLength >= 0 ? c.sessionIdLength : null)
    .raw(',"ja3":').str(c.ja3Hash).raw(',"ja3_full":').str(c.ja3).raw(',"ja4":').str(c.ja4).raw(',"ja4_r":').str(c.ja4r)
    .raw(',"hello_truncated":').bool(c.truncated).end();
}

function serverJson(s: TlsServerFields | null): string | null {
  if (s === null) return null;
  return J.begin().raw('"version":').str(s.version >= 0 ? tlsVersionName(s.version) : null)
    .raw(',"server_cipher":').num(s.cipher >= 0 ? s.cipher : null).raw(',"server_alpn":').str(s.alpn)
    .raw(',"ja3s":').str(s.ja3s).end();
}

function quicVersionName(v: number): string {
  if (v === 1) return 'v1';
  if (v === 0x6b3343cf) return 'v2';
  return `0x${v.toString(16).padStart(8, '0')}`;
}

export function tlsRow(t: TlsRec): TlsRow {
  return {
    tag: t.tag, head: J.begin().raw('"ts":').str(nsText(t.sec, t.ns)).end(), clientIsOrig: t.clientIsOrig,
    client: clientJson(t.client), server: serverJson(t.server), certChain: t.certChain, alert: t.alert,
  };
}

export function quicRow(q: QuicRec): QuicRow {
  return {
    tag: q.tag,
    head: J.begin().raw('"ts":').str(nsText(q.sec, q.ns)).raw(',"quic_version":').str(quicVersionName(q.version))
      .raw(',"dcid":').str(q.dcid).raw(',"scid":').str(q.scid).raw(',"server_scid":').str(q.serverScid).end(),
    client: clientJson(q.client), server: serverJson(q.server), clientPackets: q.clientPackets, serverPackets: q.serverPackets, retry: q.retry,
  };
}

export function dnsRow(m: DnsMsgRec): DnsRow {
  let resp: string | null = null;
  if (m.response) {
    let minTtl: number | null = null;
    for (const a of m.answers) if (minTtl === null || a.ttl < minTtl) minTtl = a.ttl;
    J.begin().raw('"rcode":').str(dnsRcodeName(m.rcode)).raw(',"answers":[');
    for (let i = 0; i < m.answers.length; i++) {
      const a = m.answers[i];
      J.raw(i === 0 ? '{"name":' : ',{"name":').str(a.name).raw(',"type":').str(dnsTypeName(a.type)).raw(',"ttl":').num(a.ttl >>> 0)
        .raw(',"data":').str(a.data).raw('}');
    }
    resp = J.raw('],"answer_addrs":').strs(m.addrs).raw(',"min_ttl":').num(minTtl).raw(',"svcb_alpn":').strs(m.svcbAlpn)
      .raw(',"svcb_ech":').bool(m.svcbEch).end();
  }
  return {
    tag: m.tag, sec: m.sec, ns: m.ns, response: m.response, id: m.id, qname: m.qname, qtype: m.qtype,
    common: J.begin().raw('"transport":').str(m.transport).raw(',"flavor":').str(m.flavor).raw(',"id":').num(m.id)
      .raw(',"query_name":').str(m.qname).raw(',"query_type":').str(m.qtype >= 0 ? dnsTypeName(m.qtype) : null)
      .raw(',"opcode":').num(m.opcode).end(),
    flags: m.flags, truncated: m.truncated, resp,
  };
}

export function httpRow(h: HttpRec): HttpRow {
  return {
    tag: h.tag,
    json: J.begin().raw('"ts":').str(nsText(h.sec, h.ns)).raw(',"method":').str(h.method).raw(',"host":').str(h.host)
      .raw(',"port":').num(h.port >= 0 ? h.port : null).raw(',"path":').str(h.path).raw(',"user_agent":').str(h.userAgent)
      .raw(',"version":').str(h.version).raw(',"status":').num(h.status >= 0 ? h.status : null)
      .raw(',"content_type":').str(h.contentType).raw(',"server":').str(h.server)
      .raw(',"response_ts":').str(nsText(h.respSec, h.respNs)).end(),
  };
}

export function emptyInspectRows(): InspectRows {
  return { tls: [], quic: [], dns: [], http: [], certs: [], bgp: [], anomalies: [] };
}
