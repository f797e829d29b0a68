import { A } from './anomaly.js';
import type { Decoded } from './packet.js';

/** SCTP common header (RFC 9260). */
export const SCTP = { SRC_PORT: 0, DST_PORT: 2, HEADER_LEN: 12 } as const;

export function decodeSctp(p: Decoded, dv: DataView, off: number, end: number, l4Len: number): void {
  p.payloadCaptured = 0;
  if (end - off < 4) { p.weird(A.truncated_sctp_header); p.payloadLen = 0; return; }
  p.hasPorts = true;
  p.sport = dv.getUint16(off + SCTP.SRC_PORT);
  p.dport = dv.getUint16(off + SCTP.DST_PORT);
  p.payloadLen = l4Len >= SCTP.HEADER_LEN ? l4Len - SCTP.HEADER_LEN : 0;
  p.payloadOff = off + SCTP.HEADER_LEN;
  const captured = end - p.payloadOff;
  p.payloadCaptured = captured <= 0 ? 0 : captured < p.payloadLen ? captured : p.payloadLen;
}
