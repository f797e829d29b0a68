import { A } from './anomaly.js';
import { L3, readMac, type Decoded } from './packet.js';
import { decodeEthertype } from './ethernet.js';

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113) and v2 (LINKTYPE_LINUX_SLL2, 276). */
export const SLL = { PKTTYPE: 0, HATYPE: 2, ADDR_LEN: 4, ADDR: 6, PROTO: 14, HEADER_LEN: 16 } as const;
export const SLL2 = { PROTO: 0, IFINDEX: 4, HATYPE: 8, PKTTYPE: 10, ADDR_LEN: 11, ADDR: 12, HEADER_LEN: 20 } as const;

const ARPHRD_ETHER = 1;
const PKTTYPE_OUTGOING = 4;

export function decodeSll(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < SLL.HEADER_LEN) { p.weird(A.truncated_sll_header); p.l3 = L3.Bad; return; }
  cookedMac(p, dv, dv.getUint16(off + SLL.HATYPE), dv.getUint16(off + SLL.ADDR_LEN), off + SLL.ADDR, dv.getUint16(off + SLL.PKTTYPE));
  decodeEthertype(p, dv, dv.getUint16(off + SLL.PROTO), off + SLL.HEADER_LEN, end, true);
}

export function decodeSll2(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < SLL2.HEADER_LEN) { p.weird(A.truncated_sll_header); p.l3 = L3.Bad; return; }
  cookedMac(p, dv, dv.getUint16(off + SLL2.HATYPE), dv.getUint8(off + SLL2.ADDR_LEN), off + SLL2.ADDR, dv.getUint8(off + SLL2.PKTTYPE));
  decodeEthertype(p, dv, dv.getUint16(off + SLL2.PROTO), off + SLL2.HEADER_LEN, end, true);
}

/** Cooked headers carry only the sender's link address. */
function cookedMac(p: Decoded, dv: DataView, hatype: number, addrLen: number, addrOff: number, pkttype: number): void {
  if (hatype === ARPHRD_ETHER && addrLen === 6) {
    p.srcMac = readMac(dv, addrOff);
    if (pkttype === PKTTYPE_OUTGOING) p.dstMac = NaN;
  }
}
