import { A } from './anomaly.js';
import type { Decoded } from './packet.js';

/** UDP header (RFC 768). */
export const UDP = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, HEADER_LEN: 8 } as const;

/** Returns true when the header was read (ports set). */
export function decodeUdp(p: Decoded, dv: DataView, off: number, end: number, l4Len: number): boolean {
  p.payloadCaptured = 0;
  if (end - off < 4) { p.weird(A.truncated_udp_header); p.payloadLen = 0; return false; }
  p.hasPorts = true;
  p.sport = dv.getUint16(off + UDP.SRC_PORT);
  p.dport = dv.getUint16(off + UDP.DST_PORT);
  p.payloadLen = l4Len >= UDP.HEADER_LEN ? l4Len - UDP.HEADER_LEN : 0;
  if (end - off < UDP.HEADER_LEN) return true;
  p.payloadOff = off + UDP.HEADER_LEN;
  const captured = end - p.payloadOff;
  p.payloadCaptured = captured <= 0 ? 0 : captured < p.payloadLen ? captured : p.payloadLen;
  const len = dv.getUint16(off + UDP.LENGTH);
  // A first fragment holds only part of the datagram the length field describes.
  if (len < UDP.HEADER_LEN || (!p.isFragment && len > l4Len)) p.weird(A.bad_udp_length);
  return true;
}
