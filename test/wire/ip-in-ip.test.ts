import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO, TCPF, ether, fill, gre, ipv4, ipv6, norm, tcp, udp, vxlan } from '../helpers/bytes.js';
import { LT, decode, decodeAfter } from './decode.js';

const IPIP = 1, GRE = 2;

const innerV4 = ipv4({ proto: IPPROTO.UDP, src: '10.9.9.1', dst: '10.9.9.2', ttl: 3 }, udp(67, 68, fill(10)));
const innerV6 = ipv6({ next: IPPROTO.TCP, src: '2001:db8:6::1', dst: '2001:db8:6::2' }, tcp({ sport: 179, dport: 41000, flags: TCPF.ACK }, fill(2)));

describe('IP in IP', () => {
  it('IPv4 in IPv4 (protocol 4)', () => {
    const { p, src, dst, tunnelSrc, tunnelDst, weird } = decode(LT.RAW, ipv4({ proto: IPPROTO.IPIP, src: '192.0.2.10', dst: '192.0.2.20' }, innerV4));
    expect(weird).toEqual({});
    expect([p.tunnelKind, tunnelSrc, tunnelDst]).toEqual([IPIP, '192.0.2.10', '192.0.2.20']);
    expect([src, dst, p.proto, p.sport, p.dport, p.ttl, p.ipLen, p.payloadLen]).toEqual(['10.9.9.1', '10.9.9.2', 17, 67, 68, 3, 38, 10]);
  });

  it('IPv6 in IPv4 (protocol 41, 6in4)', () => {
    const { p, src, tunnelSrc } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.IPV6, src: '192.0.2.10' }, innerV6)));
    expect([p.tunnelKind, tunnelSrc, p.ipVersion, src, p.sport, p.dport, p.payloadLen]).toEqual([IPIP, '192.0.2.10', 6, norm('2001:db8:6::1'), 179, 41000, 2]);
  });

  it('IPv4 in IPv6 (protocol 4) and IPv6 in IPv6 (protocol 41)', () => {
    const a = decode(LT.RAW, ipv6({ next: IPPROTO.IPIP, src: '2001:db8::1', dst: '2001:db8::2' }, innerV4));
    expect([a.p.tunnelKind, a.tunnelSrc, a.tunnelDst, a.src, a.p.ipVersion]).toEqual([IPIP, norm('2001:db8::1'), norm('2001:db8::2'), '10.9.9.1', 4]);
    const b = decode(LT.RAW, ipv6({ next: IPPROTO.IPV6, src: '2001:db8::1' }, innerV6));
    expect([b.p.tunnelKind, b.tunnelSrc, b.src, b.p.dport]).toEqual([IPIP, norm('2001:db8::1'), norm('2001:db8:6::1'), 41000]);
  });

  it('inner length 0 (TSO) is bounded by the outer packet, not by link padding', () => {
    const tso = ipv4({ proto: IPPROTO.UDP, totalLen: 0 }, udp(1, 2, fill(4)));
    const outer = ipv4({ proto: IPPROTO.IPIP }, tso);
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, [...outer, ...fill(12)]));
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen]).toEqual([32, 4]);
  });

  it('an inner total length larger than the outer packet is ip_total_len_gt_wire', () => {
    const inner = ipv4({ proto: IPPROTO.UDP, totalLen: 200 }, udp(1, 2, fill(4)));
    const { weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, [...ipv4({ proto: IPPROTO.IPIP }, inner), ...fill(300)]));
    expect(weird).toMatchObject({ ip_total_len_gt_wire: 1 });
  });

  it('a cut inner header is truncated_tunnel_header, the outer packet stays', () => {
    const { p, src, weird } = decode(LT.RAW, ipv4({ proto: IPPROTO.IPIP, src: '192.0.2.10' }, innerV4), { caplen: 30, wireLen: 58 });
    expect(weird).toEqual({ truncated_tunnel_header: 1 });
    expect([p.l3, p.tunnelKind, src, p.proto]).toEqual([1, 0, '192.0.2.10', 4]);
  });

  it('no tunnel left over from the previous packet', () => {
    const p = decodeAfter(LT.RAW, ipv4({ proto: IPPROTO.IPIP }, innerV4), innerV4);
    expect([p.tunnelKind, p.tunnelDepth]).toEqual([0, 0]);
  });
});

describe('nested tunnels', () => {
  it('GRE then VXLAN: the kind and endpoints are the outermost, the header the innermost', () => {
    const vx = ipv4({ proto: IPPROTO.UDP, src: '172.31.0.1', dst: '172.31.0.2' }, udp(40000, 4789, vxlan(9, ether(ETHERTYPE.IPV6, innerV6))));
    const frame = ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.GRE, src: '192.0.2.1', dst: '192.0.2.2' }, gre({ proto: ETHERTYPE.IPV4 }, vx)));
    const { p, src, tunnelSrc, tunnelDst, weird } = decode(LT.ETHERNET, frame);
    expect(weird).toEqual({});
    expect([p.tunnelKind, p.tunnelDepth, tunnelSrc, tunnelDst]).toEqual([GRE, 2, '192.0.2.1', '192.0.2.2']);
    expect([src, p.sport, p.dport]).toEqual([norm('2001:db8:6::1'), 179, 41000]);
  });

  it('three levels are decoded, a fourth is tunnel_depth_exceeded', () => {
    const wrap = (inner: Uint8Array, n: number) => ipv4({ proto: IPPROTO.IPIP, src: `192.0.2.${n}`, dst: `198.51.100.${n}` }, inner);
    const three = wrap(wrap(wrap(innerV4, 3), 2), 1);
    const ok = decode(LT.RAW, three);
    expect(ok.weird).toEqual({});
    expect([ok.p.tunnelDepth, ok.tunnelSrc, ok.src, ok.p.dport]).toEqual([3, '192.0.2.1', '10.9.9.1', 68]);
    const four = decode(LT.RAW, wrap(three, 0));
    expect(four.weird).toEqual({ tunnel_depth_exceeded: 1 });
    expect([four.tunnelSrc, four.src, four.p.proto]).toEqual(['192.0.2.0', '192.0.2.3', 4]);
  });
});
