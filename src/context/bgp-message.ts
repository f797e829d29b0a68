/**
 * BGP-4 messages (RFC 4271), shared by the MRT reader (src/context/mrt.ts) and by BGP sessions seen
 * inside packet captures (TCP 179, fed by src/inspect/tcp-stream.ts through BgpSession).
 *
 * Parsers take (buf, off, len) and read in place; they never throw on bad input: what does not fit
 * is reported as anomaly strings (like Zeek's weird names) and parsing goes as far as it safely
 * can. Work is bounded by the input length.
 *
 * Covered: the 19-byte header; OPEN with its optional parameters (RFC 5492 capabilities, RFC 9072
 * extended parameter length), in particular 4-octet AS (RFC 6793) and ADD-PATH (RFC 7911); UPDATE
 * with withdrawn routes, path attributes (ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF,
 * ATOMIC_AGGREGATE, AGGREGATOR, COMMUNITIES, MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760) for
 * IPv4/IPv6 unicast and multicast, AS4_PATH / AS4_AGGREGATOR (RFC 6793), LARGE_COMMUNITY (RFC 8092))
 * and NLRI, with ADD-PATH path identifiers where the caller says they are used; NOTIFICATION and
 * ROUTE-REFRESH (RFC 2918 / 7313).
 */
import { ipv4Text, ipv6Text } from '../wire/addr-text.js';
import type { StreamConsumer } from '../inspect/tcp-stream.js';

export const BGP_HEADER_LEN = 19;
/** Largest message the 2-byte length can describe (RFC 8654 extended messages reach it). */
export const BGP_MAX_MESSAGE_LEN = 65535;

export const BGP_OPEN = 1;
export const BGP_UPDATE = 2;
export const BGP_NOTIFICATION = 3;
export const BGP_KEEPALIVE = 4;
export const BGP_ROUTE_REFRESH = 5;

export const BGP_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'OPEN', 2: 'UPDATE', 3: 'NOTIFICATION', 4: 'KEEPALIVE', 5: 'ROUTE-REFRESH',
};

/** The 2-byte placeholder for a 4-byte ASN (RFC 6793). */
export const AS_TRANS = 23456;

export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;
export const SAFI_MULTICAST = 2;

/** AS_PATH segment types (RFC 4271, RFC 5065). */
export const AS_SET = 1;
export const AS_SEQUENCE = 2;
export const AS_CONFED_SEQUENCE = 3;
export const AS_CONFED_SET = 4;

// ---------------------------------------------------------------------------------------------
// Result shapes

export type BgpOrigin = 'IGP' | 'EGP' | 'INCOMPLETE';
const ORIGINS: readonly BgpOrigin[] = ['IGP', 'EGP', 'INCOMPLETE'];

export interface AsPathSegment {
  /** AS_SET 1, AS_SEQUENCE 2, AS_CONFED_SEQUENCE 3, AS_CONFED_SET 4. */
  type: number;
  asns: number[];
}

export interface BgpAggregator {
  asn: number;
  ip: string;
}

export interface BgpMpReach {
  /** 0 when the attribute is the abbreviated TABLE_DUMP_V2 form (next hop only). */
  afi: number;
  safi: number;
  /** The next hops: for IPv6 the global address, then the link-local one when present. */
  nextHop: string[];
  nlri: string[];
  /** Path identifiers, one per NLRI, when ADD-PATH applied to this AFI/SAFI; else null. */
  pathIds: number[] | null;
  /** False when the AFI/SAFI is not IPv4/IPv6 unicast or multicast: the NLRI were not read. */
  supported: boolean;
}

export interface BgpMpUnreach {
  afi: number;
  safi: number;
  withdrawn: string[];
  pathIds: number[] | null;
  supported: boolean;
}

/** Path attributes of an UPDATE or of an MRT RIB entry. */
export interface BgpAttributes {
  origin: BgpOrigin | null;
  /**
   * The AS path, flattened: the members of AS_SEQUENCE and AS_SET segments in order (confederation
   * segments left out: they are private to a confederation). After the RFC 6793 AS4_PATH merge.
   */
  asPath: number[];
  /** bgpdump style: "286 6453 {1,2}", confederation segments as "(a b)" and "[a,b]". */
  asPathText: string;
  asPathSegments: AsPathSegment[];
  /** The ASN size the AS_PATH was read with (decided by the caller, or detected when it did not say). */
  asnSize: 2 | 4;
  /** NEXT_HOP attribute (IPv4). */
  nextHop: string | null;
  med: number | null;
  localPref: number | null;
  atomicAggregate: boolean;
  aggregator: BgpAggregator | null;
  /** "a:b", numeric. */
  communities: string[];
  /** "a:b:c" (RFC 8092). */
  largeCommunities: string[];
  mpReach: BgpMpReach | null;
  mpUnreach: BgpMpUnreach | null;
  /** Type codes of attributes present, in order. */
  attrTypes: number[];
  anomalies: string[];
}

export interface BgpUpdate extends BgpAttributes {
  /** IPv4 prefixes of the Withdrawn Routes field. */
  withdrawn: string[];
  withdrawnPathIds: number[] | null;
  /** IPv4 prefixes of the NLRI field. */
  nlri: string[];
  nlriPathIds: number[] | null;
}

export interface BgpAddPathCap {
  afi: number;
  safi: number;
  /** 1 receive, 2 send, 3 both (RFC 7911). */
  mode: number;
}

