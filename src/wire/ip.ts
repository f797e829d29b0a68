import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

export { decodeIpv4, decodeIpv6 };

export const MAX_TUNNEL_DEPTH = 3;

/** Raw IP with no link header: the version nibble decides. */
export function decodeIpByVersion(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < 1) { p.weird(A.truncated_ip_header); p.l3 = L3.Bad; return; }
  const v = dv.getUint8(off) >> 4;
  if (v === 4) decodeIpv4(p, dv, off, end);
  else if (v === 6) decodeIpv6(p, dv, off, end);
  else { p.weird(A.bad_ip_version); p.l3 = L3.Bad; }
}

/**
 * Called when the current IP packet turns out to carry another one. The outermost
 * addresses are kept for the `tunnel` column; the inner header then overwrites the rest.
 * Returns false (and counts it) when tunnels nest too deep.
 */
export function enterTunnel(p: Decoded, kind: number, innerEnd: number): boolean {
  if (p.tunnelDepth >= MAX_TUNNEL_DEPTH) { p.weird(A.tunnel_depth_exceeded); return false; }
  if (p.tunnelDepth === 0) {
    p.tunnelKind = kind;
    p.tunnelSrc.set(p.src);
    p.tunnelDst.set(p.dst);
  }
  p.tunnelDepth++;
  if (innerEnd < p.wireEnd) p.wireEnd = innerEnd;
  p.isFragment = false; p.fragFirst = false; p.hasPorts = false; p.sport = 0; p.dport = 0;
  return true;
}

/** A 4-word address from an IPv4 address: IPv4-mapped (::ffff:a.b.c.d). */
export function setV4(words: Uint32Array, v4: number): void {
  words[0] = 0; words[1] = 0; words[2] = 0xffff; words[3] = v4;
}
