/**
 * Community ID v1 (github.com/corelight/community-id-spec):
 *   "1:" + base64(SHA-1(seed u16 | saddr | daddr | proto u8 | 0 u8 | sport u16 | dport u16))
 * all big-endian, endpoints ordered so the smaller (addr, port) comes first.
 * Addresses are 4 bytes for IPv4, 16 for IPv6. Ports are hashed only for
 * TCP, UDP, SCTP, ICMP and ICMPv6; for ICMP they are (type, counter-type) for
 * request/response types and (type, code) for the rest, which are one-way
 * (never reordered), following the spec's reference implementation.
 */
import * as crypto from 'node:crypto';
import { sha1Block } from './fast-sha1.js';

const ICMP = 1, TCP = 6, UDP = 17, ICMP6 = 58, SCTP = 132;

/** ICMPv4 request/response pairs: echo, timestamp, info, router solicit/advert, mask. */
const ICMP4_PEER = new Map<number, number>([
  [8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17],
]);

/** ICMPv6 pairs: echo, MLD query/report, ND router and neighbor, WRU, HAAD. */
const ICMP6_PEER = new Map<number, number>([
  [128, 129], [129, 128], [130, 131], [131, 130], [133, 134], [134, 133],
  [135, 136], [136, 135], [139, 140], [140, 139], [144, 145], [145, 144],
]);

const input = Buffer.alloc(40);

/**
 * The 20-byte digest for one flow. Addresses are 4-word big-endian groups at
 * `srcOff` / `dstOff` in the batch layout; `v4` selects the 4-byte form (word 3).
 * For ICMP / ICMPv6 pass the type as `sport` and the code as `dport`.
 */
export function communityIdDigest(
  proto: number, v4: boolean,
  src: Uint32Array, srcOff: number, dst: Uint32Array, dstOff: number,
  sport: number, dport: number, seed = 0,
): Buffer {
  const len = hashInput(proto, v4, src, srcOff, dst, dstOff, sport, dport, seed);
  return crypto.createHash('sha1').update(input.subarray(0, len)).digest();
}

/** One-shot hashing (node >= 20.12) is about twice as fast as createHash for inputs this small. */
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : null;

/** Community ID v1 string ("1:" + base64 digest); arguments as for `communityIdDigest`. */
export function communityId(
  proto: number, v4: boolean,
  src: Uint32Array, srcOff: number, dst: Uint32Array, dstOff: number,
  sport: number, dport: number, seed = 0,
): string {
  const len = hashInput(proto, v4, src, srcOff, dst, dstOff, sport, dport, seed);
  const data = input.subarray(0, len);
  const b64 = oneShot ? oneShot('sha1', data, 'base64') : crypto.createHash('sha1').update(data).digest('base64');
  return `1:${b64}`;
}

const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (ch) => ch.charCodeAt(0));
const digest = new Int32Array(5);
/** The hash input as its one padded SHA-1 block. */
const block = new Int32Array(16);

/**
 * `communityId(...)` written as its 30 ASCII bytes at out[at] (room for 30 is the caller's);
 * returns at + 30. Hashes with the allocation-free SHA-1 instead of node:crypto, building
 * the single padded block straight from the address words: after the 16-bit seed every
 * field is 16-bit aligned, so each block word is the low half of one input word and the
 * high half of the next.
 */
export function writeCommunityId(
  out: Uint8Array, at: number, proto: number, v4: boolean,
  src: Uint32Array, srcOff: number, dst: Uint32Array, dstOff: number,
  sport: number, dport: number, seed = 0,
): number {
  orient(proto, v4, src, srcOff, dst, dstOff, sport, dport);
  const a = oSwap ? dst : src, aOff = oSwap ? dstOff : srcOff;
  const b = oSwap ? src : dst, bOff = oSwap ? srcOff : dstOff;
  let half = u16(seed & 0xffff), t = 0;
  for (let k = v4 ? 3 : 0; k < 4; k++) {
    const w = a[aOff + k]!;
    block[t++] = (half << 16) | (w >>> 16);
    half = w & 0xffff;
  }
  for (let k = v4 ? 3 : 0; k < 4; k++) {
    const w = b[bOff + k]!;
    block[t++] = (half << 16) | (w >>> 16);
    half = w & 0xffff;
  }
  block[t++] = (half << 16) | ((proto & 0xff) << 8); // proto, then a zero byte
  if (oHasPorts) block[t++] = (u16(oSport) << 16) | u16(oDport);
  const bits = t * 32; // 12 to 40 bytes: one block
  block[t++] = 0x80000000 | 0;
  while (t < 15) block[t++] = 0;
  block[15] = bits;
  sha1Block(block, digest);
  const d0 = digest[0]!, d1 = digest[1]!, d2 = digest[2]!, d3 = digest[3]!, d4 = digest[4]!;
  out[at] = 0x31; // '1'
  out[at + 1] = 0x3a; // ':'
  // The 20 digest bytes as seven 3-byte groups (the last one 2 bytes and a zero), then '='.
  base64Group(out, at + 2, d0 >>> 8);
  base64Group(out, at + 6, ((d0 & 0xff) << 16) | (d1 >>> 16));
  base64Group(out, at + 10, ((d1 & 0xffff) << 8) | (d2 >>> 24));
  base64Group(out, at + 14, d2 & 0xffffff);
  base64Group(out, at + 18, d3 >>> 8);
  base64Group(out, at + 22, ((d3 & 0xff) << 16) | (d4 >>> 16));
  base64Group(out, at + 26, (d4 & 0xffff) << 8);
  out[at + 29] = 0x3d; // '='
  return at + 30;
}

