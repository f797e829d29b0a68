import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO, TCPF, ether, fill, icmp, ipv4, ipv6, norm, sctp, tcp, udp } from '../helpers/bytes.js';
import { LT, decode, decodeAfter } from './decode.js';

const v4 = (proto: number, l4: ArrayLike<number>) => ipv4({ proto, src: '10.0.0.1', dst: '10.0.0.2' }, l4);
const v6 = (next: number, l4: ArrayLike<number>) => ipv6({ next, src: '2001:db8::1', dst: '2001:db8::2' }, l4);

describe('TCP', () => {
  it('ports, sequence numbers, window, flags', () => {
    const seg = tcp({ sport: 55555, dport: 25, seq: 0xfffffff0, ack: 0x80000001, window: 65535, flags: TCPF.PSH | TCPF.ACK }, fill(17));
    const { p, weird } = decode(LT.RAW, v4(IPPROTO.TCP, seg));
    expect(weird).toEqual({});
    expect([p.hasPorts, p.sport, p.dport, p.seq, p.ack, p.window, p.tcpFlags]).toEqual([true, 55555, 25, 0xfffffff0, 0x80000001, 65535, 0x18]);
    expect([p.payloadLen, p.payloadCaptured, p.tcpFull]).toEqual([17, 17, true]);
  });

  it('all nine flags, NS (0x100) included', () => {
    const all = 0x1ff;
    expect(decode(LT.RAW, v4(IPPROTO.TCP, tcp({ sport: 1, dport: 2, flags: all }))).p.tcpFlags).toBe(0x1ff);
    const ns = decode(LT.RAW, v6(IPPROTO.TCP, tcp({ sport: 1, dport: 2, flags: TCPF.NS | TCPF.SYN })));
    expect(ns.p.tcpFlags).toBe(0x102);
  });

  it('reserved bits next to NS are not flags', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: TCPF.ACK });
    seg[12] |= 0x0e;
    expect(decode(LT.RAW, v4(IPPROTO.TCP, seg)).p.tcpFlags).toBe(0x10);
  });

  it('options: payload after the data offset', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: TCPF.SYN, options: [2, 4, 5, 0xb4, 4, 2, 8, 10, ...fill(8), 1, 3, 3, 7] }, fill(6));
    const { p } = decode(LT.RAW, v4(IPPROTO.TCP, seg));
    expect([p.payloadLen, p.tcpFull]).toEqual([6, true]);
  });

  it('snaplen cut inside the payload: payload length from the IP lengths, captured part separate', () => {
    const frame = ether(ETHERTYPE.IPV4, v4(IPPROTO.TCP, tcp({ sport: 80, dport: 40000, flags: TCPF.ACK }, fill(1400))));
    const { p, weird } = decode(LT.ETHERNET, frame, { caplen: 96 });
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen, p.payloadCaptured, p.tcpFull]).toEqual([1440, 1400, 96 - 54, true]);
  });

  it('snaplen cut inside TCP options: ports and flags, tcpFull false', () => {
    const seg = tcp({ sport: 80, dport: 40000, flags: TCPF.SYN, options: fill(20) }, fill(100));
    const { p } = decode(LT.RAW, v4(IPPROTO.TCP, seg), { caplen: 20 + 30 });
    expect([p.sport, p.dport, p.tcpFlags, p.payloadLen, p.payloadCaptured, p.tcpFull]).toEqual([80, 40000, 2, 100, 0, false]);
  });

  it('only the ports captured: truncated_tcp_header, ports kept', () => {
    const { p, weird } = decode(LT.RAW, v4(IPPROTO.TCP, tcp({ sport: 8, dport: 9, flags: 2 })), { caplen: 20 + 6 });
    expect(weird).toEqual({ truncated_tcp_header: 1 });
    expect([p.hasPorts, p.sport, p.dport, p.tcpFull]).toEqual([true, 8, 9, false]);
  });

  it('data offset below 5 or beyond the segment is bad_tcp_data_offset', () => {
    expect(decode(LT.RAW, v4(IPPROTO.TCP, tcp({ sport: 1, dport: 2, flags: 2, doff: 4 }))).weird).toEqual({ bad_tcp_data_offset: 1 });
    expect(decode(LT.RAW, v4(IPPROTO.TCP, tcp({ sport: 1, dport: 2, flags: 2, doff: 15 }, fill(4)))).weird).toEqual({ bad_tcp_data_offset: 1 });
  });

  it('no flags or seq left over from the previous packet', () => {
    const p = decodeAfter(LT.RAW, v4(IPPROTO.TCP, tcp({ sport: 1, dport: 2, flags: 0x1ff, seq: 5 })), v4(IPPROTO.UDP, udp(3, 4)));
    expect([p.tcpFlags, p.seq, p.tcpFull, p.sport]).toEqual([0, 0, false, 3]);
  });
});

describe('UDP', () => {
  it('ports and payload length', () => {
    const { p, weird } = decode(LT.RAW, v6(IPPROTO.UDP, udp(123, 123, fill(48))));
    expect(weird).toEqual({});
    expect([p.hasPorts, p.sport, p.dport, p.payloadLen]).toEqual([true, 123, 123, 48]);
  });

  it('payload length from the IP header even when snaplen cut the datagram', () => {
    const { p } = decode(LT.RAW, v4(IPPROTO.UDP, udp(1, 2, fill(500))), { caplen: 40 });
    expect([p.sport, p.dport, p.payloadLen]).toEqual([1, 2, 500]);
  });

  it('a UDP length larger than the IP payload, or below 8, is bad_udp_length', () => {
    expect(decode(LT.RAW, v4(IPPROTO.UDP, udp(1, 2, fill(4), 100))).weird).toEqual({ bad_udp_length: 1 });
    expect(decode(LT.RAW, v4(IPPROTO.UDP, udp(1, 2, fill(4), 7))).weird).toEqual({ bad_udp_length: 1 });
  });

  it('a first fragment holds part of the datagram: no bad_udp_length', () => {
    const pkt = ipv4({ proto: IPPROTO.UDP, mf: true }, udp(1, 2, fill(100), 3008));
    expect(decode(LT.RAW, pkt).weird).toEqual({});
  });

  it('fewer than 4 bytes is truncated_udp_header', () => {
    const { p, weird } = decode(LT.RAW, v4(IPPROTO.UDP, udp(1, 2)), { caplen: 23 });
    expect(weird).toEqual({ truncated_udp_header: 1 });
    expect(p.hasPorts).toBe(false);
  });
});