export interface BgpOpen {
  version: number;
  /** The 2-byte My Autonomous System field (AS_TRANS when the real one needs 4 bytes). */
  myAs: number;
  holdTime: number;
  bgpId: string;
  /** The 4-octet AS capability's value, or null without it. */
  as4: number | null;
  /** The real ASN: the capability's value when present, else myAs. */
  asn: number;
  /** Capability codes in order of appearance. */
  capabilities: number[];
  multiprotocol: { afi: number; safi: number }[];
  addPath: BgpAddPathCap[];
  routeRefresh: boolean;
  extendedMessage: boolean;
  anomalies: string[];
}

export interface BgpNotification {
  code: number;
  subcode: number;
  dataLength: number;
  /** RFC 8203/9003 shutdown communication (Cease, subcode 2 or 4), when present. */
  shutdownMessage: string | null;
}

export interface BgpRouteRefresh {
  afi: number;
  safi: number;
  /** 0 normal, 1 BoRR, 2 EoRR (RFC 7313). */
  subtype: number;
}

export interface BgpMessage {
  type: number;
  /** OPEN, UPDATE, ... or "TYPE n". */
  typeName: string;
  /** Length from the header. */
  length: number;
  open: BgpOpen | null;
  update: BgpUpdate | null;
  notification: BgpNotification | null;
  routeRefresh: BgpRouteRefresh | null;
  /** Everything odd about the message, its body's anomalies included. */
  anomalies: string[];
}

/** ADD-PATH use: true/false for every AFI/SAFI, or asked per AFI/SAFI. */
export type AddPathSpec = boolean | ((afi: number, safi: number) => boolean);

export interface BgpParseOptions {
  /**
   * AS_PATH and AGGREGATOR carry 4-byte ASNs (both speakers sent capability 65). null: not known
   * (a capture that missed the OPENs): the AS_PATH's own layout decides.
   */
  as4: boolean | null;
  /** Path identifiers precede each prefix (RFC 7911). */
  addPath?: AddPathSpec;
  /**
   * TABLE_DUMP_V2 RIB entry (RFC 6396 4.3.4): MP_REACH_NLRI may hold only the next-hop length and
   * next hop. Set to the AFI of the entry's prefix.
   */
  ribAfi?: number;
}

// ---------------------------------------------------------------------------------------------
// Small readers

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

const words = new Uint32Array(4);

/** Dotted quad of the 4 bytes at p. */
export function ipv4At(b: Uint8Array, p: number): string {
  return ipv4Text(u32(b, p));
}

/** RFC 5952 text of the 16 bytes at p. */
export function ipv6At(b: Uint8Array, p: number): string {
  for (let k = 0; k < 4; k++) words[k] = u32(b, p + 4 * k);
  return ipv6Text(words, 0);
}

/** Set by prefixAt: the prefix had bits set beyond its length. */
let trailingBits = false;

/**
 * Text of a prefix of `bits` bits whose ceil(bits/8) bytes are at p ("a.b.c.d/len" or RFC 5952
 * "x::/len"), masked to its length; sets trailingBits when something was masked away. The caller
 * checks bits against the family's maximum and the bytes against the end.
 */
function prefixAt(b: Uint8Array, p: number, bits: number, v6: boolean): string {
  const n = (bits + 7) >> 3;
  trailingBits = false;
  const nw = v6 ? 4 : 1;
  for (let k = 0; k < nw; k++) {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      const j = 4 * k + i;
      w = (w << 8) | (j < n ? b[p + j]! : 0);
    }
    w >>>= 0;
    const left = bits - 32 * k; // bits of the prefix that fall in this word
    const mask = left >= 32 ? 0xffffffff : left <= 0 ? 0 : (0xffffffff << (32 - left)) >>> 0;
    if (((w & ~mask) >>> 0) !== 0) trailingBits = true;
    words[k] = (w & mask) >>> 0;
  }
  return `${v6 ? ipv6Text(words, 0) : ipv4Text(words[0]!)}/${bits}`;
}

function wants(spec: AddPathSpec | undefined, afi: number, safi: number): boolean {
  if (spec === undefined || spec === false) return false;
  if (spec === true) return true;
  return spec(afi, safi);
}

/**
 * Reads an NLRI field (RFC 4271 4.3 / RFC 4760 5 / RFC 7911 3) of one family into `out` (and the
 * path identifiers into `ids` when `addPath`). A prefix longer than the family allows ends the
 * field ('bgp_bad_prefix_length'); one with bits past its length is masked ('bgp_nlri_trailing_bits').
 */
export function parseNlri(
  buf: Uint8Array, off: number, len: number, v6: boolean, addPath: boolean,
  out: string[], ids: number[] | null, anomalies: string[],
): void {
  const end = Math.min(off + len, buf.length);
  const max = v6 ? 128 : 32;
  let p = off;
  while (p < end) {
    let id = 0;
    if (addPath) {
      if (end - p < 5) { anomalies.push('bgp_nlri_truncated'); return; }
      id = u32(buf, p);
      p += 4;
    }
    const bits = buf[p++]!;
    if (bits > max) { anomalies.push('bgp_bad_prefix_length'); return; }
    const n = (bits + 7) >> 3;
    if (p + n > end) { anomalies.push('bgp_nlri_truncated'); return; }
    out.push(prefixAt(buf, p, bits, v6));
    if (trailingBits) anomalies.push('bgp_nlri_trailing_bits');
    if (ids !== null) ids.push(id);
    p += n;
  }
}

/** Prefix at p with `bits` bits, for callers that frame it themselves (MRT RIB records); null if over the maximum. */
export function prefixText(buf: Uint8Array, p: number, bits: number, v6: boolean, anomalies: string[]): string | null {
  if (bits > (v6 ? 128 : 32)) { anomalies.push('bgp_bad_prefix_length'); return null; }
  const t = prefixAt(buf, p, bits, v6);
  if (trailingBits) anomalies.push('bgp_nlri_trailing_bits');
  return t;
}

