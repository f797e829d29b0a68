import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { ETHERTYPE } from './ethertype.js';
import { enterTunnel } from './ip.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeEthernet, etherCarriesIp } from './ethernet.js';
import { decodePpp, pppCarriesIp } from './ppp.js';
import { TUNNEL } from './tunnel-kind.js';

/** GRE (RFC 2784/2890) and enhanced GRE v1 (RFC 2637, PPTP). */
export const GRE = {
  FLAGS: 0, PROTO: 2, BASE_LEN: 4,
  C: 0x8000, R: 0x4000, K: 0x2000, S: 0x1000, A: 0x0080, VERSION_MASK: 0x0007,
  ERSPAN2_LEN: 8, ERSPAN3_LEN: 12, ERSPAN3_O: 0x0001,
} as const;

/** A GRE packet that cannot be unwrapped stays a flow of the outer IP header (protocol 47). */
export function decodeGre(p: Decoded, dv: DataView, off: number, end: number, ipEnd: number): void {
  if (end - off < GRE.BASE_LEN) { p.weird(A.truncated_gre_header); return; }
  const flags = dv.getUint16(off + GRE.FLAGS);
  const proto = dv.getUint16(off + GRE.PROTO);
  const version = flags & GRE.VERSION_MASK;
  if (version > 1) { p.weird(A.bad_gre_version); return; }
  if ((flags & GRE.R) !== 0) { p.weird(A.gre_unknown_protocol); return; } // source routing: obsolete, not followed
  let hdr = GRE.BASE_LEN;
  if ((flags & GRE.C) !== 0) hdr += 4;
  if ((flags & GRE.K) !== 0) hdr += 4;
  if ((flags & GRE.S) !== 0) hdr += 4;
  if (version === 1 && (flags & GRE.A) !== 0) hdr += 4;
  let inner = off + hdr;
  if (version === 1 && inner >= ipEnd) return; // PPTP acknowledgement without payload
  switch (proto) {
    case ETHERTYPE.IPV4:
      if (end - inner < 20) { p.weird(A.truncated_tunnel_header); return; }
      if (enterTunnel(p, TUNNEL.Gre, ipEnd)) decodeIpv4(p, dv, inner, end);
      return;
    case ETHERTYPE.IPV6:
      if (end - inner < 40) { p.weird(A.truncated_tunnel_header); return; }
      if (enterTunnel(p, TUNNEL.Gre, ipEnd)) decodeIpv6(p, dv, inner, end);
      return;
    case ETHERTYPE.TEB:
      if (end - inner < 14 + 20) { p.weird(A.truncated_tunnel_header); return; }
      if (etherCarriesIp(dv, inner, end) && enterTunnel(p, TUNNEL.Gre, ipEnd)) innerEthernet(p, dv, inner, end);
      return;
    case ETHERTYPE.ERSPAN_2:
    case ETHERTYPE.ERSPAN_3: {
      // ERSPAN type I (no sequence bit) has no header of its own; II has 8 bytes, III 12 (+8 optional).
      if (proto === ETHERTYPE.ERSPAN_2 && (flags & GRE.S) !== 0) inner += GRE.ERSPAN2_LEN;
      else if (proto === ETHERTYPE.ERSPAN_3) {
        if (end - inner < GRE.ERSPAN3_LEN) { p.weird(A.truncated_tunnel_header); return; }
        const o = dv.getUint16(inner + 10) & GRE.ERSPAN3_O;
        inner += GRE.ERSPAN3_LEN + (o !== 0 ? 8 : 0);
      }
      if (end - inner < 14 + 20) { p.weird(A.truncated_tunnel_header); return; }
      if (etherCarriesIp(dv, inner, end) && enterTunnel(p, TUNNEL.Gre, ipEnd)) innerEthernet(p, dv, inner, end);
      return;
    }
    case ETHERTYPE.PPP:
      if (!pppCarriesIp(dv, inner, end)) return; // LCP, CCP, ...: the GRE packet is the flow
      if (end - inner < 2 + 20) { p.weird(A.truncated_tunnel_header); return; }
      if (enterTunnel(p, TUNNEL.Gre, ipEnd)) innerPpp(p, dv, inner, end);
      return;
    default:
      p.weird(A.gre_unknown_protocol);
  }
}

function innerEthernet(p: Decoded, dv: DataView, off: number, end: number): void {
  decodeEthernet(p, dv, off, end, false);
  if (p.l3 !== L3.Ip) p.l3 = L3.Bad;
}

function innerPpp(p: Decoded, dv: DataView, off: number, end: number): void {
  decodePpp(p, dv, off, end);
  if (p.l3 !== L3.Ip) p.l3 = L3.Bad;
}
