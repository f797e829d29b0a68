/**
 * Flow keys as 10 u32 words: low address (4), high address (4), ports (low<<16 | high), protocol.
 * "Low" is the endpoint whose (address, port) compares smaller, so both directions share a key.
 */
import type { Decoded } from '../wire/packet.js';
import { icmpCounterpart } from './zeek-state.js';

export const KEY_WORDS = 10;

const ICMP = 1, ICMPV6 = 58;

/**
 * The ports a packet's flow is keyed by, as (sport << 16) | dport: the transport's; for ICMP the
 * type and its counterpart type (echo 8 and reply 0 share a flow), or the code where there is none
 * (Zeek's rule); 0 and 0 for other protocols and for a transport header the snaplen cut.
 */
export function flowPorts(p: Decoded): number {
  if (p.hasPorts) return ((p.sport << 16) | p.dport) >>> 0;
  if ((p.proto === ICMP || p.proto === ICMPV6) && p.icmpType >= 0) {
    const c = icmpCounterpart(p.proto === ICMPV6, p.icmpType);
    return (p.icmpType << 16) | (c >= 0 ? c : p.icmpCode);
  }
  return 0;
}

/** Mixes the 10 key words into a 32-bit hash (multiply-xorshift per word). */
export function hashKey(k: Uint32Array, o: number): number {
  let h = 0x9e3779b9;
  for (let i = 0; i < KEY_WORDS; i++) {
    h = Math.imul(h ^ k[o + i], 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 30-bit hash of a key given by its parts (low address, high address, the low endpoint's port
 * and the high one's, protocol) for the flow table's index: two lanes of multiply-xorshift, so
 * the rounds of one run beside the other's. Not the same value as hashKey. Ports come apart and
 * the result has 30 bits so that every number crossing the call is a small integer (V8 boxes a
 * larger one, an allocation per packet).
 */
export function hashParts(lo: Uint32Array, hi: Uint32Array, lowPort: number, highPort: number, proto: number): number {
  const ports = (lowPort << 16) | highPort;
  let a = 0x9e3779b9, b = 0x7f4a7c15;
  for (let i = 0; i < 4; i++) {
    a = Math.imul(a ^ lo[i], 0x85ebca6b); a ^= a >>> 13;
    b = Math.imul(b ^ hi[i], 0xc2b2ae35); b ^= b >>> 13;
  }
  a = Math.imul(a ^ ports, 0x85ebca6b); a ^= a >>> 13;
  b = Math.imul(b ^ proto, 0xc2b2ae35); b ^= b >>> 13;
  let h = a ^ ((b << 16) | (b >>> 16));
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

/** -1, 0 or 1: compares (a, aPort) with (b, bPort), addresses as 4 words. */
export function compareEndpoints(a: Uint32Array, aPort: number, b: Uint32Array, bPort: number): number {
  for (let i = 0; i < 4; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return aPort === bPort ? 0 : aPort < bPort ? -1 : 1;
}