describe('SCTP', () => {
  it('ports from the common header, payload after its 12 bytes', () => {
    const { p, weird } = decode(LT.RAW, v4(IPPROTO.SCTP, sctp(2905, 36412, fill(32))));
    expect(weird).toEqual({});
    expect([p.proto, p.hasPorts, p.sport, p.dport, p.payloadLen]).toEqual([132, true, 2905, 36412, 32]);
  });

  it('over IPv6', () => {
    expect(decode(LT.RAW, v6(IPPROTO.SCTP, sctp(3868, 3869))).p.dport).toBe(3869);
  });

  it('cut before the ports is truncated_sctp_header', () => {
    expect(decode(LT.RAW, v4(IPPROTO.SCTP, sctp(1, 2)), { caplen: 22 }).weird).toEqual({ truncated_sctp_header: 1 });
  });
});

describe('ICMP', () => {
  it('echo request: type and code, no ports', () => {
    const { p, weird } = decode(LT.RAW, v4(IPPROTO.ICMP, icmp(8, 0, fill(56))));
    expect(weird).toEqual({});
    expect([p.proto, p.icmpType, p.icmpCode, p.hasPorts, p.sport, p.dport, p.payloadLen]).toEqual([1, 8, 0, false, 0, 0, 56]);
  });

  it('an error quoting an IP/UDP header keeps the outer addresses and no ports', () => {
    const quoted = ipv4({ proto: IPPROTO.UDP, src: '10.0.0.2', dst: '8.8.8.8', ttl: 1 }, udp(33434, 53, fill(8)));
    const { p, src, dst, weird } = decode(LT.RAW, ipv4({ proto: IPPROTO.ICMP, src: '192.0.2.254', dst: '10.0.0.2' }, icmp(3, 3, quoted, [0, 0, 0, 0])));
    expect(weird).toEqual({});
    expect([src, dst, p.proto, p.icmpType, p.icmpCode, p.hasPorts, p.sport, p.dport, p.ttl]).toEqual(['192.0.2.254', '10.0.0.2', 1, 3, 3, false, 0, 0, 64]);
    expect(p.tunnelKind).toBe(0);
  });

  it('ICMP time exceeded quoting TCP', () => {
    const quoted = ipv4({ proto: IPPROTO.TCP, src: '10.0.0.2', dst: '1.1.1.1' }, tcp({ sport: 4444, dport: 443, flags: 2 }).slice(0, 8));
    const { p, src } = decode(LT.RAW, ipv4({ proto: IPPROTO.ICMP, src: '192.0.2.1', dst: '10.0.0.2' }, icmp(11, 0, quoted)));
    expect([src, p.icmpType, p.icmpCode, p.sport, p.dport, p.proto]).toEqual(['192.0.2.1', 11, 0, 0, 0, 1]);
  });

  it('ICMPv6 packet too big quoting IPv6/TCP keeps the outer header', () => {
    const quoted = ipv6({ next: IPPROTO.TCP, src: '2001:db8::99', dst: '2001:db8::98' }, tcp({ sport: 1, dport: 2, flags: 2 }));
    const { p, src, dst } = decode(LT.RAW, v6(IPPROTO.ICMPV6, icmp(2, 0, quoted, [0, 0, 5, 0xdc])));
    expect([src, dst, p.proto, p.icmpType, p.icmpCode, p.sport, p.dport]).toEqual([norm('2001:db8::1'), norm('2001:db8::2'), 58, 2, 0, 0, 0]);
  });

  it('ICMPv6 neighbor solicitation', () => {
    const { p } = decode(LT.RAW, v6(IPPROTO.ICMPV6, icmp(135, 0, fill(16), [0, 0, 0, 0])));
    expect([p.icmpType, p.icmpCode, p.payloadLen]).toEqual([135, 0, 16]);
  });

  it('one byte of ICMP is truncated_icmp_header', () => {
    const { p, weird } = decode(LT.RAW, v4(IPPROTO.ICMP, icmp(8, 0)), { caplen: 21 });
    expect(weird).toEqual({ truncated_icmp_header: 1 });
    expect(p.icmpType).toBe(-1);
  });
});

describe('other IP protocols', () => {
  it('OSPF (89): no ports, the whole IP payload is payload', () => {
    const { p, weird } = decode(LT.RAW, ipv4({ proto: IPPROTO.OSPF, dst: '224.0.0.5', ttl: 1 }, fill(44)));
    expect(weird).toEqual({});
    expect([p.l3, p.proto, p.hasPorts, p.sport, p.dport, p.payloadLen, p.icmpType]).toEqual([1, 89, false, 0, 0, 44, -1]);
  });

  it('ESP over IPv4 and VRRP over IPv6', () => {
    expect(decode(LT.RAW, v4(IPPROTO.ESP, fill(64))).p.proto).toBe(50);
    const vrrp = decode(LT.RAW, v6(112, fill(12)));
    expect([vrrp.p.proto, vrrp.p.sport, vrrp.p.payloadLen]).toEqual([112, 0, 12]);
  });
});
