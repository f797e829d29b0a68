import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { enterTunnel } from './ip.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeEthernet, etherCarriesIp } from './ethernet.js';
import { TUNNEL } from './tunnel-kind.js';

/** VXLAN (RFC 7348), GTP-U (3GPP TS 29.281) and Teredo (RFC 4380), found by their UDP ports as Zeek does. */
export const VXLAN = { PORT: 4789, HEADER_LEN: 8, FLAG_I: 0x08 } as const;
export const GTPU = {
  PORT: 2152, HEADER_LEN: 8, OPT_LEN: 4, VERSION_1: 0x20, PT: 0x10, E: 0x04, S: 0x02, PN: 0x01, GPDU: 0xff,
} as const;
export const TEREDO = { PORT: 3544, AUTH_TYPE: 0x0001, ORIGIN_TYPE: 0x0000, ORIGIN_LEN: 8 } as const;

const UDP_HEADER_LEN = 8;
const MAX_GTP_EXT = 8;

export function decodeUdpTunnel(p: Decoded, dv: DataView, off: number, end: number, ipEnd: number): void {
  const sport = p.sport, dport = p.dport;
  const pl = off + UDP_HEADER_LEN;
  if (dport === VXLAN.PORT || sport === VXLAN.PORT) vxlan(p, dv, pl, end, ipEnd);
  else if (dport === GTPU.PORT || sport === GTPU.PORT) gtpu(p, dv, pl, end, ipEnd);
  else if (dport === TEREDO.PORT || sport === TEREDO.PORT) teredo(p, dv, pl, end, ipEnd);
}

function vxlan(p: Decoded, dv: DataView, off: number, end: number, ipEnd: number): void {
  if (end - off < VXLAN.HEADER_LEN + 14 + 20) return;
  if ((dv.getUint8(off) & VXLAN.FLAG_I) === 0) return;
  if (!etherCarriesIp(dv, off + VXLAN.HEADER_LEN, end)) return; // e.g. ARP inside: the outer UDP is the flow
  if (!enterTunnel(p, TUNNEL.Vxlan, ipEnd)) return;
  decodeEthernet(p, dv, off + VXLAN.HEADER_LEN, end, false);
  if (p.l3 !== L3.Ip) p.l3 = L3.Bad;
}

function gtpu(p: Decoded, dv: DataView, off: number, end: number, ipEnd: number): void {
  if (end - off < GTPU.HEADER_LEN) return;
  const flags = dv.getUint8(off);
  if ((flags & 0xe0) !== GTPU.VERSION_1 || (flags & GTPU.PT) === 0) return;
  if (dv.getUint8(off + 1) !== GTPU.GPDU) return; // signalling (echo, error indication) is not user data
  let pos = off + GTPU.HEADER_LEN;
  if ((flags & (GTPU.E | GTPU.S | GTPU.PN)) !== 0) {
    if (end - pos < GTPU.OPT_LEN) { p.weird(A.truncated_tunnel_header); return; }
    let nextExt = dv.getUint8(pos + 3);
    pos += GTPU.OPT_LEN;
    for (let n = 0; (flags & GTPU.E) !== 0 && nextExt !== 0; n++) {
      if (n >= MAX_GTP_EXT || end - pos < 1) { p.weird(A.truncated_tunnel_header); return; }
      const len = dv.getUint8(pos) * 4;
      if (len === 0 || end - pos < len) { p.weird(A.truncated_tunnel_header); return; }
      nextExt = dv.getUint8(pos + len - 1);
      pos += len;
    }
  }
  innerIp(p, dv, pos, end, ipEnd, TUNNEL.GtpU);
}

function teredo(p: Decoded, dv: DataView, off: number, end: number, ipEnd: number): void {
  let pos = off;
  if (end - pos >= 4 && dv.getUint16(pos) === TEREDO.AUTH_TYPE) {
    const idLen = dv.getUint8(pos + 2), authLen = dv.getUint8(pos + 3);
    pos += 4 + idLen + authLen + 8 + 1;
  }
  if (end - pos >= TEREDO.ORIGIN_LEN && dv.getUint16(pos) === TEREDO.ORIGIN_TYPE) pos += TEREDO.ORIGIN_LEN;
  if (end - pos < 40 || dv.getUint8(pos) >> 4 !== 6) return;
  // Zeek's check: the IPv6 payload length must agree with what the UDP datagram holds.
  if (dv.getUint16(pos + 4) + 40 > ipEnd - pos) return;
  innerIp(p, dv, pos, end, ipEnd, TUNNEL.Teredo);
}

function innerIp(p: Decoded, dv: DataView, off: number, end: number, ipEnd: number, kind: number): void {
  if (end - off < 1) { p.weird(A.truncated_tunnel_header); return; }
  const v = dv.getUint8(off) >> 4;
  if ((v !== 4 || end - off < 20) && (v !== 6 || end - off < 40)) { p.weird(A.truncated_tunnel_header); return; }
  if (!enterTunnel(p, kind, ipEnd)) return;
  if (v === 4) decodeIpv4(p, dv, off, end); else decodeIpv6(p, dv, off, end);
}
