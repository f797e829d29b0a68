import { A } from './anomaly.js';
import type { Decoded } from './packet.js';

/** ICMP (RFC 792) and ICMPv6 (RFC 4443) share the first 4 bytes: type, code, checksum. */
export const ICMP = { TYPE: 0, CODE: 1, HEADER_LEN: 8 } as const;

/** The header quoted inside an ICMP error is deliberately not decoded: it never makes a flow of its own. */
export function decodeIcmp(p: Decoded, dv: DataView, off: number, end: number, l4Len: number): void {
  p.payloadCaptured = 0;
  if (end - off < 2) { p.weird(A.truncated_icmp_header); p.payloadLen = 0; return; }
  p.icmpType = dv.getUint8(off + ICMP.TYPE);
  p.icmpCode = dv.getUint8(off + ICMP.CODE);
  p.payloadLen = l4Len >= ICMP.HEADER_LEN ? l4Len - ICMP.HEADER_LEN : 0;
  // The quoted packet of an error is left for inspection (a DNS query can leak through it).
  p.payloadOff = off + ICMP.HEADER_LEN;
  const captured = end - p.payloadOff;
  p.payloadCaptured = captured <= 0 ? 0 : captured < p.payloadLen ? captured : p.payloadLen;
}
