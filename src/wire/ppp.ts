import { A } from './anomaly.js';
import { decodeIpv4, decodeIpv6 } from './ip.js';
import { decodeMpls } from './mpls.js';
import { L3, type Decoded } from './packet.js';

/** PPP (RFC 1661) protocol numbers, and the HDLC-like framing of RFC 1662. */
export const PPP = {
  ADDRESS: 0xff, CONTROL: 0x03,
  IPV4: 0x0021, IPV6: 0x0057, MPLS_UC: 0x0281, MPLS_MC: 0x0283,
} as const;
/** PPPoE session header (RFC 2516): ver/type, code, session id, length, then the PPP protocol. */
export const PPPOE = { HEADER_LEN: 6, PROTO: 6 } as const;

/** PPP frame, with or without the ff 03 address/control prefix and with protocol-field compression. */
export function decodePpp(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off >= 2 && dv.getUint8(off) === PPP.ADDRESS && dv.getUint8(off + 1) === PPP.CONTROL) off += 2;
  if (end - off < 1) { p.weird(A.truncated_ppp_header); p.l3 = L3.Bad; return; }
  let proto = dv.getUint8(off);
  if ((proto & 1) === 1) off += 1; // compressed one-byte protocol
  else {
    if (end - off < 2) { p.weird(A.truncated_ppp_header); p.l3 = L3.Bad; return; }
    proto = dv.getUint16(off);
    off += 2;
  }
  decodePppProto(p, dv, proto, off, end);
}

export function decodePppProto(p: Decoded, dv: DataView, proto: number, off: number, end: number): void {
  switch (proto) {
    case PPP.IPV4: decodeIpv4(p, dv, off, end); return;
    case PPP.IPV6: decodeIpv6(p, dv, off, end); return;
    case PPP.MPLS_UC:
    case PPP.MPLS_MC: decodeMpls(p, dv, off, end, true); return;
    default: p.weird(A.ppp_unknown_protocol); p.ethertype = 0x880b; p.l3 = L3.NonIp;
  }
}

export function decodePppoe(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < PPPOE.HEADER_LEN + 2) { p.weird(A.truncated_pppoe_header); p.l3 = L3.Bad; return; }
  decodePppProto(p, dv, dv.getUint16(off + PPPOE.PROTO), off + PPPOE.HEADER_LEN + 2, end);
}

/** Whether a PPP frame carries IP or MPLS: checked before entering a tunnel. */
export function pppCarriesIp(dv: DataView, off: number, end: number): boolean {
  if (end - off >= 2 && dv.getUint8(off) === PPP.ADDRESS && dv.getUint8(off + 1) === PPP.CONTROL) off += 2;
  if (end - off < 1) return false;
  let proto = dv.getUint8(off);
  if ((proto & 1) === 0) { if (end - off < 2) return false; proto = dv.getUint16(off); }
  return proto === PPP.IPV4 || proto === PPP.IPV6 || proto === PPP.MPLS_UC || proto === PPP.MPLS_MC;
}
