/**
 * DNS message parser (RFC 1035, with AAAA from RFC 3596, EDNS from RFC 6891, SVCB/HTTPS from
 * RFC 9460), also for mDNS (RFC 6762, UDP 5353) and LLMNR (RFC 4795, UDP 5355), which share the
 * format. Pure: bytes in, a record out, no I/O. It never throws and never loops on hostile input:
 * what cannot be read ends the parse, and what was read so far is returned with anomaly names
 * (DNS_ANOMALY_NAMES).
 *
 * The other parts live in dns-*.ts and are re-exported here: names and compression (dns-name),
 * rdata (dns-rdata), DNS over TCP framing (dns-tcp), query/response matching (dns-transactions).
 */
import { type DnsAnomaly, noteAnomaly } from './dns-anomaly.js';
import { readName } from './dns-name.js';
import { DNS_TYPE, decodeEdns, decodeRdata, u16, u32 } from './dns-rdata.js';
import type { DnsEdns, DnsHeader, DnsMessage, DnsParseOptions, DnsQuestion, DnsRecord } from './dns-types.js';

export * from './dns-anomaly.js';
export * from './dns-types.js';
export { readName, skipName, MAX_NAME_WIRE, MAX_POINTER_HOPS, type NameRead } from './dns-name.js';
export { DNS_TYPE, dnsTypeName, dnsRcodeName, ipv4At, ipv6At } from './dns-rdata.js';
export { DnsTcpBuffer, type DnsTcpBufferOptions } from './dns-tcp.js';
export { DnsTransactions, type DnsMatch, type DnsTransactionsOptions, type DnsUnanswered } from './dns-transactions.js';

/** Size of the fixed header. */
export const DNS_HEADER_LEN = 12;
/** Default cap on decoded resource records per message. */
export const DEFAULT_MAX_RECORDS = 1000;

/** Reads the 12-byte header at `p` (the caller checks there are 12 bytes). */
export function readDnsHeader(m: Uint8Array, p = 0): DnsHeader {
  const flags = u16(m, p + 2);
  return {
    id: u16(m, p),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    flags,
    qdcount: u16(m, p + 4),
    ancount: u16(m, p + 6),
    nscount: u16(m, p + 8),
    arcount: u16(m, p + 10),
  };
}

/** The bytes ended at `p`, inside the message: what was read is kept, flagged. */
function cutAt(msg: DnsMessage, p: number): DnsMessage {
  msg.truncated = true;
  noteAnomaly(msg.anomalies, 'dns_truncated');
  msg.parsedBytes = p;
  return msg;
}

/**
 * Parses one DNS message: `len` bytes at `off` of `buf` (a UDP payload, or one message of a TCP
 * stream without its 2-byte length prefix). Returns null when there are fewer than 12 bytes (no
 * header, not a DNS message). Otherwise a message with everything that could be read; when the
 * bytes end early (snaplen, a lost fragment) `truncated` is set, the records read so far are kept
 * and `dns_truncated` is listed.
 */
export function parseDns(buf: Uint8Array, off = 0, len = buf.length - off, opts: DnsParseOptions = {}): DnsMessage | null {
  off = Math.max(0, Math.floor(off) || 0);
  len = Math.min(Math.floor(len) || 0, buf.length - off);
  if (!(len >= DNS_HEADER_LEN)) return null;
  const m = buf.subarray(off, off + len);
  const flavor = opts.flavor ?? 'dns';
  const mdns = flavor === 'mdns';
  const maxRecords = opts.maxRecords ?? DEFAULT_MAX_RECORDS;
  const an: DnsAnomaly[] = [];
  const header = readDnsHeader(m, 0);
  const msg: DnsMessage = {
    header, flavor, rcode: header.rcode, questions: [], question: null, answers: [], authorities: [], additionals: [],
    edns: null, truncated: false, parsedBytes: DNS_HEADER_LEN, anomalies: an,
  };
  let p = DNS_HEADER_LEN;

  for (let i = 0; i < header.qdcount; i++) {
    if (p >= len) return cutAt(msg, p);
    const n = readName(m, p, len, an);
    if (n.next < 0) { if (n.cut) return cutAt(msg, p); msg.parsedBytes = p; return msg; }
    if (n.next + 4 > len) { p = n.next; return cutAt(msg, p); }
    const cls = u16(m, n.next + 2);
    const q: DnsQuestion = {
      name: n.name, type: u16(m, n.next), class: mdns ? cls & 0x7fff : cls, unicastResponse: mdns && (cls & 0x8000) !== 0,
    };
    msg.questions.push(q);
    if (msg.question === null) msg.question = q;
    p = n.next + 4;
  }
  if (opts.questionsOnly) { msg.parsedBytes = p; return msg; }

  let decoded = 0;
  for (let s = 0; s < 3; s++) {
    const list = s === 0 ? msg.answers : s === 1 ? msg.authorities : msg.additionals;
    const count = s === 0 ? header.ancount : s === 1 ? header.nscount : header.arcount;
    for (let i = 0; i < count; i++) {
      if (p >= len) return cutAt(msg, p);
      if (decoded >= maxRecords) { noteAnomaly(an, 'dns_too_many_records'); msg.parsedBytes = p; return msg; }
      const n = readName(m, p, len, an);
      if (n.next < 0) { if (n.cut) return cutAt(msg, p); msg.parsedBytes = p; return msg; }
      if (n.next + 10 > len) { p = n.next; return cutAt(msg, p); }
      const type = u16(m, n.next), rawCls = u16(m, n.next + 2), ttl = u32(m, n.next + 4), rdlength = u16(m, n.next + 8);
      const rd = n.next + 10;
      if (rd + rdlength > len) {
        noteAnomaly(an, 'dns_rdata_truncated');
        p = rd;
        return cutAt(msg, p);
      }
      decoded++;
      let rec: DnsRecord;
      if (type === DNS_TYPE.OPT) {
        const edns: DnsEdns = decodeEdns(m, rawCls, ttl, rd, rdlength, an);
        if (s !== 2 || n.name !== '.') noteAnomaly(an, 'dns_opt_misplaced');
        if (msg.edns === null) {
          msg.edns = edns;
          msg.rcode = header.rcode | (edns.extendedRcode << 4);
        } else {
          noteAnomaly(an, 'dns_multiple_opt');
        }
        rec = { name: n.name, type, class: rawCls, cacheFlush: false, ttl, rdlength, data: { kind: 'opt', edns } };
      } else {
        rec = {
          name: n.name, type, class: mdns ? rawCls & 0x7fff : rawCls, cacheFlush: mdns && (rawCls & 0x8000) !== 0, ttl, rdlength,
          data: decodeRdata(m, type, rd, rdlength, an),
        };
      }
      list.push(rec);
      p = rd + rdlength;
    }
  }
  if (p < len) noteAnomaly(an, 'dns_trailing_bytes');
  msg.parsedBytes = p;
  return msg;
}

/** Every name a message carries in its question section and records' owner names, in order, deduplicated. */
export function dnsNames(msg: DnsMessage): string[] {
  const out = new Set<string>();
  for (const q of msg.questions) if (q.name !== null) out.add(q.name);
  for (const list of [msg.answers, msg.authorities, msg.additionals]) {
    for (const r of list) if (r.name !== null && r.type !== DNS_TYPE.OPT) out.add(r.name);
  }
  return [...out];
}
