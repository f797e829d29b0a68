import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { decodeEthernet, decodeEthertype } from './ethernet.js';
import { decodeIpByVersion } from './ip.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeNull } from './null-loop.js';
import { decodePpp } from './ppp.js';
import { decodeNflog } from './nflog.js';

/** Link-layer header types (tcpdump.org/linktypes.html) that onpath decodes. */
export const LINKTYPE = {
  NULL: 0, ETHERNET: 1, PPP: 9, RAW_OPENBSD: 12, RAW_BSDOS: 14, PPP_HDLC: 50, RAW: 101, LOOP: 108,
  LINUX_SLL: 113, IPV4: 228, IPV6: 229, NFLOG: 239, LINUX_SLL2: 276,
} as const;

export const LINKTYPE_NAMES: Record<number, string> = {
  0: 'null', 1: 'ethernet', 9: 'ppp', 12: 'raw', 14: 'raw', 50: 'ppp-hdlc', 101: 'raw', 108: 'loop',
  113: 'linux-sll', 228: 'ipv4', 229: 'ipv6', 239: 'nflog', 276: 'linux-sll2',
};

export function decodeLink(p: Decoded, dv: DataView, linktype: number, off: number, end: number): void {
  switch (linktype) {
    case LINKTYPE.ETHERNET: decodeEthernet(p, dv, off, end, true); return;
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OPENBSD:
    case LINKTYPE.RAW_BSDOS: decodeIpByVersion(p, dv, off, end); return;
    case LINKTYPE.IPV4: decodeIpv4(p, dv, off, end); return;
    case LINKTYPE.IPV6: decodeIpv6(p, dv, off, end); return;
    case LINKTYPE.LINUX_SLL: decodeSll(p, dv, off, end); return;
    case LINKTYPE.LINUX_SLL2: decodeSll2(p, dv, off, end); return;
    case LINKTYPE.NULL: decodeNull(p, dv, off, end, false); return;
    case LINKTYPE.LOOP: decodeNull(p, dv, off, end, true); return;
    case LINKTYPE.PPP: decodePpp(p, dv, off, end); return;
    case LINKTYPE.PPP_HDLC:
      // Link type 50 also carries Cisco HDLC: address 0x0f (unicast) or 0x8f (broadcast), 0x00, then an EtherType.
      if (end - off >= 4 && (dv.getUint8(off) === 0x0f || dv.getUint8(off) === 0x8f) && dv.getUint8(off + 1) === 0) {
        decodeEthertype(p, dv, dv.getUint16(off + 2), off + 4, end, true);
        return;
      }
      decodePpp(p, dv, off, end);
      return;
    case LINKTYPE.NFLOG: decodeNflog(p, dv, off, end); return;
    default: p.weird(A.unknown_linktype); p.l3 = L3.Bad;
  }
}
