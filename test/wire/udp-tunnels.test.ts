import { describe, expect, it } from 'vitest';
import {
  ETHERTYPE, IPPROTO, TCPF, cat, ether, fill, gtpu, icmp, ipv4, ipv6, macNum, norm, tcp, teredoAuth, teredoOrigin, udp, vxlan,
} from '../helpers/bytes.js';
import { LT, decode } from './decode.js';

const VXLAN = 3, GTPU = 4, TEREDO = 5;

const innerV4 = ipv4({ proto: IPPROTO.TCP, src: '100.64.0.1', dst: '100.64.0.2', ttl: 30 }, tcp({ sport: 12345, dport: 443, flags: TCPF.ACK }, fill(33)));
const innerV6 = ipv6({ next: IPPROTO.UDP, src: '2001:db8:1::1', dst: '2001:db8:2::2', hop: 17 }, udp(5000, 6000, fill(21)));
/** Ethernet / IPv4 198.51.100.1 -> 198.51.100.2 / UDP sport -> dport / payload. */
const outerUdp = (sport: number, dport: number, payload: ArrayLike<number>) => ether(ETHERTYPE.IPV4,
  ipv4({ proto: IPPROTO.UDP, src: '198.51.100.1', dst: '198.51.100.2', ttl: 64 }, udp(sport, dport, payload)), { src: '0c:0c:0c:0c:0c:0c' });

describe('VXLAN (4789)', () => {
  it('inner Ethernet/IPv4: innermost header in Decoded, outer addresses as tunnel endpoints', () => {
    const frame = outerUdp(49152, 4789, vxlan(5001, ether(ETHERTYPE.IPV4, innerV4, { src: '0d:0d:0d:0d:0d:0d' })));
    const { p, src, dst, tunnelSrc, tunnelDst, weird } = decode(LT.ETHERNET, frame);
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, tunnelDst]).toEqual([VXLAN, '198.51.100.1', '198.51.100.2']);
    expect([src, dst, p.proto, p.sport, p.dport, p.ttl, p.ipLen, p.payloadLen]).toEqual(['100.64.0.1', '100.64.0.2', 6, 12345, 443, 30, 73, 33]);
    expect(p.srcMac).toBe(macNum('0c:0c:0c:0c:0c:0c'));
  });

  it('source port 4789 too; inner VLAN-tagged IPv6', () => {
    const frame = outerUdp(4789, 50000, vxlan(1, ether(ETHERTYPE.IPV6, innerV6, { tags: [[0x8100, 12]] })));
    const { p, src } = decode(LT.ETHERNET, frame);
    expect([p.tunnelKind, p.ipVersion, src, p.sport, p.dport, p.vlanOuter]).toEqual([VXLAN, 6, norm('2001:db8:1::1'), 5000, 6000, -1]);
  });

  it('ARP inside stays the outer UDP flow', () => {
    const frame = outerUdp(49152, 4789, vxlan(5001, ether(ETHERTYPE.ARP, fill(28))));
    const { p, src, dst, weird } = decode(LT.ETHERNET, frame);
    expect(weird).toEqual({});
    expect([p.l3, p.tunnelKind, src, dst, p.proto, p.sport, p.dport]).toEqual([1, 0, '198.51.100.1', '198.51.100.2', 17, 49152, 4789]);
  });

  it('without the I flag it is not unwrapped', () => {
    const { p } = decode(LT.ETHERNET, outerUdp(49152, 4789, vxlan(1, ether(ETHERTYPE.IPV4, innerV4), 0x00)));
    expect([p.tunnelKind, p.dport]).toEqual([0, 4789]);
  });
});

