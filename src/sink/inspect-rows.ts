/**
 * Inspection records as rows of the dns, tls, quic, http and certs tables (column order as in
 * schema.ts). Values are made here, at the edge, once per record.
 */
import {
  DuckDBListValue, DuckDBStructValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampValue, type DuckDBValue,
} from '@duckdb/node-api';
import type { CertRec, DnsMsgRec, HttpRec, QuicRec, TlsHelloFields, TlsRec, TlsServerFields } from '../inspect/records.js';
import type { DnsTransaction } from '../pipeline/dns-pairing.js';
import { dnsRcodeName, dnsTypeName } from '../inspect/dns.js';
import { tlsVersionName } from '../inspect/tls.js';

const NS = 1000000000n;

export function tsNs(sec: number, ns: number): DuckDBTimestampNanosecondsValue | null {
  if (!Number.isFinite(sec)) return null;
  return new DuckDBTimestampNanosecondsValue(BigInt(sec) * NS + BigInt(ns));
}

function flowIdValue(flowId: number): bigint {
  return BigInt(flowId);
}

const list = (xs: readonly DuckDBValue[]): DuckDBListValue => new DuckDBListValue(xs);

export function dnsRow(flowId: number, captureId: number, t: DnsTransaction): DuckDBValue[] {
  const q = t.query, r = t.response;
  const m = (q ?? r)!;
  const answered = r !== null;
  const rtt = q !== null && r !== null ? ((r.sec - t.lastQuerySec) * 1e9 + (r.ns - t.lastQueryNs)) / 1000 : null;
  let minTtl: number | null = null;
  if (r) for (const a of r.answers) if (minTtl === null || a.ttl < minTtl) minTtl = a.ttl;
  return [
    flowIdValue(flowId), captureId, tsNs(m.sec, m.ns), m.transport, m.flavor, m.id,
    m.qname, m.qtype >= 0 ? dnsTypeName(m.qtype) : null, m.opcode,
    r ? r.flags : m.flags, r ? dnsRcodeName(r.rcode) : null, answered,
    r ? tsNs(r.sec, r.ns) : null, rtt, t.queries,
    list(r ? r.answers.map((a) => new DuckDBStructValue({ name: a.name, type: dnsTypeName(a.type), ttl: a.ttl >>> 0, data: a.data })) : []),
    list(r ? r.addrs : []), minTtl, list(r ? r.svcbAlpn : []), r ? r.svcbEch : false,
    (q?.truncated ?? false) || (r?.truncated ?? false),
  ];
}

function helloValues(c: TlsHelloFields | null, s: TlsServerFields | null): DuckDBValue[] {
  return [
    c?.sni ?? null, list(c?.alpn ?? []), c ? tlsVersionName(c.maxVersion) : null,
    list(c?.supportedVersions ?? []), list(c?.cipherSuites ?? []), list(c?.extensions ?? []),
    list(c?.groups ?? []), list(c?.sigAlgs ?? []), c?.ech ?? false, c?.sessionIdLength ?? null,
    c?.ja3Hash ?? null, c?.ja3 ?? null, c?.ja4 ?? null, c?.ja4r ?? null, c?.truncated ?? false,
    s ? tlsVersionName(s.version) : null, s?.cipher ?? null, s?.alpn ?? null, s?.ja3s ?? null,
  ];
}

export function tlsRow(flowId: number, captureId: number, t: TlsRec): DuckDBValue[] {
  return [
    flowIdValue(flowId), captureId, tsNs(t.sec, t.ns), t.clientIsOrig,
    ...helloValues(t.client, t.server),
    list(t.certChain), t.alert >= 0 ? t.alert : null,
  ];
}

function quicVersionName(v: number): string {
  if (v === 1) return 'v1';
  if (v === 0x6b3343cf) return 'v2';
  return `0x${v.toString(16).padStart(8, '0')}`;
}

export function quicRow(flowId: number, captureId: number, q: QuicRec): DuckDBValue[] {
  return [
    flowIdValue(flowId), captureId, tsNs(q.sec, q.ns), quicVersionName(q.version), q.dcid, q.scid, q.serverScid,
    ...helloValues(q.client, q.server),
    q.clientPackets, q.serverPackets, q.retry,
  ];
}

export function httpRow(flowId: number, captureId: number, h: HttpRec): DuckDBValue[] {
  return [
    flowIdValue(flowId), captureId, tsNs(h.sec, h.ns), h.method, h.host, h.port >= 0 ? h.port : null, h.path, h.userAgent, h.version,
    h.status >= 0 ? h.status : null, h.contentType, h.server, tsNs(h.respSec, h.respNs),
  ];
}

function tsSec(s: number | null): DuckDBTimestampValue | null {
  return s === null || !Number.isFinite(s) ? null : new DuckDBTimestampValue(BigInt(Math.trunc(s)) * 1000000n);
}

export function certRow(c: CertRec, captureId: number): DuckDBValue[] {
  return [
    c.sha256, c.subject, c.issuer, c.commonName, list(c.sanDns), list(c.sanIp),
    tsSec(c.notBeforeSec), tsSec(c.notAfterSec), c.keyType, c.keyBits, c.curve, c.serial, c.ca, c.selfIssued, captureId,
  ];
}
