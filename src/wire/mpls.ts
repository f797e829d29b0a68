import { A } from './anomaly.js';
import { decodeIpByVersion } from './ip.js';
import { L3, type Decoded } from './packet.js';
import { ETHERTYPE } from './ethertype.js';

/** MPLS label stack entry (RFC 3032): label 20 bits, TC 3, S 1, TTL 8. */
export const MPLS = { ENTRY_LEN: 4, BOTTOM_OF_STACK: 0x100, LABEL_SHIFT: 12 } as const;

const MAX_LABELS = 8;

export function decodeMpls(p: Decoded, dv: DataView, off: number, end: number, outer: boolean): void {
  for (let n = 0; ; n++) {
    if (n >= MAX_LABELS) { p.weird(A.mpls_depth_exceeded); p.l3 = L3.Bad; return; }
    if (end - off < MPLS.ENTRY_LEN) { p.weird(A.truncated_mpls_header); p.l3 = L3.Bad; return; }
    const entry = dv.getUint32(off);
    if (n === 0 && outer && p.mplsLabel < 0) p.mplsLabel = entry >>> MPLS.LABEL_SHIFT;
    off += MPLS.ENTRY_LEN;
    if ((entry & MPLS.BOTTOM_OF_STACK) !== 0) break;
  }
  // No payload type in MPLS: the IP version nibble decides, as Zeek does.
  if (end - off >= 1) {
    const v = dv.getUint8(off) >> 4;
    if (v === 4 || v === 6) { decodeIpByVersion(p, dv, off, end); return; }
  }
  p.weird(A.mpls_unknown_payload);
  p.ethertype = ETHERTYPE.MPLS_UC;
  p.l3 = L3.NonIp;
}
