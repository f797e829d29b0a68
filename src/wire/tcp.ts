import { A } from './anomaly.js';
import type { Decoded } from './packet.js';

/** TCP header (RFC 9293). */
export const TCP = {
  SRC_PORT: 0, DST_PORT: 2, SEQ: 4, ACK: 8, DATA_OFF: 12, FLAGS: 13, WINDOW: 14,
  MIN_HEADER_LEN: 20, PORTS_LEN: 4, FLAGS_LEN: 16,
  FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK_FLAG: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, NS: 0x100,
} as const;

/** Lax: ports need 4 captured bytes, flags and lengths need 16; what is cut short is counted, not fatal. */
export function decodeTcp(p: Decoded, dv: DataView, off: number, end: number, l4Len: number): void {
  const have = end - off;
  p.payloadCaptured = 0;
  if (have < TCP.PORTS_LEN) { p.weird(A.truncated_tcp_header); p.payloadLen = 0; return; }
  p.hasPorts = true;
  p.sport = dv.getUint16(off + TCP.SRC_PORT);
  p.dport = dv.getUint16(off + TCP.DST_PORT);
  if (have < TCP.FLAGS_LEN) { p.weird(A.truncated_tcp_header); p.payloadLen = 0; return; }
  p.seq = dv.getUint32(off + TCP.SEQ);
  p.ack = dv.getUint32(off + TCP.ACK);
  const doff = dv.getUint16(off + TCP.DATA_OFF);
  p.tcpFlags = doff & 0x1ff;
  p.window = dv.getUint16(off + TCP.WINDOW);
  const hdr = (doff >>> 12) * 4;
  if (hdr < TCP.MIN_HEADER_LEN || hdr > l4Len) { p.weird(A.bad_tcp_data_offset); p.payloadLen = 0; return; }
  p.payloadLen = l4Len - hdr;
  p.tcpFull = have >= hdr;
  p.payloadOff = off + hdr;
  const captured = end - (off + hdr);
  p.payloadCaptured = captured <= 0 ? 0 : captured < p.payloadLen ? captured : p.payloadLen;
}
