import { type DnsAnomaly, noteAnomaly } from './dns-anomaly.js';
import { readName } from './dns-name.js';
import type { DnsEdns, DnsRdata, SvcParams } from './dns-types.js';
import { ipv6Text } from '../wire/addr-text.js';

/** Resource record types with a decoder here (RFC 1035, 3596, 2782, 6672, 6891, 9460). */
export const DNS_TYPE = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, PTR: 12, HINFO: 13, MX: 15, TXT: 16,
  AAAA: 28, SRV: 33, DNAME: 39, OPT: 41, DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50, SPF: 99,
  SVCB: 64, HTTPS: 65, TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, ANY: 255, CAA: 257,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(DNS_TYPE).map(([k, v]) => [v, k]));

/** Mnemonic of a type ('A', 'HTTPS', ...) or 'TYPE<n>' (RFC 3597) for the rest. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET',
  'NOTAUTH', 'NOTZONE', 'DSOTYPENI'];

/** Mnemonic of an (extended) RCODE, 'RCODE<n>' when not assigned here. 16 is BADVERS/BADSIG, 23 BADCOOKIE. */
export function dnsRcodeName(rcode: number): string {
  if (rcode < RCODE_NAMES.length) return RCODE_NAMES[rcode]!;
  switch (rcode) {
    case 16: return 'BADVERS';
    case 17: return 'BADKEY';
    case 18: return 'BADTIME';
    case 19: return 'BADMODE';
    case 20: return 'BADNAME';
    case 21: return 'BADALG';
    case 22: return 'BADTRUNC';
    case 23: return 'BADCOOKIE';
    default: return `RCODE${rcode}`;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });
const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const u16 = (m: Uint8Array, p: number): number => (m[p]! << 8) | m[p + 1]!;
export const u32 = (m: Uint8Array, p: number): number => ((m[p]! << 24) | (m[p + 1]! << 16) | (m[p + 2]! << 8) | m[p + 3]!) >>> 0;

function hex(m: Uint8Array, a: number, b: number): string {
  let s = '';
  for (let i = a; i < b; i++) s += HEX2[m[i]!];
  return s;
}