// ---------------------------------------------------------------------------------------------
// Header and message

/** The header at off: null when shorter than 19 bytes, the marker is not all ones, or the length is under 19. */
export function parseBgpHeader(buf: Uint8Array, off: number, len: number): { length: number; type: number } | null {
  if (len < BGP_HEADER_LEN || off + BGP_HEADER_LEN > buf.length) return null;
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0xff) return null;
  const length = u16(buf, off + 16);
  if (length < BGP_HEADER_LEN) return null;
  return { length, type: buf[off + 18]! };
}

/** Smallest valid length per type (KEEPALIVE: exactly 19, ROUTE-REFRESH: exactly 23). */
const MIN_LEN: Readonly<Record<number, number>> = { 1: 29, 2: 23, 3: 21, 4: 19, 5: 23 };

/**
 * One whole message, header included, at buf[off..off+len) (len is clamped to the buffer). Null
 * when the header is not a BGP header. A header length beyond `len` is read as far as `len` goes
 * ('bgp_message_truncated'); bytes after it are 'bgp_message_trailing_bytes'.
 */
export function parseBgpMessage(buf: Uint8Array, off: number, len: number, opts: BgpParseOptions): BgpMessage | null {
  len = Math.min(len, buf.length - off); // what lies beyond the buffer is not there
  const h = parseBgpHeader(buf, off, len);
  if (h === null) return null;
  const anomalies: string[] = [];
  let bodyLen = h.length - BGP_HEADER_LEN;
  if (h.length > len) { anomalies.push('bgp_message_truncated'); bodyLen = len - BGP_HEADER_LEN; }
  else if (h.length < len) anomalies.push('bgp_message_trailing_bytes');
  const min = MIN_LEN[h.type];
  if (min === undefined) anomalies.push('bgp_unknown_message_type');
  else if (h.length < min || ((h.type === BGP_KEEPALIVE || h.type === BGP_ROUTE_REFRESH) && h.length !== min)) anomalies.push('bgp_bad_message_length');
  const b = off + BGP_HEADER_LEN;
  const m: BgpMessage = {
    type: h.type, typeName: BGP_TYPE_NAMES[h.type] ?? `TYPE ${h.type}`, length: h.length,
    open: null, update: null, notification: null, routeRefresh: null, anomalies,
  };
  switch (h.type) {
    case BGP_OPEN: m.open = parseBgpOpen(buf, b, bodyLen, anomalies); break;
    case BGP_UPDATE: m.update = parseBgpUpdate(buf, b, bodyLen, opts, anomalies); break;
    case BGP_NOTIFICATION: m.notification = parseBgpNotification(buf, b, bodyLen, anomalies); break;
    case BGP_ROUTE_REFRESH:
      if (bodyLen >= 4) m.routeRefresh = { afi: u16(buf, b), subtype: buf[b + 2]!, safi: buf[b + 3]! };
      break;
    default: break;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// OPEN

/** OPEN body (after the header). Null when shorter than its 10 fixed bytes. */
export function parseBgpOpen(buf: Uint8Array, off: number, len: number, anomalies: string[] = []): BgpOpen | null {
  const end = Math.min(off + len, buf.length);
  if (end - off < 10) { anomalies.push('bgp_open_truncated'); return null; }
  const o: BgpOpen = {
    version: buf[off]!, myAs: u16(buf, off + 1), holdTime: u16(buf, off + 3), bgpId: ipv4At(buf, off + 5),
    as4: null, asn: 0, capabilities: [], multiprotocol: [], addPath: [], routeRefresh: false, extendedMessage: false,
    anomalies,
  };
  if (o.version !== 4) anomalies.push('bgp_open_bad_version');
  if (o.holdTime === 1 || o.holdTime === 2) anomalies.push('bgp_open_bad_hold_time');
  let optLen = buf[off + 9]!;
  let p = off + 10;
  let wide = false;
  // RFC 9072: a length of 255 with a first parameter type of 255 announces 2-byte lengths.
  if (optLen === 255 && end - p >= 3 && buf[p] === 255) {
    wide = true;
    optLen = u16(buf, p + 1);
    p += 3;
  }
  let pend = p + optLen;
  if (pend > end) { anomalies.push('bgp_open_truncated'); pend = end; }
  else if (pend < end) anomalies.push('bgp_open_trailing_bytes');
  const ph = wide ? 3 : 2;
  while (p < pend) {
    if (pend - p < ph) { anomalies.push('bgp_open_bad_parameter'); break; }
    const type = buf[p]!;
    const plen = wide ? u16(buf, p + 1) : buf[p + 1]!;
    const v = p + ph;
    if (v + plen > pend) { anomalies.push('bgp_open_bad_parameter'); break; }
    if (type === 2) capabilities(buf, v, v + plen, o);
    else anomalies.push('bgp_open_unknown_parameter');
    p = v + plen;
  }
  o.asn = o.as4 ?? o.myAs;
  if (o.as4 !== null && o.as4 <= 0xffff && o.myAs !== o.as4) anomalies.push('bgp_open_as_mismatch');
  if (o.as4 !== null && o.as4 > 0xffff && o.myAs !== AS_TRANS) anomalies.push('bgp_open_as_mismatch');
  return o;
}

function capabilities(buf: Uint8Array, p: number, end: number, o: BgpOpen): void {
  while (p < end) {
    if (end - p < 2) { o.anomalies.push('bgp_open_bad_capability'); return; }
    const code = buf[p]!;
    const clen = buf[p + 1]!;
    const v = p + 2;
    if (v + clen > end) { o.anomalies.push('bgp_open_bad_capability'); return; }
    o.capabilities.push(code);
    switch (code) {
      case 1: // multiprotocol (RFC 4760): AFI, reserved, SAFI
        if (clen === 4) o.multiprotocol.push({ afi: u16(buf, v), safi: buf[v + 3]! });
        else o.anomalies.push('bgp_open_bad_capability');
        break;
      case 2: o.routeRefresh = true; break;
      case 6: o.extendedMessage = true; break;
      case 65:
        if (clen === 4) o.as4 = u32(buf, v);
        else o.anomalies.push('bgp_open_bad_capability');
        break;
      case 69: // ADD-PATH: (AFI, SAFI, Send/Receive) tuples
        if (clen % 4 !== 0) { o.anomalies.push('bgp_open_bad_capability'); break; }
        for (let q = v; q < v + clen; q += 4) o.addPath.push({ afi: u16(buf, q), safi: buf[q + 2]!, mode: buf[q + 3]! });
        break;
      default: break;
    }
    p = v + clen;
  }
}

// ---------------------------------------------------------------------------------------------
// NOTIFICATION

export function parseBgpNotification(buf: Uint8Array, off: number, len: number, anomalies: string[] = []): BgpNotification | null {
  const end = Math.min(off + len, buf.length);
  if (end - off < 2) { anomalies.push('bgp_notification_truncated'); return null; }
  const n: BgpNotification = { code: buf[off]!, subcode: buf[off + 1]!, dataLength: end - off - 2, shutdownMessage: null };
  if (n.code === 6 && (n.subcode === 2 || n.subcode === 4) && n.dataLength >= 1) {
    const l = buf[off + 2]!;
    if (l > 0 && off + 3 + l <= end) n.shutdownMessage = new TextDecoder().decode(buf.subarray(off + 3, off + 3 + l));
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// UPDATE and path attributes

/** Fresh attribute result (all absent). */
export function emptyAttributes(anomalies: string[] = []): BgpAttributes {
  return {
    origin: null, asPath: [], asPathText: '', asPathSegments: [], asnSize: 4, nextHop: null, med: null, localPref: null,
    atomicAggregate: false, aggregator: null, communities: [], largeCommunities: [], mpReach: null, mpUnreach: null,
    attrTypes: [], anomalies,
  };
}

/** UPDATE body (after the header). Never null: what does not fit is an anomaly. */
export function parseBgpUpdate(buf: Uint8Array, off: number, len: number, opts: BgpParseOptions, anomalies: string[] = []): BgpUpdate {
  const end = Math.min(off + len, buf.length);
  // One literal with every field (not a spread of emptyAttributes(): V8 makes that a slow, dictionary-mode object).
  const u: BgpUpdate = {
    origin: null, asPath: [], asPathText: '', asPathSegments: [], asnSize: 4, nextHop: null, med: null, localPref: null,
    atomicAggregate: false, aggregator: null, communities: [], largeCommunities: [], mpReach: null, mpUnreach: null,
    attrTypes: [], anomalies, withdrawn: [], withdrawnPathIds: null, nlri: [], nlriPathIds: null,
  };
  const ap4 = wants(opts.addPath, AFI_IPV4, SAFI_UNICAST);
  if (ap4) { u.withdrawnPathIds = []; u.nlriPathIds = []; }
  if (end - off < 4) { anomalies.push('bgp_update_truncated'); return u; }
  const wl = u16(buf, off);
  let p = off + 2;
  if (p + wl + 2 > end) { anomalies.push('bgp_update_truncated'); return u; }
  parseNlri(buf, p, wl, false, ap4, u.withdrawn, u.withdrawnPathIds, anomalies);
  p += wl;
  const al = u16(buf, p);
  p += 2;
  if (p + al > end) { anomalies.push('bgp_update_truncated'); return u; }
  parseAttributesInto(buf, p, al, opts, u);
  p += al;
  parseNlri(buf, p, end - p, false, ap4, u.nlri, u.nlriPathIds, anomalies);
  return u;
}

/** Path attributes at buf[off..off+len) (an UPDATE's, or an MRT RIB entry's). */
export function parseBgpAttributes(buf: Uint8Array, off: number, len: number, opts: BgpParseOptions, anomalies: string[] = []): BgpAttributes {
  const a = emptyAttributes(anomalies);
  parseAttributesInto(buf, off, len, opts, a);
  return a;
}

/** Attribute types seen in the UPDATE being read (reused: a fresh 256-byte array per message would be a malloc each). */
const seenAttr = new Uint8Array(256);

function parseAttributesInto(buf: Uint8Array, off: number, len: number, opts: BgpParseOptions, a: BgpAttributes): void {
  const end = Math.min(off + len, buf.length);
  const an = a.anomalies;
  const seen = seenAttr.fill(0);
  let asPathAt = -1, asPathLen = 0, as4PathAt = -1, as4PathLen = 0;
  let aggrAs = -1, aggrIp = '', as4AggrAs = -1, as4AggrIp = '';
  let p = off;
  while (p < end) {
    if (end - p < 3) { an.push('bgp_attr_truncated'); break; }
    const flags = buf[p]!;
    const type = buf[p + 1]!;
    const ext = (flags & 0x10) !== 0;
    const hl = ext ? 4 : 3;
    if (end - p < hl) { an.push('bgp_attr_truncated'); break; }
    const alen = ext ? u16(buf, p + 2) : buf[p + 2]!;
    const v = p + hl;
    if (v + alen > end) { an.push('bgp_attr_truncated'); break; }
    p = v + alen;
    if (seen[type] !== 0) { an.push('bgp_attr_duplicate'); continue; }
    seen[type] = 1;
    a.attrTypes.push(type);
    switch (type) {
      case 1: // ORIGIN
        if (alen === 1 && buf[v]! <= 2) a.origin = ORIGINS[buf[v]!]!;
        else an.push('bgp_bad_origin');
        break;
      case 2: asPathAt = v; asPathLen = alen; break;
      case 3: // NEXT_HOP
        if (alen === 4) a.nextHop = ipv4At(buf, v);
        else an.push('bgp_bad_attr_length');
        break;
      case 4: if (alen === 4) a.med = u32(buf, v); else an.push('bgp_bad_attr_length'); break;
      case 5: if (alen === 4) a.localPref = u32(buf, v); else an.push('bgp_bad_attr_length'); break;
      case 6: a.atomicAggregate = true; if (alen !== 0) an.push('bgp_bad_attr_length'); break;
      case 7: // AGGREGATOR: 2- or 4-byte AS by its length
        if (alen === 6) { aggrAs = u16(buf, v); aggrIp = ipv4At(buf, v + 2); }
        else if (alen === 8) { aggrAs = u32(buf, v); aggrIp = ipv4At(buf, v + 4); }
        else an.push('bgp_bad_attr_length');
        break;
      case 8: // COMMUNITIES
        if (alen % 4 !== 0) { an.push('bgp_bad_attr_length'); break; }
        for (let q = v; q < v + alen; q += 4) a.communities.push(`${u16(buf, q)}:${u16(buf, q + 2)}`);
        break;
      case 14: mpReach(buf, v, alen, opts, a); break;
      case 15: mpUnreach(buf, v, alen, opts, a); break;
      case 17: as4PathAt = v; as4PathLen = alen; break;
      case 18: // AS4_AGGREGATOR
        if (alen === 8) { as4AggrAs = u32(buf, v); as4AggrIp = ipv4At(buf, v + 4); }
        else an.push('bgp_bad_attr_length');
        break;
      case 32: // LARGE_COMMUNITY
        if (alen % 12 !== 0) { an.push('bgp_bad_attr_length'); break; }
        for (let q = v; q < v + alen; q += 12) a.largeCommunities.push(`${u32(buf, q)}:${u32(buf, q + 4)}:${u32(buf, q + 8)}`);
        break;
      default: break;
    }
  }

  // AS_PATH with the ASN size the session uses, or the one its layout shows.
  let segs: AsPathSegment[] = [];
  let size: 2 | 4 = opts.as4 === false ? 2 : 4;
  if (asPathAt >= 0) {
    let r = readSegments(buf, asPathAt, asPathLen, size);
    if (opts.as4 === null && r.bad) {
      const r2 = readSegments(buf, asPathAt, asPathLen, 2);
      if (!r2.bad) { r = r2; size = 2; }
    }
    if (r.bad) an.push('bgp_as_path_malformed');
    segs = r.segs;
  }
  a.asnSize = size;
  if (aggrAs >= 0) a.aggregator = { asn: aggrAs, ip: aggrIp };
  if (size === 4) {
    // Between 4-byte speakers AS4_PATH and AS4_AGGREGATOR must not appear; they are discarded.
    if (as4PathAt >= 0 || as4AggrAs >= 0) an.push('bgp_as4_attr_in_as4_session');
  } else if (aggrAs >= 0 && aggrAs !== AS_TRANS && as4AggrAs >= 0) {
    // RFC 6793 4.2.3: an AGGREGATOR that is not AS_TRANS means AS4_PATH and AS4_AGGREGATOR are ignored.
    an.push('bgp_as4_attrs_ignored');
  } else {
    if (as4AggrAs >= 0 && a.aggregator !== null) a.aggregator = { asn: as4AggrAs, ip: as4AggrIp };
    if (as4PathAt >= 0) {
      const r4 = readSegments(buf, as4PathAt, as4PathLen, 4);
      if (r4.bad) an.push('bgp_as4_path_malformed');
      else segs = mergeAs4Path(segs, r4.segs, an);
    }
  }
  a.asPathSegments = segs;
  a.asPath = flatten(segs);
  a.asPathText = asPathText(segs);
}

/** AS_PATH segments of `size`-byte ASNs; `bad` when something did not fit (what fit is kept). */
function readSegments(buf: Uint8Array, off: number, len: number, size: 2 | 4): { segs: AsPathSegment[]; bad: boolean } {
  const segs: AsPathSegment[] = [];
  const end = off + len;
  let p = off;
  while (p < end) {
    if (end - p < 2) return { segs, bad: true };
    const type = buf[p]!;
    const n = buf[p + 1]!;
    if (type < 1 || type > 4 || n === 0 || p + 2 + n * size > end) return { segs, bad: true };
    const asns = new Array<number>(n);
    let q = p + 2;
    for (let i = 0; i < n; i++, q += size) asns[i] = size === 4 ? u32(buf, q) : u16(buf, q);
    segs.push({ type, asns });
    p = q;
  }
  return { segs, bad: false };
}

/** RFC 4271 9.1.2.2 / RFC 5065: an AS_SET counts as one, confederation segments as none. */
function pathCount(segs: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segs) n += s.type === AS_SEQUENCE ? s.asns.length : s.type === AS_SET ? 1 : 0;
  return n;
}

/**
 * RFC 6793 4.2.3: when AS_PATH holds fewer ASes than AS4_PATH, AS4_PATH is ignored; otherwise the
 * leading ASes of AS_PATH (as many as AS_PATH has more) are put in front of AS4_PATH, confederation
 * segments coming along when they lead or sit next to a segment that is taken.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[], anomalies: string[] = []): AsPathSegment[] {
  // Confederation segments are not allowed in AS4_PATH (RFC 6793 6): they are dropped.
  const tail = as4Path.filter((s) => s.type === AS_SEQUENCE || s.type === AS_SET);
  if (tail.length !== as4Path.length) anomalies.push('bgp_as4_path_confed');
  const n2 = pathCount(asPath);
  const n4 = pathCount(tail);
  if (n2 < n4) { anomalies.push('bgp_as4_path_longer'); return asPath.map((s) => ({ type: s.type, asns: s.asns.slice() })); }
  let need = n2 - n4;
  const head: AsPathSegment[] = [];
  for (let i = 0; i < asPath.length; i++) {
    const s = asPath[i]!;
    if (s.type === AS_CONFED_SEQUENCE || s.type === AS_CONFED_SET) {
      if (i === 0 || need > 0 || (head.length > 0 && head[head.length - 1] === asPath[i - 1])) head.push(s);
      continue;
    }
    if (need <= 0) break;
    if (s.type === AS_SET) { head.push(s); need -= 1; continue; }
    if (s.asns.length <= need) { head.push(s); need -= s.asns.length; }
    else { head.push({ type: s.type, asns: s.asns.slice(0, need) }); need = 0; }
  }
  return [...head, ...tail].map((s) => ({ type: s.type, asns: s.asns.slice() }));
}

function flatten(segs: readonly AsPathSegment[]): number[] {
  const out: number[] = [];
  for (const s of segs) if (s.type === AS_SEQUENCE || s.type === AS_SET) for (const x of s.asns) out.push(x);
  return out;
}

/** bgpdump-style text of AS_PATH segments. */
export function asPathText(segs: readonly AsPathSegment[]): string {
  const parts: string[] = [];
  for (const s of segs) {
    switch (s.type) {
      case AS_SEQUENCE: parts.push(s.asns.join(' ')); break;
      case AS_SET: parts.push(`{${s.asns.join(',')}}`); break;
      case AS_CONFED_SEQUENCE: parts.push(`(${s.asns.join(' ')})`); break;
      default: parts.push(`[${s.asns.join(',')}]`); break;
    }
  }
  return parts.join(' ');
}

/** The origin AS: the last AS of a final AS_SEQUENCE, or the only member of a final AS_SET; else null. */
export function originAs(segs: readonly AsPathSegment[]): number | null {
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i]!;
    if (s.type === AS_CONFED_SEQUENCE || s.type === AS_CONFED_SET) continue;
    if (s.type === AS_SEQUENCE) return s.asns[s.asns.length - 1] ?? null;
    return s.asns.length === 1 ? s.asns[0]! : null;
  }
  return null;
}

function familyOk(afi: number, safi: number): boolean {
  return (afi === AFI_IPV4 || afi === AFI_IPV6) && (safi === SAFI_UNICAST || safi === SAFI_MULTICAST);
}

/** Next hops of an MP_REACH_NLRI by their length (RFC 4760, RFC 2545 global + link-local, RFC 4364/4659 with RD). */
function nextHops(buf: Uint8Array, p: number, n: number, out: string[], an: string[]): void {
  switch (n) {
    case 0: break;
    case 4: out.push(ipv4At(buf, p)); break;
    case 12: out.push(ipv4At(buf, p + 8)); break;
    case 16: out.push(ipv6At(buf, p)); break;
    case 24: out.push(ipv6At(buf, p + 8)); break;
    case 32: out.push(ipv6At(buf, p), ipv6At(buf, p + 16)); break;
    case 48: out.push(ipv6At(buf, p + 8), ipv6At(buf, p + 32)); break;
    default: an.push('bgp_mp_bad_next_hop_length'); break;
  }
}

function mpReach(buf: Uint8Array, v: number, alen: number, opts: BgpParseOptions, a: BgpAttributes): void {
  const an = a.anomalies;
  const end = v + alen;
  if (opts.ribAfi !== undefined && alen >= 1 && buf[v] === alen - 1) {
    // RFC 6396 4.3.4: in a RIB entry only the next-hop length and the next hop are kept.
    const r: BgpMpReach = { afi: opts.ribAfi, safi: SAFI_UNICAST, nextHop: [], nlri: [], pathIds: null, supported: true };
    nextHops(buf, v + 1, buf[v]!, r.nextHop, an);
    a.mpReach = r;
    return;
  }
  if (alen < 5) { an.push('bgp_mp_reach_malformed'); return; }
  const afi = u16(buf, v);
  const safi = buf[v + 2]!;
  const nhl = buf[v + 3]!;
  if (v + 4 + nhl + 1 > end) { an.push('bgp_mp_reach_malformed'); return; }
  const supported = familyOk(afi, safi);
  const ap = supported && wants(opts.addPath, afi, safi);
  const r: BgpMpReach = { afi, safi, nextHop: [], nlri: [], pathIds: ap ? [] : null, supported };
  nextHops(buf, v + 4, nhl, r.nextHop, an);
  const np = v + 4 + nhl + 1; // after the reserved (former SNPA count) byte
  if (supported) parseNlri(buf, np, end - np, afi === AFI_IPV6, ap, r.nlri, r.pathIds, an);
  a.mpReach = r;
}

function mpUnreach(buf: Uint8Array, v: number, alen: number, opts: BgpParseOptions, a: BgpAttributes): void {
  if (alen < 3) { a.anomalies.push('bgp_mp_unreach_malformed'); return; }
  const afi = u16(buf, v);
  const safi = buf[v + 2]!;
  const supported = familyOk(afi, safi);
  const ap = supported && wants(opts.addPath, afi, safi);
  const r: BgpMpUnreach = { afi, safi, withdrawn: [], pathIds: ap ? [] : null, supported };
  if (supported) parseNlri(buf, v + 3, alen - 3, afi === AFI_IPV6, ap, r.withdrawn, r.pathIds, a.anomalies);
  a.mpUnreach = r;
}

// ---------------------------------------------------------------------------------------------
// Sessions in captures

/**
 * What the two OPENs of a session say, shared by its two directions: whether 4-byte ASNs were
 * negotiated (both sides sent capability 65) and where ADD-PATH applies.
 */
export class BgpSessionState {
  readonly opens: [BgpOpen | null, BgpOpen | null] = [null, null];

  private readonly cached: [BgpParseOptions | null, BgpParseOptions | null] = [null, null];

  /** A direction's OPEN was seen (also for telling a stream about the other side's OPEN). */
  setOpen(dir: number, open: BgpOpen): void {
    this.opens[dir & 1] = open;
    this.cached[0] = null;
    this.cached[1] = null;
  }

  /** True when both OPENs carried capability 65, false when one lacked it, null while not known. */
  get as4(): boolean | null {
    const [a, b] = this.opens;
    if ((a !== null && a.as4 === null) || (b !== null && b.as4 === null)) return false;
    if (a !== null && b !== null) return true;
    return null;
  }

  /** Whether UPDATEs sent in `dir` carry path identifiers for afi/safi (sender may send, receiver may receive). */
  addPath(dir: number, afi: number, safi: number): boolean {
    const s = this.opens[dir & 1];
    const r = this.opens[(dir & 1) ^ 1];
    if (s === null || r === null) return false;
    const has = (o: BgpOpen, bit: number): boolean => o.addPath.some((c) => c.afi === afi && c.safi === safi && (c.mode & bit) !== 0);
    return has(s, 2) && has(r, 1);
  }

  /** Parse options for messages sent in `dir`. */
  options(dir: number): BgpParseOptions {
    const d = dir & 1;
    let o = this.cached[d];
    if (o === null) {
      const ap = this.opens[0] !== null && this.opens[1] !== null && (this.opens[0].addPath.length > 0 || this.opens[1].addPath.length > 0);
      o = { as4: this.as4, addPath: ap ? (afi: number, safi: number): boolean => this.addPath(d, afi, safi) : false };
      this.cached[d] = o;
    }
    return o;
  }
}

/** Framing anomalies kept per direction at most (the counters in stats go on). */
export const MAX_STREAM_ANOMALIES = 256;

/** Framing counters of one direction. */
export interface BgpStreamStats {
  messages: number;
  /** Bytes thrown away while looking for a marker. */
  skippedBytes: number;
  /** Times the framing was lost (bad header, or a gap past the current message). */
  resyncs: number;
  /** Messages cut by a gap. */
  lostMessages: number;
}

/**
 * Frames BGP messages in the in-order bytes of one direction of a TCP session. Whole messages that
 * lie inside one pushed chunk are parsed in place; only a message split across chunks is copied
 * (at most one message, 64 KiB, is ever held). After garbage or a gap the stream looks for the next
 * 16-byte marker followed by a plausible length; a gap that ends inside the current message is
 * skipped over exactly.
 */
export class BgpStream {
  readonly stats: BgpStreamStats = { messages: 0, skippedBytes: 0, resyncs: 0, lostMessages: 0 };
  /** Framing anomalies ('bgp_resync', 'bgp_gap', 'bgp_message_cut'), one per occurrence. */
  readonly anomalies: string[] = [];
  private pend = new Uint8Array(4096);
  private pendLen = 0;
  /** Length of the message being collected in pend, once its header is there; else 0. */
  private msgLen = 0;
  private synced = true;
  /** Bytes still to throw away (the rest of a message a gap cut into). */
  private skip = 0;
  /** Consecutive 0xff bytes seen while out of sync. */
  private ffRun = 0;

  constructor(readonly dir = 0, readonly state: BgpSessionState = new BgpSessionState()) {}

  /** Bytes held of a message not yet complete. */
  get pending(): number { return this.pendLen; }

  /** Adds bytes; returns the messages they complete, in order. */
  push(buf: Uint8Array, off = 0, len = buf.length - off): BgpMessage[] {
    const out: BgpMessage[] = [];
    const end = Math.min(buf.length, off + Math.max(0, len));
    this.feed(buf, Math.max(0, off), end, out);
    return out;
  }

  /** `n` bytes of this direction were lost. */
  gap(n: number): void {
    if (n <= 0) return;
    if (this.anomalies.length < MAX_STREAM_ANOMALIES) this.anomalies.push('bgp_gap');
    if (!this.synced) { this.ffRun = 0; return; }
    if (this.skip > 0) {
      if (n < this.skip) { this.skip -= n; return; }
      this.lose();
      return;
    }
    if (this.msgLen > 0) {
      const rest = this.msgLen - this.pendLen;
      this.stats.lostMessages++;
      this.pendLen = 0;
      this.msgLen = 0;
      if (n < rest) { this.skip = rest - n; return; }
      this.lose();
      return;
    }
    if (this.pendLen > 0) this.stats.lostMessages++;
    this.lose();
  }

  /** The stream ended: a message in progress is reported cut. */
  end(): void {
    if (this.pendLen > 0 || this.skip > 0) this.anomalies.push('bgp_message_cut');
    this.pendLen = 0;
    this.msgLen = 0;
    this.skip = 0;
  }

  private lose(): void {
    this.synced = false;
    this.ffRun = 0;
    this.pendLen = 0;
    this.msgLen = 0;
    this.skip = 0;
    this.stats.resyncs++;
  }

  private emit(buf: Uint8Array, off: number, len: number, out: BgpMessage[]): void {
    const m = parseBgpMessage(buf, off, len, this.state.options(this.dir));
    if (m === null) return;
    if (m.open !== null) this.state.setOpen(this.dir, m.open);
    this.stats.messages++;
    out.push(m);
  }

  /** A header at buf[off..off+19) that framing can trust: marker, and a length of at least 19. */
  private static headerLength(buf: Uint8Array, off: number): number {
    for (let i = 0; i < 16; i++) if (buf[off + i] !== 0xff) return -1;
    const l = u16(buf, off + 16);
    const t = buf[off + 18]!;
    return l >= BGP_HEADER_LEN && t >= 1 && t <= 5 ? l : -1;
  }

  private feed(buf: Uint8Array, p: number, end: number, out: BgpMessage[]): void {
    while (p < end) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, end - p);
        this.skip -= k;
        p += k;
        continue;
      }
      if (!this.synced) {
        // Look for 16 x 0xff followed by something else: the marker's end.
        while (p < end) {
          const b = buf[p]!;
          if (b === 0xff) { this.ffRun++; p++; continue; }
          if (this.ffRun >= 16) break;
          this.ffRun = 0;
          this.stats.skippedBytes++;
          p++;
        }
        if (p >= end) return;
        this.stats.skippedBytes += this.ffRun - 16;
        this.ffRun = 0;
        this.synced = true;
        this.pend.fill(0xff, 0, 16);
        this.pendLen = 16;
        this.msgLen = 0;
        continue;
      }
      if (this.pendLen > 0) {
        const want = this.msgLen > 0 ? this.msgLen : BGP_HEADER_LEN;
        const k = Math.min(want - this.pendLen, end - p);
        this.pend.set(buf.subarray(p, p + k), this.pendLen);
        this.pendLen += k;
        p += k;
        if (this.pendLen < want) return;
        if (this.msgLen === 0) {
          const l = BgpStream.headerLength(this.pend, 0);
          if (l < 0) {
            // Not a header: scan again from the byte after its first.
            const again = this.pend.slice(1, this.pendLen);
            this.badHeader();
            this.feed(again, 0, again.length, out);
            continue;
          }
          this.msgLen = l;
          if (this.pend.length < l) {
            const bigger = new Uint8Array(Math.max(l, Math.min(BGP_MAX_MESSAGE_LEN, this.pend.length * 2)));
            bigger.set(this.pend.subarray(0, this.pendLen));
            this.pend = bigger;
          }
          if (this.pendLen < l) continue;
        }
        const l = this.msgLen;
        this.pendLen = 0;
        this.msgLen = 0;
        this.emit(this.pend, 0, l, out);
        continue;
      }
      if (end - p >= BGP_HEADER_LEN) {
        const l = BgpStream.headerLength(buf, p);
        if (l < 0) { this.badHeader(); p++; continue; }
        if (end - p >= l) { this.emit(buf, p, l, out); p += l; continue; }
      }
      // A partial message (its header, when whole, was checked above): keep it.
      const k = end - p;
      this.msgLen = k >= BGP_HEADER_LEN ? u16(buf, p + 16) : 0;
      if (this.pend.length < this.msgLen) this.pend = new Uint8Array(Math.max(this.msgLen, Math.min(BGP_MAX_MESSAGE_LEN, this.pend.length * 2)));
      this.pend.set(buf.subarray(p, end), 0);
      this.pendLen = k;
      return;
    }
  }

  private badHeader(): void {
    if (this.anomalies.length < MAX_STREAM_ANOMALIES) this.anomalies.push('bgp_resync');
    this.lose();
  }
}

