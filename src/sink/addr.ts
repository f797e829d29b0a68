/**
 * Address and MAC text, made at the sink edge from the FlowBatch word layout:
 * an address is 4 big-endian u32 words, IPv4 stored IPv4-mapped ([0, 0, 0xffff, v4]).
 */

export { ipv4Text, isV4Mapped, ipv6Text, macText } from '../wire/addr-text.js';
import { HEX2, ipv4Text, ipv6Text, isV4Mapped } from '../wire/addr-text.js';

/** Canonical text: dotted quad when `ipVersion` is 4, RFC 5952 otherwise. */
export function addrText(words: Uint32Array, off: number, ipVersion: number): string {
  return ipVersion === 4 ? ipv4Text(words[off + 3]!) : ipv6Text(words, off);
}

/** Text of an address whose family is not recorded (tunnel endpoints): IPv4 when IPv4-mapped. */
export function anyAddrText(words: Uint32Array, off: number): string {
  return isV4Mapped(words, off) ? ipv4Text(words[off + 3]!) : ipv6Text(words, off);
}

/** The 16 network-order bytes of the address at `off` (IPv4 stays IPv4-mapped). */
export function addrBytes(words: Uint32Array, off: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let k = 0; k < 4; k++) {
    const w = words[off + k]!;
    out[4 * k] = w >>> 24;
    out[4 * k + 1] = (w >>> 16) & 0xff;
    out[4 * k + 2] = (w >>> 8) & 0xff;
    out[4 * k + 3] = w & 0xff;
  }
  return out;
}

/** Lowercase hex of bytes. */
export function hexOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX2[bytes[i]!];
  return s;
}

/**
 * Parses an IPv4 or IPv6 text address into the batch word layout. Returns null
 * when the text is not an address. For tests and for filters given on the command line.
 */
export function parseAddr(text: string): { version: 4 | 6; words: Uint32Array } | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { version: 4, words: Uint32Array.of(0, 0, 0xffff, v4) };
  const groups = parseV6Groups(text);
  if (groups === null) return null;
  const words = new Uint32Array(4);
  for (let k = 0; k < 4; k++) words[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  return { version: 6, words };
}

function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let w = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    w = w * 256 + n;
  }
  return w;
}

function parseV6Groups(text: string): number[] | null {
  let s = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(Math.floor(v4 / 0x10000), v4 & 0xffff);
    // Keep a trailing '::' (as in '::1.2.3.4'); drop a single trailing ':'.
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const side = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const p of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = side(halves[0]!);
  const rest = halves.length === 2 ? side(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return null;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
}

// ---------------------------------------------------------------------------
// Byte writers: the same text as the functions above, written as ASCII into a
// caller's buffer without making a string (the sink's bulk path). Each returns
// the position after the last byte written; the caller provides the room
// (an address needs at most 39 bytes, a MAC 17).
// ---------------------------------------------------------------------------

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));
const COLON = 0x3a, DOT = 0x2e, ZERO = 0x30;
const MAPPED_PREFIX = Uint8Array.from('::ffff:', (ch) => ch.charCodeAt(0));
/** Scratch for the 8 groups of the address being written. */
const groups = new Int32Array(8);

function writeOctet(out: Uint8Array, at: number, o: number): number {
  if (o >= 100) {
    const h = (o / 100) | 0, t = ((o / 10) | 0) % 10;
    out[at] = ZERO + h; out[at + 1] = ZERO + t; out[at + 2] = ZERO + (o % 10);
    return at + 3;
  }
  if (o >= 10) {
    out[at] = ZERO + ((o / 10) | 0); out[at + 1] = ZERO + (o % 10);
    return at + 2;
  }
  out[at] = ZERO + o;
  return at + 1;
}

/** `ipv4Text(w)` as bytes. */
export function writeIpv4(out: Uint8Array, at: number, w: number): number {
  at = writeOctet(out, at, w >>> 24); out[at++] = DOT;
  at = writeOctet(out, at, (w >>> 16) & 0xff); out[at++] = DOT;
  at = writeOctet(out, at, (w >>> 8) & 0xff); out[at++] = DOT;
  return writeOctet(out, at, w & 0xff);
}