/** Dotted quad of the 4 bytes at `p`. */
export function ipv4At(m: Uint8Array, p: number): string {
  return `${m[p]}.${m[p + 1]}.${m[p + 2]}.${m[p + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `p` (the same text as the flow columns). */
export function ipv6At(m: Uint8Array, p: number): string {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((m[p + 4 * i] << 24) | (m[p + 4 * i + 1] << 16) | (m[p + 4 * i + 2] << 8) | m[p + 4 * i + 3]) >>> 0;
  return ipv6Text(w, 0);
}

function base64(m: Uint8Array, a: number, b: number): string {
  return Buffer.from(m.buffer, m.byteOffset + a, b - a).toString('base64');
}

/** A name filling rdata [p, e): checks it ends exactly at `e`. */
function nameIn(m: Uint8Array, p: number, e: number, an: DnsAnomaly[]): { name: string | null; next: number } {
  const r = readName(m, p, e, an);
  if (r.next >= 0 && r.next < e) noteAnomaly(an, 'dns_rdata_trailing_bytes');
  return r;
}

function raw(len: number): DnsRdata {
  return { kind: 'raw', length: len };
}

/**
 * Decodes the rdata of one record, [p, p + len) of message `m` (the caller has checked that it
 * lies within the message). OPT is not handled here (see decodeEdns).
 */
export function decodeRdata(m: Uint8Array, type: number, p: number, len: number, an: DnsAnomaly[]): DnsRdata {
  const e = p + len;
  switch (type) {
    case DNS_TYPE.A:
      if (len !== 4) { noteAnomaly(an, 'dns_bad_rdata_length'); return raw(len); }
      return { kind: 'a', address: ipv4At(m, p) };
    case DNS_TYPE.AAAA:
      if (len !== 16) { noteAnomaly(an, 'dns_bad_rdata_length'); return raw(len); }
      return { kind: 'aaaa', address: ipv6At(m, p) };
    case DNS_TYPE.NS: case DNS_TYPE.MD: case DNS_TYPE.MF: case DNS_TYPE.CNAME: case DNS_TYPE.MB: case DNS_TYPE.MG:
    case DNS_TYPE.MR: case DNS_TYPE.PTR: case DNS_TYPE.DNAME:
      if (len < 1) { noteAnomaly(an, 'dns_bad_rdata_length'); return raw(len); }
      return { kind: 'name', name: nameIn(m, p, e, an).name };
    case DNS_TYPE.MX: {
      if (len < 3) { noteAnomaly(an, 'dns_bad_rdata_length'); return raw(len); }
      return { kind: 'mx', preference: u16(m, p), exchange: nameIn(m, p + 2, e, an).name };
    }
    case DNS_TYPE.TXT: case DNS_TYPE.SPF: {
      const strings: string[] = [];
      let q = p;
      while (q < e) {
        const n = m[q]!;
        if (q + 1 + n > e) {
          noteAnomaly(an, 'dns_txt_truncated');
          strings.push(UTF8.decode(m.subarray(q + 1, e)));
          break;
        }
        strings.push(UTF8.decode(m.subarray(q + 1, q + 1 + n)));
        q += 1 + n;
      }
      return { kind: 'txt', strings };
    }
    case DNS_TYPE.SOA: {
      const mn = readName(m, p, e, an);
      if (mn.next < 0) return raw(len);
      const rn = readName(m, mn.next, e, an);
      if (rn.next < 0 || rn.next + 20 > e) {
        if (rn.next >= 0) noteAnomaly(an, 'dns_bad_rdata_length');
        return raw(len);
      }
      const q = rn.next;
      if (q + 20 < e) noteAnomaly(an, 'dns_rdata_trailing_bytes');
      return {
        kind: 'soa', mname: mn.name, rname: rn.name, serial: u32(m, q), refresh: u32(m, q + 4), retry: u32(m, q + 8),
        expire: u32(m, q + 12), minimum: u32(m, q + 16),
      };
    }
    case DNS_TYPE.SRV: {
      if (len < 7) { noteAnomaly(an, 'dns_bad_rdata_length'); return raw(len); }
      return { kind: 'srv', priority: u16(m, p), weight: u16(m, p + 2), port: u16(m, p + 4), target: nameIn(m, p + 6, e, an).name };
    }
    case DNS_TYPE.SVCB: case DNS_TYPE.HTTPS:
      return decodeSvcb(m, p, e, an);
    default:
      return raw(len);
  }
}

/** SVCB / HTTPS rdata (RFC 9460 2.2): priority, target name, then SvcParams in increasing key order. */
function decodeSvcb(m: Uint8Array, p: number, e: number, an: DnsAnomaly[]): DnsRdata {
  if (e - p < 3) { noteAnomaly(an, 'dns_bad_rdata_length'); return raw(e - p); }
  const priority = u16(m, p);
  const t = readName(m, p + 2, e, an);
  const params: SvcParams = { other: [] };
  if (t.next < 0) return { kind: 'svcb', priority, target: t.name, params };
  let q = t.next;
  let lastKey = -1;
  while (q < e) {
    if (q + 4 > e) { noteAnomaly(an, 'dns_svcparam_bad_value'); break; }
    const key = u16(m, q), n = u16(m, q + 2);
    const v = q + 4, ve = v + n;
    if (ve > e) { noteAnomaly(an, 'dns_svcparam_bad_value'); break; }
    if (key <= lastKey) noteAnomaly(an, 'dns_svcparam_order');
    lastKey = key;
    let ok = true;
    switch (key) {
      case 0: {
        if (n === 0 || n % 2 !== 0) { ok = false; break; }
        const keys: number[] = [];
        for (let i = v; i < ve; i += 2) keys.push(u16(m, i));
        params.mandatory = keys;
        break;
      }
      case 1: {
        const ids: string[] = [];
        let i = v;
        while (i < ve) {
          const l = m[i]!;
          if (l === 0 || i + 1 + l > ve) { ok = false; break; }
          ids.push(UTF8.decode(m.subarray(i + 1, i + 1 + l)));
          i += 1 + l;
        }
        if (n === 0) ok = false;
        params.alpn = ids;
        break;
      }
      case 2:
        if (n !== 0) ok = false;
        params.noDefaultAlpn = true;
        break;
      case 3:
        if (n !== 2) { ok = false; break; }
        params.port = u16(m, v);
        break;
      case 4: {
        if (n === 0 || n % 4 !== 0) { ok = false; break; }
        const ips: string[] = [];
        for (let i = v; i < ve; i += 4) ips.push(ipv4At(m, i));
        params.ipv4hint = ips;
        break;
      }
      case 5:
        params.ech = { length: n, base64: base64(m, v, ve) };
        break;
      case 6: {
        if (n === 0 || n % 16 !== 0) { ok = false; break; }
        const ips: string[] = [];
        for (let i = v; i < ve; i += 16) ips.push(ipv6At(m, i));
        params.ipv6hint = ips;
        break;
      }
      case 7:
        params.dohpath = UTF8.decode(m.subarray(v, ve));
        break;
      case 8:
        if (n !== 0) ok = false;
        params.ohttp = true;
        break;
      default:
        params.other.push({ key, length: n });
    }
    if (!ok) noteAnomaly(an, 'dns_svcparam_bad_value');
    q = ve;
  }
  return { kind: 'svcb', priority, target: t.name, params };
}

/**
 * The OPT pseudo-record (RFC 6891 6.1.2): class is the UDP payload size, the TTL field holds the
 * extended RCODE (8 bits), the version (8) and the flags (16, DO on top); rdata is a list of options.
 */
export function decodeEdns(m: Uint8Array, cls: number, ttl: number, p: number, len: number, an: DnsAnomaly[]): DnsEdns {
  const flags = ttl & 0xffff;
  const edns: DnsEdns = {
    udpSize: cls, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, do: (flags & 0x8000) !== 0, flags, options: [],
  };
  const e = p + len;
  let q = p;
  while (q < e) {
    if (q + 4 > e) { noteAnomaly(an, 'dns_opt_option_truncated'); break; }
    const code = u16(m, q), n = u16(m, q + 2);
    const v = q + 4, ve = v + n;
    if (ve > e) { noteAnomaly(an, 'dns_opt_option_truncated'); break; }
    edns.options.push({ code, length: n });
    switch (code) {
      case 8: // client subnet: family, source prefix, scope prefix, address cut to the prefix
        if (n >= 4) {
          const family = u16(m, v), source = m[v + 2]!;
          const size = family === 1 ? 4 : family === 2 ? 16 : 0;
          if (size > 0 && n - 4 <= size) {
            const a = new Uint8Array(size);
            a.set(m.subarray(v + 4, ve));
            edns.clientSubnet = `${size === 4 ? ipv4At(a, 0) : ipv6At(a, 0)}/${source}`;
          }
        }
        break;
      case 10: // cookie: 8-byte client cookie, optional 8..32-byte server cookie
        if (n >= 8) edns.cookie = { client: hex(m, v, v + 8), server: hex(m, v + 8, ve) };
        break;
      case 12:
        edns.padding = n;
        break;
      case 15:
        if (n >= 2) edns.extendedError = u16(m, v);
        break;
      default:
        break;
    }
    q = ve;
  }
  return edns;
}
