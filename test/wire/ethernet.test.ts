import { describe, expect, it } from 'vitest';
import {
  DST_MAC, ETHERTYPE, IPPROTO, SRC_MAC, TCPF, ether, fill, ip6, ipv4, ipv6, macNum, mpls, norm, pppoe, tcp, udp,
} from '../helpers/bytes.js';
import { LT, decode, decodeAfter } from './decode.js';

const IP = 1, NON_IP = 2, BAD = 3;

const v4tcp = ipv4({ proto: IPPROTO.TCP, src: '10.1.1.1', dst: '10.2.2.2', ttl: 61 },
  tcp({ sport: 40000, dport: 443, flags: TCPF.SYN, seq: 7 }, fill(10)));
const v6udp = ipv6({ next: IPPROTO.UDP, src: '2001:db8:1::10', dst: '2001:db8:2::20', hop: 33 }, udp(5353, 53, fill(12)));

describe('Ethernet II', () => {
  it('records both MACs and decodes IPv4/TCP behind it', () => {
    const { p, weird, src, dst } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { src: 'aa:bb:cc:00:11:22', dst: '00:1b:21:3a:4f:5e' }));
    expect(weird).toEqual({});
    expect(p.l3).toBe(IP);
    expect(p.srcMac).toBe(macNum('aa:bb:cc:00:11:22'));
    expect(p.dstMac).toBe(macNum('00:1b:21:3a:4f:5e'));
    expect(p.vlanOuter).toBe(-1);
    expect(p.vlanInner).toBe(-1);
    expect(p.mplsLabel).toBe(-1);
    expect(p.ipVersion).toBe(4);
    expect([src, dst]).toEqual(['10.1.1.1', '10.2.2.2']);
    expect(p.proto).toBe(6);
    expect([p.sport, p.dport, p.ttl, p.ipLen, p.payloadLen]).toEqual([40000, 443, 61, 50, 10]);
    expect(p.tunnelKind).toBe(0);
  });

  it('decodes IPv6 behind it', () => {
    const { p, src, dst } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV6, v6udp));
    expect(p.ipVersion).toBe(6);
    expect([src, dst]).toEqual([norm('2001:db8:1::10'), norm('2001:db8:2::20')]);
    expect([p.proto, p.sport, p.dport, p.ttl, p.ipLen, p.payloadLen]).toEqual([17, 5353, 53, 33, 60, 12]);
  });

  it('an 802.3 length field is not IP: ethertype 0', () => {
    const frame = ether(0x0026, [0x42, 0x42, 0x03, ...fill(35)]);
    const { p, weird } = decode(LT.ETHERNET, frame);
    expect(p.l3).toBe(NON_IP);
    expect(p.ethertype).toBe(0);
    expect(weird).toEqual({});
  });

  it('ARP and LLDP are counted by EtherType', () => {
    expect(decode(LT.ETHERNET, ether(ETHERTYPE.ARP, fill(28))).p.ethertype).toBe(0x0806);
    const lldp = decode(LT.ETHERNET, ether(ETHERTYPE.LLDP, fill(30)));
    expect([lldp.p.l3, lldp.p.ethertype]).toEqual([NON_IP, 0x88cc]);
  });

  it('a frame shorter than the Ethernet header is truncated_link_header', () => {
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp), { caplen: 13 });
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_link_header: 1 });
  });
});

describe('VLAN tags', () => {
  it('802.1Q: the VLAN id without the priority and DEI bits', () => {
    const { p, src } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { tags: [[0x8100, 0xf000 | 100]] }));
    expect([p.vlanOuter, p.vlanInner, p.vlanDepth]).toEqual([100, -1, 1]);
    expect([src, p.sport, p.dport]).toEqual(['10.1.1.1', 40000, 443]);
  });

  it('QinQ 0x88a8 + 0x8100: outer and inner ids', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV6, v6udp, { tags: [[0x88a8, 10], [0x8100, 4094]] }));
    expect([p.vlanOuter, p.vlanInner, p.vlanDepth]).toEqual([10, 4094, 2]);
    expect([p.ipVersion, p.sport, p.dport]).toEqual([6, 5353, 53]);
  });

  it('old QinQ TPID 0x9100 is a tag too', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { tags: [[0x9100, 3000], [0x8100, 7]] }));
    expect([p.vlanOuter, p.vlanInner, p.l3, p.dport]).toEqual([3000, 7, IP, 443]);
  });

  it('TPID 0x9200 is a tag too', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV6, v6udp, { tags: [[0x9200, 11], [0x8100, 22]] }));
    expect([p.vlanOuter, p.vlanInner, p.dport]).toEqual([11, 22, 53]);
  });

  it('three tags: the first two are recorded, IP still decoded', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { tags: [[0x88a8, 1], [0x8100, 2], [0x8100, 3]] }));
    expect([p.vlanOuter, p.vlanInner, p.vlanDepth, p.l3]).toEqual([1, 2, 3, IP]);
  });

  it('more than four tags is vlan_depth_exceeded', () => {
    const tags = [1, 2, 3, 4, 5].map((v) => [0x8100, v] as const);
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { tags }));
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ vlan_depth_exceeded: 1 });
  });

  it('a tag cut by the capture is truncated_vlan_header', () => {
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { tags: [[0x8100, 5]] }), { caplen: 16 });
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_vlan_header: 1 });
  });

  it('a tagged non-IP frame keeps its VLAN and its EtherType', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.ARP, fill(28), { tags: [[0x8100, 55]] }));
    expect([p.l3, p.ethertype, p.vlanOuter]).toEqual([NON_IP, 0x0806, 55]);
  });

  it('no VLAN left over from the previous packet', () => {
    const p = decodeAfter(LT.ETHERNET, ether(ETHERTYPE.IPV4, v4tcp, { tags: [[0x88a8, 9], [0x8100, 8]] }), ether(ETHERTYPE.IPV4, v4tcp));
    expect([p.vlanOuter, p.vlanInner, p.vlanDepth]).toEqual([-1, -1, 0]);
  });
});