/** A message of a session, with its direction and the time it completed. */
export interface BgpSessionMessage extends BgpMessage {
  dir: number;
  sec: number;
  ns: number;
}

export interface BgpSessionOptions {
  /** Read when a message completes for its time (an InspectContext fits: it has sec and ns). */
  clock?: { readonly sec: number; readonly ns: number };
  /** Called for each message; when given, `messages` stays empty. */
  onMessage?: (m: BgpSessionMessage) => void;
  /** Messages kept in `messages` at most; later ones are counted in `dropped` (default 100000). */
  maxMessages?: number;
}

/**
 * A BGP session inside a TCP flow: a StreamConsumer for src/inspect/tcp-stream.ts. Each direction
 * has its own framing; the OPENs of both tell how UPDATEs are to be read.
 */
export class BgpSession implements StreamConsumer {
  readonly state = new BgpSessionState();
  readonly streams: [BgpStream, BgpStream] = [new BgpStream(0, this.state), new BgpStream(1, this.state)];
  readonly messages: BgpSessionMessage[] = [];
  dropped = 0;
  private readonly max: number;

  constructor(private readonly opts: BgpSessionOptions = {}) {
    this.max = opts.maxMessages ?? 100000;
  }

  data(dir: number, buf: Uint8Array, off: number, len: number): void {
    const d = dir & 1;
    for (const m of this.streams[d].push(buf, off, len)) {
      const c = this.opts.clock;
      const sm: BgpSessionMessage = Object.assign(m, { dir: d, sec: c?.sec ?? 0, ns: c?.ns ?? 0 });
      if (this.opts.onMessage !== undefined) this.opts.onMessage(sm);
      else if (this.messages.length < this.max) this.messages.push(sm);
      else this.dropped++;
    }
  }

  gap(dir: number, n: number): void {
    this.streams[dir & 1].gap(n);
  }

  /** The flow ended. */
  end(): void {
    this.streams[0].end();
    this.streams[1].end();
  }

  /** Framing anomalies of both directions. */
  get anomalies(): string[] {
    return [...this.streams[0].anomalies, ...this.streams[1].anomalies];
  }
}
