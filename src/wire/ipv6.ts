import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { decodeTransport } from './transport.js';

/** IPv6 header (RFC 8200) and the extension headers walked to reach the transport. */
export const IPV6 = {
  VER: 0, PAYLOAD_LEN: 4, NEXT_HEADER: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, HEADER_LEN: 40,
  HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, NO_NEXT: 59, DEST_OPTS: 60,
  MOBILITY: 135, HIP: 139, SHIM6: 140,
  FRAG_HEADER_LEN: 8, FRAG_OFFSET_FIELD: 2, FRAG_ID: 4, FRAG_M: 1,
} as const;

const MAX_EXT_HEADERS = 16;

export function decodeIpv6(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < IPV6.HEADER_LEN) { p.weird(A.truncated_ip_header); p.l3 = L3.Bad; return; }
  if (dv.getUint8(off) >> 4 !== 6) { p.weird(A.bad_ip_version); p.l3 = L3.Bad; return; }
  const payloadLen = dv.getUint16(off + IPV6.PAYLOAD_LEN);
  const wireAvail = p.wireEnd - off;
  let total = payloadLen + IPV6.HEADER_LEN;
  // Zero: a jumbogram (hop-by-hop follows) or a TSO capture; with no next header it really is empty.
  if (payloadLen === 0 && dv.getUint8(off + IPV6.NEXT_HEADER) !== IPV6.NO_NEXT) total = wireAvail;
  if (total > wireAvail) p.weird(A.ip_total_len_gt_wire);
  p.l3 = L3.Ip;
  p.ipVersion = 6;
  for (let i = 0; i < 4; i++) {
    p.src[i] = dv.getUint32(off + IPV6.SRC + 4 * i);
    p.dst[i] = dv.getUint32(off + IPV6.DST + 4 * i);
  }
  p.ttl = dv.getUint8(off + IPV6.HOP_LIMIT);
  p.ipLen = total;
  const ipEnd = off + total;
  let next = dv.getUint8(off + IPV6.NEXT_HEADER);
  let pos = off + IPV6.HEADER_LEN;
  for (let n = 0; ; n++) {
    let extLen: number;
    const isExt = next === IPV6.HOP_BY_HOP || next === IPV6.ROUTING || next === IPV6.DEST_OPTS || next === IPV6.MOBILITY ||
      next === IPV6.HIP || next === IPV6.SHIM6 || next === IPV6.AH || next === IPV6.FRAGMENT;
    if (isExt && n >= MAX_EXT_HEADERS) { p.weird(A.ipv6_ext_chain_too_long); p.proto = next; p.payloadLen = Math.max(0, ipEnd - pos); return; }
    if (next === IPV6.HOP_BY_HOP || next === IPV6.ROUTING || next === IPV6.DEST_OPTS ||
        next === IPV6.MOBILITY || next === IPV6.HIP || next === IPV6.SHIM6) {
      if (end - pos < 2) break;
      extLen = (dv.getUint8(pos + 1) + 1) * 8;
    } else if (next === IPV6.AH) {
      if (end - pos < 2) break;
      extLen = (dv.getUint8(pos + 1) + 2) * 4;
    } else if (next === IPV6.FRAGMENT) {
      if (end - pos < IPV6.FRAG_HEADER_LEN) break;
      const fo = dv.getUint16(pos + IPV6.FRAG_OFFSET_FIELD);
      p.isFragment = true;
      p.fragFirst = (fo & 0xfff8) === 0;
      p.fragId = dv.getUint32(pos + IPV6.FRAG_ID);
      const nh = dv.getUint8(pos);
      pos += IPV6.FRAG_HEADER_LEN;
      next = nh;
      if (!p.fragFirst) { p.proto = next; p.payloadLen = Math.max(0, ipEnd - pos); return; }
      continue;
    } else {
      p.proto = next;
      const l4Len = ipEnd - pos;
      decodeTransport(p, dv, next, pos, ipEnd < end ? ipEnd : end, l4Len < 0 ? 0 : l4Len, ipEnd);
      return;
    }
    next = dv.getUint8(pos);
    pos += extLen;
  }
  // The chain runs past the captured bytes.
  p.weird(A.truncated_ipv6_ext_header);
  p.proto = next;
  p.payloadLen = Math.max(0, ipEnd - pos);
}
