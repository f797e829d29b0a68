import { A } from './anomaly.js';
import type { Decoded } from './packet.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeIcmp } from './icmp.js';
import { decodeSctp } from './sctp.js';
import { decodeGre } from './gre.js';
import { decodeUdpTunnel } from './udp-tunnels.js';
import { enterTunnel } from './ip.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { TUNNEL } from './tunnel-kind.js';

export const IPPROTO = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, GRE: 47, ICMPV6: 58, SCTP: 132 } as const;

/**
 * Transport dispatch. `end` bounds the captured bytes of this IP packet, `l4Len` is what
 * the IP header says the transport holds, `ipEnd` where the IP packet ends on the wire.
 */
export function decodeTransport(p: Decoded, dv: DataView, proto: number, off: number, end: number, l4Len: number, ipEnd: number): void {
  switch (proto) {
    case IPPROTO.TCP: decodeTcp(p, dv, off, end, l4Len); return;
    case IPPROTO.UDP:
      if (decodeUdp(p, dv, off, end, l4Len) && !p.isFragment) decodeUdpTunnel(p, dv, off, end, ipEnd);
      return;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6: decodeIcmp(p, dv, off, end, l4Len); return;
    case IPPROTO.SCTP: decodeSctp(p, dv, off, end, l4Len); return;
    case IPPROTO.IPIP:
    case IPPROTO.IPV6: {
      p.payloadLen = l4Len;
      if (p.isFragment) return;
      const need = proto === IPPROTO.IPIP ? 20 : 40;
      if (end - off < need) { p.weird(A.truncated_tunnel_header); return; }
      if (!enterTunnel(p, TUNNEL.IpInIp, ipEnd)) return;
      if (proto === IPPROTO.IPIP) decodeIpv4(p, dv, off, end); else decodeIpv6(p, dv, off, end);
      return;
    }
    case IPPROTO.GRE:
      p.payloadLen = l4Len;
      if (!p.isFragment) decodeGre(p, dv, off, end, ipEnd);
      return;
    default:
      p.payloadLen = l4Len;
  }
}