describe('GTP-U (2152)', () => {
  it('G-PDU without optional fields carrying IPv4', () => {
    const { p, src, tunnelSrc, weird } = decode(LT.ETHERNET, outerUdp(2152, 2152, gtpu({}, innerV4)));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, src, p.sport, p.dport, p.payloadLen]).toEqual([GTPU, '198.51.100.1', '100.64.0.1', 12345, 443, 33]);
  });

  it('with a sequence number (S flag: 4 optional bytes)', () => {
    const { p, src } = decode(LT.ETHERNET, outerUdp(2152, 2152, gtpu({ seq: 0x4455 }, innerV6)));
    expect([p.tunnelKind, src, p.dport]).toEqual([GTPU, norm('2001:db8:1::1'), 6000]);
  });

  it('with two extension headers (PDU session container, then another)', () => {
    const gtp = gtpu({ ext: [[0x85, [0x00, 0x09]], [0x40, [1, 2, 3, 4, 5, 6]]] }, innerV4);
    const { p, src, weird } = decode(LT.ETHERNET, outerUdp(40000, 2152, gtp));
    expect(weird).toEqual({});
    expect([p.tunnelKind, src, p.sport, p.dport]).toEqual([GTPU, '100.64.0.1', 12345, 443]);
  });

  it('an extension header of length 0 is truncated_tunnel_header', () => {
    const gtp = gtpu({ ext: [[0x85, [0, 9]]] }, innerV4);
    gtp[12] = 0;
    const { p, weird } = decode(LT.ETHERNET, outerUdp(2152, 2152, gtp));
    expect(weird).toEqual({ truncated_tunnel_header: 1 });
    expect([p.tunnelKind, p.dport]).toEqual([0, 2152]);
  });

  it('echo request (message type 1) is signalling: not unwrapped', () => {
    const { p } = decode(LT.ETHERNET, outerUdp(2152, 2152, gtpu({ msgType: 1, seq: 1 }, [])));
    expect([p.tunnelKind, p.proto, p.dport]).toEqual([0, 17, 2152]);
  });
});

describe('Teredo (3544)', () => {
  const teredoV6 = ipv6({ next: IPPROTO.TCP, src: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dst: '2001:db8::80', hop: 21 },
    tcp({ sport: 51000, dport: 80, flags: TCPF.SYN }));

  it('IPv6 directly in UDP', () => {
    const { p, src, dst, tunnelSrc, tunnelDst, weird } = decode(LT.ETHERNET, outerUdp(3544, 40000, teredoV6));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, tunnelDst]).toEqual([TEREDO, '198.51.100.1', '198.51.100.2']);
    expect([p.ipVersion, src, dst, p.sport, p.dport, p.ttl]).toEqual([6, norm('2001:0:4136:e378:8000:63bf:3fff:fdd2'), norm('2001:db8::80'), 51000, 80, 21]);
  });

  it('with an origin indication', () => {
    const { p, src } = decode(LT.ETHERNET, outerUdp(3544, 40000, cat(teredoOrigin(40000, '203.0.113.5'), teredoV6)));
    expect([p.tunnelKind, src, p.dport]).toEqual([TEREDO, norm('2001:0:4136:e378:8000:63bf:3fff:fdd2'), 80]);
  });

  it('with authentication and origin indications', () => {
    const { p, dst } = decode(LT.ETHERNET, outerUdp(40000, 3544, cat(teredoAuth(), teredoOrigin(1, '1.2.3.4'), teredoV6)));
    expect([p.tunnelKind, dst, p.sport]).toEqual([TEREDO, norm('2001:db8::80'), 51000]);
  });

  it('a bubble (IPv6, no next header) is unwrapped too', () => {
    const bubble = ipv6({ next: IPPROTO.NONE, src: 'fe80::8000:ffff:ffff:fffe', dst: '2001:0:4136:e378::1' });
    const { p } = decode(LT.ETHERNET, outerUdp(3544, 40000, bubble));
    expect([p.tunnelKind, p.proto, p.ipVersion]).toEqual([TEREDO, 59, 6]);
  });

  it('an IPv6 payload length that disagrees with the datagram: not Teredo', () => {
    const lying = ipv6({ next: IPPROTO.UDP, payloadLen: 500 }, udp(1, 2));
    const { p } = decode(LT.ETHERNET, outerUdp(3544, 40000, lying));
    expect([p.tunnelKind, p.ipVersion, p.sport, p.dport]).toEqual([0, 4, 3544, 40000]);
  });

  it('something that is not IPv6 on the port is plain UDP', () => {
    const { p, weird } = decode(LT.ETHERNET, outerUdp(3544, 40000, fill(60, 0x10)));
    expect(weird).toEqual({});
    expect([p.tunnelKind, p.dport]).toEqual([0, 40000]);
  });
});

describe('tunnel ICMP and non-port traffic', () => {
  it('VXLAN carrying ICMP: ports stay 0, type and code are the inner ones', () => {
    const inner = ipv4({ proto: IPPROTO.ICMP, src: '100.64.0.9', dst: '100.64.0.8' }, icmp(8, 0, fill(8)));
    const { p, src } = decode(LT.ETHERNET, outerUdp(1234, 4789, vxlan(1, ether(ETHERTYPE.IPV4, inner))));
    expect([p.tunnelKind, src, p.proto, p.hasPorts, p.sport, p.dport, p.icmpType]).toEqual([VXLAN, '100.64.0.9', 1, false, 0, 0, 8]);
  });
});
