import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

/** BSD loopback (LINKTYPE_NULL 0: family in the writer's byte order; LINKTYPE_LOOP 108: network order). */
export const NULL_LINK = { FAMILY: 0, HEADER_LEN: 4 } as const;

const AF_INET = 2;
// AF_INET6 differs between systems: Linux 10, FreeBSD 28, Darwin 30, NetBSD/OpenBSD 24.
function isInet6(f: number): boolean { return f === 24 || f === 28 || f === 30 || f === 10; }

export function decodeNull(p: Decoded, dv: DataView, off: number, end: number, networkOrder: boolean): void {
  if (end - off < NULL_LINK.HEADER_LEN) { p.weird(A.truncated_link_header); p.l3 = L3.Bad; return; }
  let family = dv.getUint32(off, !networkOrder);
  // Written on a machine of the other byte order: the value sits in the high half.
  if ((family & 0xffff) === 0 && family !== 0) family = dv.getUint32(off, networkOrder);
  const ip = off + NULL_LINK.HEADER_LEN;
  if (family === AF_INET) decodeIpv4(p, dv, ip, end);
  else if (isInet6(family)) decodeIpv6(p, dv, ip, end);
  else { p.weird(A.null_unknown_family); p.l3 = L3.Bad; }
}
