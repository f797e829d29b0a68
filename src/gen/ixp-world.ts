/**
 * A small exchange-point world, made to test the context features end to end: an IX-F member
 * export, a pfx2as table and a capture of the peering LAN that agree with each other, plus one
 * member that misbehaves.
 *
 * - Five members and a route server on 185.1.0.0/24. The export lists the router MAC of every
 *   member but Delta, whose MAC the capture teaches through Delta's BGP session with the route
 *   server (OPENs, an UPDATE announcing Delta's prefix with AS path "64504").
 * - Charlie's customers reach Bravo's servers, with Charlie's router as the source MAC and Bravo's
 *   as the destination, and back; SYN to SYN-ACK about 10 ms, except one handshake at 80 ms (an
 *   RTT jump for Bravo's prefix).
 * - Delta's customers reach Alpha's servers.
 * - Echo hands over traffic whose source lies in Charlie's prefix: Echo neither originates it
 *   nor has a loaded route for it. That is the detour the context view must flag.
 */
import { PcapWriter } from './pcap-writer.js';

export interface WorldMember { asn: number; name: string; mac: string; ip: string; ip6: string; prefix: string; listMac: boolean }

export const WORLD_MEMBERS: readonly WorldMember[] = [
  { asn: 64501, name: 'Alpha Transit', mac: '02:00:5e:10:00:01', ip: '185.1.0.1', ip6: '2001:7f8:99::1', prefix: '198.51.100.0/24', listMac: true },
  { asn: 64502, name: 'Bravo Hosting', mac: '02:00:5e:10:00:02', ip: '185.1.0.2', ip6: '2001:7f8:99::2', prefix: '203.0.113.0/24', listMac: true },
  { asn: 64503, name: 'Charlie Access', mac: '02:00:5e:10:00:03', ip: '185.1.0.3', ip6: '2001:7f8:99::3', prefix: '192.0.2.0/24', listMac: true },
  { asn: 64504, name: 'Delta Networks', mac: '02:00:5e:10:00:04', ip: '185.1.0.4', ip6: '2001:7f8:99::4', prefix: '198.18.0.0/15', listMac: false },
  { asn: 64505, name: 'Echo Interceptor', mac: '02:00:5e:10:00:05', ip: '185.1.0.5', ip6: '2001:7f8:99::5', prefix: '10.55.0.0/16', listMac: true },
];
export const WORLD_ROUTE_SERVER = { asn: 64600, name: 'IX Route Server', mac: '02:00:5e:10:00:fe', ip: '185.1.0.254' };

export interface World { ixf: object; pfx2as: string; pcap: Buffer }

function macBytes(s: string): number[] { return s.split(':').map((h) => parseInt(h, 16)); }
function ipBytes(s: string): number[] { return s.split('.').map(Number); }
const be16 = (v: number): number[] => [(v >>> 8) & 255, v & 255];
const be32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

function frame(srcMac: string, dstMac: string, src: string, dst: string, sport: number, dport: number,
  flags: number, seq: number, ack: number, payload: number[] = []): Uint8Array {
  const tcp = [...be16(sport), ...be16(dport), ...be32(seq), ...be32(ack), 0x50, flags, ...be16(65535), 0, 0, 0, 0, ...payload];
  const ip = [0x45, 0, ...be16(20 + tcp.length), 0, 1, 0x40, 0, 64, 6, 0, 0, ...ipBytes(src), ...ipBytes(dst)];
  return Uint8Array.from([...macBytes(dstMac), ...macBytes(srcMac), 0x08, 0x00, ...ip, ...tcp]);
}

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;

/** BGP OPEN (RFC 4271) with the 4-octet AS capability (RFC 6793). */
function bgpOpen(asn: number, id: string): number[] {
  const cap = [2, 6, 65, 4, ...be32(asn)];
  const body = [4, ...be16(asn > 65535 ? 23456 : asn), ...be16(90), ...ipBytes(id), cap.length, ...cap];
  return [...new Array(16).fill(0xff), ...be16(19 + body.length), 1, ...body];
}

/** BGP UPDATE announcing one IPv4 prefix with an AS_SEQUENCE path of 4-byte ASNs. */
function bgpUpdate(prefix: string, path: number[], nextHop: string): number[] {
  const [addr, lenText] = prefix.split('/');
  const len = Number(lenText);
  const nlri = [len, ...ipBytes(addr).slice(0, Math.ceil(len / 8))];
  const attrs = [
    0x40, 1, 1, 0, // ORIGIN IGP
    0x40, 2, 2 + 4 * path.length, 2, path.length, ...path.flatMap(be32), // AS_PATH
    0x40, 3, 4, ...ipBytes(nextHop), // NEXT_HOP
  ];
  const body = [0, 0, ...be16(attrs.length), ...attrs, ...nlri];
  return [...new Array(16).fill(0xff), ...be16(19 + body.length), 2, ...body];
}

