import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { setV4 } from './ip.js';
import { decodeTransport } from './transport.js';

/** IPv4 header (RFC 791). */
export const IPV4 = {
  VER_IHL: 0, TOTAL_LEN: 2, ID: 4, FLAGS_FRAG: 6, TTL: 8, PROTO: 9, SRC: 12, DST: 16,
  MIN_HEADER_LEN: 20, MF: 0x2000, FRAG_OFFSET_MASK: 0x1fff,
} as const;

export function decodeIpv4(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < IPV4.MIN_HEADER_LEN) { p.weird(A.truncated_ip_header); p.l3 = L3.Bad; return; }
  const verIhl = dv.getUint8(off + IPV4.VER_IHL);
  if (verIhl >> 4 !== 4) { p.weird(A.bad_ip_version); p.l3 = L3.Bad; return; }
  const ihl = (verIhl & 15) * 4;
  if (ihl < IPV4.MIN_HEADER_LEN) { p.weird(A.bad_ipv4_ihl); p.l3 = L3.Bad; return; }
  const wireAvail = p.wireEnd - off;
  let total = dv.getUint16(off + IPV4.TOTAL_LEN);
  // A zero total length is what TSO/GSO leaves in locally captured packets: use the frame.
  if (total === 0) total = wireAvail;
  if (total < ihl) { p.weird(A.ip_total_len_lt_header); p.l3 = L3.Bad; return; }
  if (total > wireAvail) p.weird(A.ip_total_len_gt_wire);
  p.l3 = L3.Ip;
  p.ipVersion = 4;
  setV4(p.src, dv.getUint32(off + IPV4.SRC));
  setV4(p.dst, dv.getUint32(off + IPV4.DST));
  p.ttl = dv.getUint8(off + IPV4.TTL);
  const proto = dv.getUint8(off + IPV4.PROTO);
  p.proto = proto;
  p.ipLen = total;
  const ff = dv.getUint16(off + IPV4.FLAGS_FRAG);
  const fragOff = ff & IPV4.FRAG_OFFSET_MASK;
  const l4Len = total - ihl;
  if (fragOff !== 0 || (ff & IPV4.MF) !== 0) {
    p.isFragment = true;
    p.fragFirst = fragOff === 0;
    p.fragId = dv.getUint16(off + IPV4.ID);
    if (!p.fragFirst) { p.payloadLen = l4Len; return; }
  }
  if (end - off < ihl) { p.weird(A.truncated_ip_header); p.payloadLen = l4Len; return; }
  const l4 = off + ihl;
  const ipEnd = off + total;
  decodeTransport(p, dv, proto, l4, ipEnd < end ? ipEnd : end, l4Len, ipEnd);
}
