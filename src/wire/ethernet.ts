import { A } from './anomaly.js';
import { ETHERTYPE } from './ethertype.js';
import { decodeIpv4, decodeIpv6 } from './ip.js';
import { decodeMpls } from './mpls.js';
import { decodePppoe } from './ppp.js';
import { L3, readMac, type Decoded } from './packet.js';

/** Ethernet II / 802.3 (IEEE 802.3). */
export const ETH = { DST: 0, SRC: 6, TYPE: 12, HEADER_LEN: 14, MIN_ETHERTYPE: 0x0600 } as const;
/** An 802.1Q / 802.1ad tag after the TPID: TCI then the next EtherType. */
export const VLAN = { TCI: 0, TYPE: 2, TAG_LEN: 4, VID_MASK: 0x0fff } as const;

const MAX_VLAN_DEPTH = 4;

/** Ethernet frame at `off`. `outer` = the frame is on the capture's own link (not inside a tunnel). */
export function decodeEthernet(p: Decoded, dv: DataView, off: number, end: number, outer: boolean): void {
  if (end - off < ETH.HEADER_LEN) { p.weird(A.truncated_link_header); p.l3 = L3.Bad; return; }
  if (outer) {
    p.dstMac = readMac(dv, off + ETH.DST);
    p.srcMac = readMac(dv, off + ETH.SRC);
  }
  const type = dv.getUint16(off + ETH.TYPE);
  if (type < ETH.MIN_ETHERTYPE) { p.ethertype = 0; p.l3 = L3.NonIp; return; } // 802.3 length: LLC/SNAP, STP, ...
  decodeEthertype(p, dv, type, off + ETH.HEADER_LEN, end, outer);
}

/** Dispatches on an EtherType, unwrapping VLAN tags and MPLS on the way to IP. */
export function decodeEthertype(p: Decoded, dv: DataView, type: number, off: number, end: number, outer: boolean): void {
  let depth = 0;
  while (type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_OLD || type === ETHERTYPE.QINQ_OLD2) {
    if (end - off < VLAN.TAG_LEN) { p.weird(A.truncated_vlan_header); p.l3 = L3.Bad; return; }
    if (++depth > MAX_VLAN_DEPTH) { p.weird(A.vlan_depth_exceeded); p.l3 = L3.Bad; return; }
    if (outer) {
      const vid = dv.getUint16(off + VLAN.TCI) & VLAN.VID_MASK;
      if (p.vlanDepth === 0) p.vlanOuter = vid;
      else if (p.vlanDepth === 1) p.vlanInner = vid;
      p.vlanDepth++;
    }
    type = dv.getUint16(off + VLAN.TYPE);
    off += VLAN.TAG_LEN;
  }
  switch (type) {
    case ETHERTYPE.IPV4: decodeIpv4(p, dv, off, end); return;
    case ETHERTYPE.IPV6: decodeIpv6(p, dv, off, end); return;
    case ETHERTYPE.MPLS_UC:
    case ETHERTYPE.MPLS_MC: decodeMpls(p, dv, off, end, outer); return;
    case ETHERTYPE.PPPOE_SESSION: decodePppoe(p, dv, off, end); return;
    default:
      if (type < ETH.MIN_ETHERTYPE) type = 0;
      p.ethertype = type;
      p.l3 = L3.NonIp;
      // The L3 payload, for what reads non-IP frames (ARP bindings).
      p.payloadOff = off;
      p.payloadCaptured = end > off ? end - off : 0;
  }
}


/** Whether an Ethernet frame (after any VLAN tags) carries IP: checked before entering a tunnel. */
export function etherCarriesIp(dv: DataView, off: number, end: number): boolean {
  let pos = off + ETH.TYPE;
  for (let depth = 0; depth <= MAX_VLAN_DEPTH; depth++) {
    if (end - pos < 2) return false;
    const t = dv.getUint16(pos);
    if (t === ETHERTYPE.IPV4 || t === ETHERTYPE.IPV6 || t === ETHERTYPE.MPLS_UC) return true;
    if (t !== ETHERTYPE.VLAN && t !== ETHERTYPE.QINQ && t !== ETHERTYPE.QINQ_OLD && t !== ETHERTYPE.QINQ_OLD2) return false;
    pos += VLAN.TAG_LEN;
  }
  return false;
}