export function buildWorld(): World {
  const m = (asn: number): WorldMember => WORLD_MEMBERS.find((x) => x.asn === asn)!;
  const ixf = {
    version: '1.0',
    timestamp: '2026-11-25T00:00:00Z',
    ixp_list: [{
      ixp_id: 1, ixf_id: 999, shortname: 'TEST-IX', name: 'onpath test exchange',
      vlan: [{ id: 1, name: 'peering', ipv4: { prefix: '185.1.0.0', mask_length: 24 }, ipv6: { prefix: '2001:7f8:99::', mask_length: 64 } }],
    }],
    member_list: [...WORLD_MEMBERS, { ...WORLD_ROUTE_SERVER, ip6: '2001:7f8:99::fe', prefix: '', listMac: true }].map((x) => ({
      asnum: x.asn, name: x.name, member_type: x.asn === WORLD_ROUTE_SERVER.asn ? 'ixp' : 'peering',
      connection_list: [{
        ixp_id: 1, state: 'active', if_list: [{ switch_id: 1, if_speed: 10000 }],
        vlan_list: [{
          vlan_id: 1,
          ipv4: { address: x.ip, routeserver: true, mac_addresses: x.listMac ? [x.mac] : [] },
          ipv6: { address: x.ip6, routeserver: true, mac_addresses: x.listMac ? [x.mac] : [] },
        }],
      }],
    })),
  };
  const pfx2as = WORLD_MEMBERS.map((x) => `${x.prefix.split('/')[0]}\t${x.prefix.split('/')[1]}\t${x.asn}`).join('\n')
    + '\n185.1.0.0\t24\t64600\n';

  const w = PcapWriter.inMemory({ nsResolution: true });
  let t = 1764028800; // 2025-11-25
  let ns = 0;
  const put = (f: Uint8Array, gapNs: number): void => {
    ns += gapNs;
    while (ns >= 1e9) { t++; ns -= 1e9; }
    w.writePacket(t, ns, f);
  };
  // Delta's BGP session with the route server: teaches Delta's MAC and a route.
  const d = m(64504), rs = WORLD_ROUTE_SERVER;
  let cs = 1000, ss = 5000;
  put(frame(d.mac, rs.mac, d.ip, rs.ip, 40179, 179, SYN, cs, 0), 1e6);
  put(frame(rs.mac, d.mac, rs.ip, d.ip, 179, 40179, SYN | ACK, ss, cs + 1), 1e6);
  put(frame(d.mac, rs.mac, d.ip, rs.ip, 40179, 179, ACK, cs + 1, ss + 1), 1e6);
  const openD = bgpOpen(d.asn, d.ip), openRs = bgpOpen(rs.asn, rs.ip);
  put(frame(d.mac, rs.mac, d.ip, rs.ip, 40179, 179, PSH | ACK, cs + 1, ss + 1, openD), 1e6);
  put(frame(rs.mac, d.mac, rs.ip, d.ip, 179, 40179, PSH | ACK, ss + 1, cs + 1 + openD.length, openRs), 1e6);
  cs += 1 + openD.length; ss += 1 + openRs.length;
  const upd = bgpUpdate(d.prefix, [d.asn], d.ip);
  put(frame(d.mac, rs.mac, d.ip, rs.ip, 40179, 179, PSH | ACK, cs, ss, upd), 1e6);
  cs += upd.length;
  put(frame(rs.mac, d.mac, rs.ip, d.ip, 179, 40179, ACK, ss, cs), 1e6);

  /** One TCP connection across the LAN: client behind `from`, server behind `to`, SYN-ACK after `rttNs`. */
  const conn = (from: WorldMember, to: WorldMember, client: string, server: string, sport: number, dport: number, rttNs: number, viaMac = from.mac): void => {
    const c0 = 100000 + sport, s0 = 900000 + sport;
    put(frame(viaMac, to.mac, client, server, sport, dport, SYN, c0, 0), 5e6);
    put(frame(to.mac, viaMac, server, client, dport, sport, SYN | ACK, s0, c0 + 1), rttNs);
    put(frame(viaMac, to.mac, client, server, sport, dport, ACK, c0 + 1, s0 + 1), 1e6);
    const req = Array.from(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    put(frame(viaMac, to.mac, client, server, sport, dport, PSH | ACK, c0 + 1, s0 + 1, req), 1e6);
    put(frame(to.mac, viaMac, server, client, dport, sport, ACK | FIN, s0 + 1, c0 + 1 + req.length), 10e6);
    put(frame(viaMac, to.mac, client, server, sport, dport, ACK | FIN, c0 + 1 + req.length, s0 + 2), 1e6);
    put(frame(to.mac, viaMac, server, client, dport, sport, ACK, s0 + 2, c0 + 2 + req.length), 1e6);
  };
  const alpha = m(64501), bravo = m(64502), charlie = m(64503), echo = m(64505);
  for (let i = 0; i < 6; i++) conn(charlie, bravo, `192.0.2.${10 + i}`, '203.0.113.20', 50000 + i, 443, 10e6 + i * 2e5);
  conn(charlie, bravo, '192.0.2.30', '203.0.113.20', 50100, 443, 80e6); // the RTT jump
  for (let i = 0; i < 3; i++) conn(d, alpha, `198.18.5.${5 + i}`, '198.51.100.7', 51000 + i, 80, 15e6);
  // Echo delivers traffic from Charlie's prefix: a detour.
  conn(charlie, bravo, '192.0.2.66', '203.0.113.21', 52000, 443, 10e6, echo.mac);
  w.closeSync();
  return { ixf, pfx2as, pcap: w.toBuffer() };
}
