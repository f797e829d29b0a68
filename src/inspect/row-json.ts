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

function clientJson(c: TlsHelloFields | null): string | null {
  if (c === null) return null;
  return members({
    sni: c.sni, alpn: c.alpn, client_version: c.maxVersion > 0 ? tlsVersionName(c.maxVersion) : null, supported_versions: c.supportedVersions,
    cipher_suites: c.cipherSuites, extensions: c.extensions, groups: c.groups, sig_algs: c.sigAlgs, ech: c.ech,
    session_id_len: c.sessionIdLength >= 0 ? c.sessionIdLength : null, ja3: c.ja3Hash, ja3_full: c.ja3, ja4: c.ja4, ja4_r: c.ja4r, hello_truncated: c.truncated,
  });
}

function serverJson(s: TlsServerFields | null): string | null {
  if (s === null) return null;
  return members({
    version: s.version > 0 ? tlsVersionName(s.version) : null, server_cipher: s.cipher >= 0 ? s.cipher : null, server_alpn: s.alpn, ja3s: s.ja3s,
  });
}

function quicVersionName(v: number): string {
  if (v === 1) return 'v1';
  if (v === 0x6b3343cf) return 'v2';
  return `0x${v.toString(16).padStart(8, '0')}`;
}

export function tlsRow(t: TlsRec): TlsRow {
  return {
    tag: t.tag, head: members({ ts: nsText(t.sec, t.ns) }), clientIsOrig: t.clientIsOrig,
    client: clientJson(t.client), server: serverJson(t.server), certChain: t.certChain, alert: t.alert,
  };
}

export function quicRow(q: QuicRec): QuicRow {
  return {
    tag: q.tag,
    head: members({ ts: nsText(q.sec, q.ns), quic_version: quicVersionName(q.version), dcid: q.dcid, scid: q.scid, server_scid: q.serverScid }),
    client: clientJson(q.client), server: serverJson(q.server), clientPackets: q.clientPackets, serverPackets: q.serverPackets, retry: q.retry,
  };
}

export function dnsRow(m: DnsMsgRec): DnsRow {
  let resp: string | null = null;
  if (m.response) {
    let minTtl: number | null = null;
    for (const a of m.answers) if (minTtl === null || a.ttl < minTtl) minTtl = a.ttl;
    resp = members({
      rcode: dnsRcodeName(m.rcode),
      answers: m.answers.map((a) => ({ name: a.name, type: dnsTypeName(a.type), ttl: a.ttl >>> 0, data: a.data })),
      answer_addrs: m.addrs, min_ttl: minTtl, svcb_alpn: m.svcbAlpn, svcb_ech: m.svcbEch,
    });
  }
  return {
    tag: m.tag, sec: m.sec, ns: m.ns, response: m.response, id: m.id, qname: m.qname, qtype: m.qtype,
    common: members({
      transport: m.transport, flavor: m.flavor, id: m.id, query_name: m.qname,
      query_type: m.qtype >= 0 ? dnsTypeName(m.qtype) : null, opcode: m.opcode,
    }),
    flags: m.flags, truncated: m.truncated, resp,
  };
}

export function httpRow(h: HttpRec): HttpRow {
  return {
    tag: h.tag,
    json: members({
      ts: nsText(h.sec, h.ns), method: h.method, host: h.host, port: h.port >= 0 ? h.port : null, path: h.path,
      user_agent: h.userAgent, version: h.version, status: h.status >= 0 ? h.status : null, content_type: h.contentType,
      server: h.server, response_ts: nsText(h.respSec, h.respNs),
    }),
  };
}

export function emptyInspectRows(): InspectRows {
  return { tls: [], quic: [], dns: [], http: [], certs: [], bgp: [], anomalies: [] };
}
