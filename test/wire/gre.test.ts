import { describe, expect, it } from 'vitest';
import {
  ETHERTYPE, IPPROTO, TCPF, cat, erspan2, ether, fill, gre, ipv4, ipv6, macNum, norm, tcp, udp, be16, be32,
} from '../helpers/bytes.js';
import { LT, decode } from './decode.js';

const GRE = 2;

const innerV4 = ipv4({ proto: IPPROTO.TCP, src: '10.0.0.1', dst: '10.0.0.2', ttl: 50 }, tcp({ sport: 40001, dport: 22, flags: TCPF.SYN }, fill(12)));
const innerV6 = ipv6({ next: IPPROTO.UDP, src: '2001:db8:100::1', dst: '2001:db8:200::2', hop: 9 }, udp(3000, 4000, fill(7)));
/** Outer IPv4 192.0.2.1 -> 192.0.2.2 carrying `payload` as GRE. */
const outer = (payload: ArrayLike<number>) => ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.GRE, src: '192.0.2.1', dst: '192.0.2.2', ttl: 255 }, payload),
  { src: '0a:0a:0a:0a:0a:0a', tags: [[0x8100, 77]] });

describe('GRE (RFC 2784/2890)', () => {
  it('plain GRE carrying IPv4: innermost header in Decoded, outer addresses in tunnelSrc/Dst', () => {
    const { p, src, dst, tunnelSrc, tunnelDst, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.IPV4 }, innerV4)));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, tunnelDst]).toEqual([GRE, '192.0.2.1', '192.0.2.2']);
    expect([src, dst, p.proto, p.sport, p.dport, p.ttl, p.ipLen, p.payloadLen]).toEqual(['10.0.0.1', '10.0.0.2', 6, 40001, 22, 50, 52, 12]);
    expect([p.srcMac, p.vlanOuter]).toEqual([macNum('0a:0a:0a:0a:0a:0a'), 77]);
  });

  it('checksum + key + sequence carrying IPv6', () => {
    const { p, src, tunnelSrc, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.IPV6, csum: true, key: 0x01020304, seq: 99 }, innerV6)));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, p.ipVersion, src, p.sport, p.dport, p.ttl]).toEqual([GRE, '192.0.2.1', 6, norm('2001:db8:100::1'), 3000, 4000, 9]);
  });

  it('key only, over an IPv6 outer header', () => {
    const pkt = ipv6({ next: IPPROTO.GRE, src: '2001:db8::a', dst: '2001:db8::b' }, gre({ proto: ETHERTYPE.IPV4, key: 5 }, innerV4));
    const { p, src, tunnelSrc, tunnelDst } = decode(LT.RAW, pkt);
    expect([p.tunnelKind, tunnelSrc, tunnelDst, src, p.ipVersion, p.dport]).toEqual([GRE, norm('2001:db8::a'), norm('2001:db8::b'), '10.0.0.1', 4, 22]);
  });

  it('transparent Ethernet bridging (0x6558): the capture link keeps its MAC and VLAN', () => {
    const bridged = ether(ETHERTYPE.IPV4, innerV4, { src: '0b:0b:0b:0b:0b:0b', tags: [[0x8100, 999]] });
    const { p, src, tunnelDst } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.TEB, key: 10 }, bridged)));
    expect([p.tunnelKind, tunnelDst, src, p.sport, p.dport]).toEqual([GRE, '192.0.2.2', '10.0.0.1', 40001, 22]);
    expect([p.srcMac, p.vlanOuter, p.vlanInner]).toEqual([macNum('0a:0a:0a:0a:0a:0a'), 77, -1]);
  });

  it('bridged ARP is not unwrapped: the GRE packet stays the flow', () => {
    const { p, src, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.TEB }, ether(ETHERTYPE.ARP, fill(28)))));
    expect(weird).toEqual({});
    expect([p.l3, p.tunnelKind, src, p.proto, p.hasPorts]).toEqual([1, 0, '192.0.2.1', 47, false]);
  });

  it('ERSPAN type II (sequence bit, 8-byte header) to Ethernet/IPv6', () => {
    const mirrored = ether(ETHERTYPE.IPV6, innerV6);
    const { p, src, tunnelSrc, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.ERSPAN2, seq: 1 }, erspan2(5, mirrored))));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, src, p.dport]).toEqual([GRE, '192.0.2.1', norm('2001:db8:100::1'), 4000]);
  });

  it('ERSPAN type I (no sequence bit): Ethernet right after GRE', () => {
    const { p, src } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.ERSPAN2 }, ether(ETHERTYPE.IPV4, innerV4))));
    expect([p.tunnelKind, src, p.dport]).toEqual([GRE, '10.0.0.1', 22]);
  });

  it('ERSPAN type III with the optional platform sub-header (O bit)', () => {
    const hdr3 = [...be16(0x2000), ...be16(7), ...be32(123456), ...be16(0), ...be16(0x0001)];
    const { p, src } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.ERSPAN3, seq: 1 }, cat(hdr3, fill(8), ether(ETHERTYPE.IPV4, innerV4)))));
    expect([p.tunnelKind, src, p.dport]).toEqual([GRE, '10.0.0.1', 22]);
  });

  it('version 2 is bad_gre_version; routing bit is not followed', () => {
    const v2 = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.IPV4, version: 2 }, innerV4)));
    expect(v2.weird).toEqual({ bad_gre_version: 1 });
    expect([v2.p.l3, v2.p.proto, v2.src]).toEqual([1, 47, '192.0.2.1']);
    const r = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.IPV4, extraFlags: 0x4000 }, innerV4)));
    expect(r.weird).toEqual({ gre_unknown_protocol: 1 });
    expect([r.p.proto, r.p.tunnelKind]).toEqual([47, 0]);
  });

  it('an unknown protocol type stays a GRE flow: gre_unknown_protocol', () => {
    const { p, weird, src } = decode(LT.ETHERNET, outer(gre({ proto: 0x88b5 }, fill(40))));
    expect(weird).toEqual({ gre_unknown_protocol: 1 });
    expect([p.l3, p.proto, src, p.tunnelKind, p.payloadLen]).toEqual([1, 47, '192.0.2.1', 0, 44]);
  });

  it('an inner header cut by the capture is truncated_tunnel_header', () => {
    const frame = outer(gre({ proto: ETHERTYPE.IPV4 }, innerV4));
    const { p, weird } = decode(LT.ETHERNET, frame, { caplen: 18 + 20 + 4 + 10, wireLen: frame.length });
    expect(weird).toEqual({ truncated_tunnel_header: 1 });
    expect([p.proto, p.tunnelKind]).toEqual([47, 0]);
  });

  it('an outer fragment is not unwrapped', () => {
    const pkt = ipv4({ proto: IPPROTO.GRE, mf: true, src: '192.0.2.1' }, gre({ proto: ETHERTYPE.IPV4 }, innerV4));
    const { p, src } = decode(LT.RAW, pkt);
    expect([p.proto, src, p.tunnelKind, p.isFragment]).toEqual([47, '192.0.2.1', 0, true]);
  });
});