describe('MPLS', () => {
  it('label stack to IPv4: the top label is recorded', () => {
    const { p, src, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.MPLS, mpls([16001, 24, 1048575], v4tcp)));
    expect(weird).toEqual({});
    expect(p.mplsLabel).toBe(16001);
    expect([p.l3, src, p.sport, p.dport, p.ttl]).toEqual([IP, '10.1.1.1', 40000, 443, 61]);
  });

  it('single label to IPv6', () => {
    const { p, src } = decode(LT.ETHERNET, ether(ETHERTYPE.MPLS, mpls([299792], v6udp)));
    expect(p.mplsLabel).toBe(299792);
    expect([p.ipVersion, src, p.dport]).toEqual([6, norm('2001:db8:1::10'), 53]);
  });

  it('multicast MPLS (0x8848)', () => {
    const { p } = decode(LT.ETHERNET, ether(0x8848, mpls([3001], v4tcp)));
    expect([p.mplsLabel, p.dport]).toEqual([3001, 443]);
  });

  it('VLAN then MPLS: both recorded', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.MPLS, mpls([100, 200], v4tcp), { tags: [[0x8100, 42]] }));
    expect([p.vlanOuter, p.mplsLabel, p.dport]).toEqual([42, 100, 443]);
  });

  it('a payload that is not IP (pseudowire control word) is mpls_unknown_payload', () => {
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.MPLS, mpls([77], [0, 0, 0, 0, ...ether(ETHERTYPE.IPV4, v4tcp)])));
    expect(p.l3).toBe(NON_IP);
    expect(p.ethertype).toBe(0x8847);
    expect(p.mplsLabel).toBe(77);
    expect(weird).toEqual({ mpls_unknown_payload: 1 });
  });

  it('no bottom of stack within eight labels is mpls_depth_exceeded', () => {
    const entries = Array.from({ length: 9 }, (_, i) => [0, (i + 1) >> 4, ((i + 1) << 4) & 0xf0, 64]).flat();
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.MPLS, [...entries, ...v4tcp]));
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ mpls_depth_exceeded: 1 });
  });

  it('a stack cut by the capture is truncated_mpls_header', () => {
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.MPLS, mpls([1, 2], v4tcp)), { caplen: 14 + 6 });
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_mpls_header: 1 });
  });
});

describe('PPPoE session', () => {
  it('carries IPv4 (PPP 0x0021)', () => {
    const { p, src, dst } = decode(LT.ETHERNET, ether(ETHERTYPE.PPPOE, pppoe(0x1234, 0x0021, v4tcp)));
    expect([p.l3, src, dst, p.sport, p.dport, p.payloadLen]).toEqual([IP, '10.1.1.1', '10.2.2.2', 40000, 443, 10]);
  });

  it('carries IPv6 (PPP 0x0057) behind a VLAN', () => {
    const { p, src } = decode(LT.ETHERNET, ether(ETHERTYPE.PPPOE, pppoe(1, 0x0057, v6udp), { tags: [[0x8100, 300]] }));
    expect([p.vlanOuter, p.ipVersion, src, p.dport]).toEqual([300, 6, norm('2001:db8:1::10'), 53]);
  });

  it('LCP is not IP', () => {
    const { p } = decode(LT.ETHERNET, ether(ETHERTYPE.PPPOE, pppoe(1, 0xc021, [1, 1, 0, 4])));
    expect(p.l3).toBe(NON_IP);
  });

  it('a cut PPPoE header is truncated_pppoe_header', () => {
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.PPPOE, pppoe(1, 0x0021, v4tcp)), { caplen: 14 + 7 });
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_pppoe_header: 1 });
  });
});

it('ip6() helper sanity', () => {
  expect(ip6('2001:db8::1')).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
  expect(macNum(SRC_MAC)).toBe(0x020000000001);
  expect(macNum(DST_MAC)).toBe(0x020000000002);
});