/** One group in lowercase hex without leading zeros (as `g.toString(16)`). */
function writeGroup(out: Uint8Array, at: number, g: number): number {
  if (g >= 0x1000) out[at++] = HEX_DIGITS[g >>> 12]!;
  if (g >= 0x100) out[at++] = HEX_DIGITS[(g >>> 8) & 0xf]!;
  if (g >= 0x10) out[at++] = HEX_DIGITS[(g >>> 4) & 0xf]!;
  out[at++] = HEX_DIGITS[g & 0xf]!;
  return at;
}

function writeGroups(out: Uint8Array, at: number, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (i > from) out[at++] = COLON;
    at = writeGroup(out, at, groups[i]!);
  }
  return at;
}

/** `ipv6Text(words, off)` as bytes. */
export function writeIpv6(out: Uint8Array, at: number, words: Uint32Array, off: number): number {
  if (isV4Mapped(words, off)) {
    out.set(MAPPED_PREFIX, at);
    return writeIpv4(out, at + MAPPED_PREFIX.length, words[off + 3]!);
  }
  for (let k = 0; k < 4; k++) {
    const w = words[off + k]!;
    groups[2 * k] = w >>> 16;
    groups[2 * k + 1] = w & 0xffff;
  }
  let bestAt = -1, bestLen = 1, runAt = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && groups[i] === 0) {
      if (runAt < 0) runAt = i;
    } else if (runAt >= 0) {
      if (i - runAt > bestLen) { bestAt = runAt; bestLen = i - runAt; }
      runAt = -1;
    }
  }
  if (bestAt < 0) return writeGroups(out, at, 0, 8);
  at = writeGroups(out, at, 0, bestAt);
  out[at++] = COLON; out[at++] = COLON;
  return writeGroups(out, at, bestAt + bestLen, 8);
}

/** `addrText(words, off, ipVersion)` as bytes. */
export function writeAddr(out: Uint8Array, at: number, words: Uint32Array, off: number, ipVersion: number): number {
  return ipVersion === 4 ? writeIpv4(out, at, words[off + 3]!) : writeIpv6(out, at, words, off);
}

/** `anyAddrText(words, off)` as bytes. */
export function writeAnyAddr(out: Uint8Array, at: number, words: Uint32Array, off: number): number {
  return isV4Mapped(words, off) ? writeIpv4(out, at, words[off + 3]!) : writeIpv6(out, at, words, off);
}

/** The 16 bytes of `addrBytes(words, off)`, written at `at`. */
export function writeAddrBytes(out: Uint8Array, at: number, words: Uint32Array, off: number): number {
  for (let k = 0; k < 4; k++) {
    const w = words[off + k]!;
    out[at++] = w >>> 24;
    out[at++] = (w >>> 16) & 0xff;
    out[at++] = (w >>> 8) & 0xff;
    out[at++] = w & 0xff;
  }
  return at;
}

function writeHex2(out: Uint8Array, at: number, b: number): number {
  out[at] = HEX_DIGITS[b >>> 4]!;
  out[at + 1] = HEX_DIGITS[b & 0xf]!;
  return at + 2;
}

/** `macText(mac)` as bytes, for a mac that is not NaN (macText's null). */
export function writeMac(out: Uint8Array, at: number, mac: number): number {
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac - hi * 0x100000000;
  at = writeHex2(out, at, (hi >>> 8) & 0xff); out[at++] = COLON;
  at = writeHex2(out, at, hi & 0xff); out[at++] = COLON;
  at = writeHex2(out, at, (lo >>> 24) & 0xff); out[at++] = COLON;
  at = writeHex2(out, at, (lo >>> 16) & 0xff); out[at++] = COLON;
  at = writeHex2(out, at, (lo >>> 8) & 0xff); out[at++] = COLON;
  return writeHex2(out, at, lo & 0xff);
}