describe('PPTP enhanced GRE (version 1, RFC 2637)', () => {
  const ppp = (proto: number[], body: ArrayLike<number>) => cat([0xff, 0x03], proto, body);

  it('PPP/IPv4 inside: unwrapped', () => {
    const payload = ppp([0x00, 0x21], innerV4);
    const { p, src, tunnelSrc, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.PPP, version: 1, key: (payload.length << 16) | 0x4242, seq: 3 }, payload)));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, src, p.proto, p.sport, p.dport]).toEqual([GRE, '192.0.2.1', '10.0.0.1', 6, 40001, 22]);
  });

  it('PPP/IPv6 with an acknowledgement number and protocol compression', () => {
    const payload = cat([0x57], innerV6);
    const { p, src } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.PPP, version: 1, key: 7, seq: 4, ackNum: 2 }, payload)));
    expect([p.tunnelKind, src, p.dport]).toEqual([GRE, norm('2001:db8:100::1'), 4000]);
  });

  it('PPP LCP inside stays the GRE flow (protocol 47)', () => {
    const lcp = ppp([0xc0, 0x21], [1, 7, 0, 8, 1, 4, 5, 0xdc]);
    const { p, src, dst, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.PPP, version: 1, key: 1, seq: 1 }, lcp)));
    expect(weird).toEqual({});
    expect([p.l3, p.proto, src, dst, p.tunnelKind, p.hasPorts]).toEqual([1, 47, '192.0.2.1', '192.0.2.2', 0, false]);
  });

  it('an acknowledgement without payload stays the GRE flow, no anomaly', () => {
    const { p, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.PPP, version: 1, key: 1, ackNum: 9 })));
    expect(weird).toEqual({});
    expect([p.l3, p.proto, p.tunnelKind]).toEqual([1, 47, 0]);
  });
});

it('a bad inner IPv4 header is counted', () => {
  const badInner = ipv4({ proto: IPPROTO.TCP }, tcp({ sport: 1, dport: 2, flags: 2 }));
  badInner[0] = 0x43;
  const { p, weird } = decode(LT.ETHERNET, outer(gre({ proto: ETHERTYPE.IPV4 }, badInner)));
  expect(weird).toEqual({ bad_ipv4_ihl: 1 });
  expect(p.hasPorts).toBe(false);
});