/** Four base64 characters of the 24-bit group x. */
function base64Group(out: Uint8Array, at: number, x: number): void {
  out[at] = B64[x >>> 18]!;
  out[at + 1] = B64[(x >>> 12) & 63]!;
  out[at + 2] = B64[(x >>> 6) & 63]!;
  out[at + 3] = B64[x & 63]!;
}

/* What orient() found for one flow: whether the endpoints swap, whether ports are hashed, and the ports in hash order. */
let oSwap = false, oHasPorts = false, oSport = 0, oDport = 0;

/** Endpoint order and hashed ports of one flow (the spec's ordering and ICMP rules); results in o*. */
function orient(
  proto: number, v4: boolean,
  src: Uint32Array, srcOff: number, dst: Uint32Array, dstOff: number,
  sport: number, dport: number,
): void {
  const hasPorts = proto === TCP || proto === UDP || proto === SCTP || proto === ICMP || proto === ICMP6;
  let oneWay = false;
  if (proto === ICMP || proto === ICMP6) {
    const peer = (proto === ICMP ? ICMP4_PEER : ICMP6_PEER).get(sport);
    if (peer === undefined) oneWay = true;
    else dport = peer;
  }
  let swap = false;
  if (!oneWay) {
    const cmp = compareAddr(v4, src, srcOff, dst, dstOff);
    swap = !(cmp < 0 || (cmp === 0 && hasPorts && sport < dport));
  }
  oSwap = swap;
  oHasPorts = hasPorts;
  oSport = swap ? dport : sport;
  oDport = swap ? sport : dport;
}

/** Writes the hash input for one flow into `input`; returns its length. */
function hashInput(
  proto: number, v4: boolean,
  src: Uint32Array, srcOff: number, dst: Uint32Array, dstOff: number,
  sport: number, dport: number, seed: number,
): number {
  orient(proto, v4, src, srcOff, dst, dstOff, sport, dport);
  let p = putU16(seed & 0xffff, 0);
  p = putAddr(v4, oSwap ? dst : src, oSwap ? dstOff : srcOff, p);
  p = putAddr(v4, oSwap ? src : dst, oSwap ? srcOff : dstOff, p);
  input[p++] = proto & 0xff;
  input[p++] = 0;
  if (oHasPorts) {
    p = putU16(oSport, p);
    p = putU16(oDport, p);
  }
  return p;
}

/** x when it is a u16; refuses anything else (as Buffer.writeUInt16BE did). */
function u16(x: number): number {
  if ((x & 0xffff) !== x) throw new RangeError(`community id: ${x} is not a 16-bit port or seed`);
  return x;
}

/** Big-endian u16 at input[p]; returns p + 2. */
function putU16(x: number, p: number): number {
  u16(x);
  input[p] = x >>> 8;
  input[p + 1] = x & 0xff;
  return p + 2;
}

function compareAddr(v4: boolean, a: Uint32Array, aOff: number, b: Uint32Array, bOff: number): number {
  for (let k = v4 ? 3 : 0; k < 4; k++) {
    const x = a[aOff + k]!, y = b[bOff + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function putAddr(v4: boolean, words: Uint32Array, off: number, p: number): number {
  for (let k = v4 ? 3 : 0; k < 4; k++) {
    const w = words[off + k]!;
    input[p] = w >>> 24;
    input[p + 1] = (w >>> 16) & 0xff;
    input[p + 2] = (w >>> 8) & 0xff;
    input[p + 3] = w & 0xff;
    p += 4;
  }
  return p;
}
