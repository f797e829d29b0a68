import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO, TCPF, ether, fill, ipv4, tcp, udp } from '../helpers/bytes.js';
import { LT, decode } from './decode.js';

const IP = 1, BAD = 3;

describe('IPv4 header', () => {
  it('addresses, TTL, protocol, total length', () => {
    const pkt = ipv4({ proto: IPPROTO.UDP, src: '203.0.113.9', dst: '255.255.255.255', ttl: 1 }, udp(68, 67, fill(100)));
    const { p, src, dst, weird } = decode(LT.RAW, pkt);
    expect(weird).toEqual({});
    expect([src, dst, p.ttl, p.proto, p.ipLen, p.payloadLen, p.isFragment]).toEqual(['203.0.113.9', '255.255.255.255', 1, 17, 128, 100, false]);
    expect(Array.from(p.src)).toEqual([0, 0, 0xffff, 0xcb007109]);
  });

  it('IHL 6 (router alert option): the transport starts after the options', () => {
    const pkt = ipv4({ proto: IPPROTO.TCP, options: [0x94, 0x04, 0x00, 0x00] },
      tcp({ sport: 179, dport: 33000, flags: TCPF.PSH | TCPF.ACK }, fill(19)));
    expect(pkt[0]).toBe(0x46);
    const { p } = decode(LT.RAW, pkt);
    expect([p.sport, p.dport, p.tcpFlags, p.ipLen, p.payloadLen]).toEqual([179, 33000, 0x18, 24 + 20 + 19, 19]);
  });

  it('IHL 15 (40 bytes of options)', () => {
    const pkt = ipv4({ proto: IPPROTO.UDP, options: [7, 39, 4, ...fill(36)] }, udp(5000, 6000, fill(4)));
    const { p } = decode(LT.RAW, pkt);
    expect([p.sport, p.dport, p.payloadLen]).toEqual([5000, 6000, 4]);
  });

  it('IHL below 5 is bad_ipv4_ihl', () => {
    const pkt = ipv4({ proto: IPPROTO.UDP }, udp(1, 2));
    pkt[0] = 0x44;
    const { p, weird } = decode(LT.RAW, pkt);
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ bad_ipv4_ihl: 1 });
  });

  it('options cut by the capture: IP but no ports, truncated_ip_header', () => {
    const pkt = ipv4({ proto: IPPROTO.TCP, options: fill(20) }, tcp({ sport: 1, dport: 2, flags: TCPF.SYN }));
    const { p, weird } = decode(LT.RAW, pkt, { caplen: 30 });
    expect(p.l3).toBe(IP);
    expect(p.hasPorts).toBe(false);
    expect(weird).toEqual({ truncated_ip_header: 1 });
  });

  it('less than 20 bytes captured is truncated_ip_header', () => {
    const { p, weird } = decode(LT.RAW, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: 2 })), { caplen: 19 });
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_ip_header: 1 });
  });
});

describe('IPv4 lengths', () => {
  it('total length 0 (TSO/GSO): the frame gives the length', () => {
    const pkt = ipv4({ proto: IPPROTO.TCP, totalLen: 0 }, tcp({ sport: 80, dport: 50001, flags: TCPF.ACK }, fill(3000)));
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV4, pkt));
    expect(weird).toEqual({});
    expect([p.l3, p.ipLen, p.payloadLen, p.sport]).toEqual([IP, 3040, 3000, 80]);
  });

  it('a total length beyond the wire length is ip_total_len_gt_wire', () => {
    const pkt = ipv4({ proto: IPPROTO.UDP, totalLen: 1500 }, udp(1, 2, fill(10)));
    const { p, weird } = decode(LT.RAW, pkt);
    expect(weird).toMatchObject({ ip_total_len_gt_wire: 1 });
    expect([p.l3, p.sport, p.dport]).toEqual([IP, 1, 2]);
  });

  it('a snaplen cut is not a lying total length', () => {
    const pkt = ipv4({ proto: IPPROTO.UDP }, udp(1, 2, fill(1000)));
    const { p, weird } = decode(LT.RAW, pkt, { caplen: 64 });
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen]).toEqual([1028, 1000]);
  });

  it('a total length below the header length is ip_total_len_lt_header', () => {
    const { p, weird } = decode(LT.RAW, ipv4({ proto: IPPROTO.UDP, totalLen: 19 }, udp(1, 2)));
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ ip_total_len_lt_header: 1 });
  });

  it('Ethernet padding after a short packet is not payload', () => {
    const pkt = ipv4({ proto: IPPROTO.TCP }, tcp({ sport: 1, dport: 2, flags: TCPF.ACK }));
    const frame = ether(ETHERTYPE.IPV4, [...pkt, 0, 0, 0, 0, 0, 0]); // 60-byte minimum frame
    const { p, weird } = decode(LT.ETHERNET, frame);
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen]).toEqual([40, 0]);
  });
});

describe('IPv4 fragments', () => {
  const datagram = udp(4000, 5000, fill(2000)); // 2008 bytes of UDP
  const first = ipv4({ proto: IPPROTO.UDP, id: 0xbeef, mf: true }, datagram.slice(0, 1480));
  const middle = ipv4({ proto: IPPROTO.UDP, id: 0xbeef, mf: true, fragOffset: 1480 }, datagram.slice(1480, 1488));
  const last = ipv4({ proto: IPPROTO.UDP, id: 0xbeef, fragOffset: 1488 }, datagram.slice(1488));

  it('the first fragment carries the ports', () => {
    const { p, weird } = decode(LT.RAW, first);
    expect(weird).toEqual({});
    expect([p.isFragment, p.fragFirst, p.fragId, p.hasPorts, p.sport, p.dport]).toEqual([true, true, 0xbeef, true, 4000, 5000]);
    expect([p.ipLen, p.payloadLen]).toEqual([1500, 1472]);
  });

  it('later fragments: no ports, payload is the fragment data', () => {
    for (const [pkt, len] of [[middle, 8], [last, 520]] as const) {
      const { p, weird } = decode(LT.RAW, pkt);
      expect(weird).toEqual({});
      expect([p.isFragment, p.fragFirst, p.fragId, p.hasPorts, p.sport, p.dport, p.proto]).toEqual([true, false, 0xbeef, false, 0, 0, 17]);
      expect(p.payloadLen).toBe(len);
    }
  });

  it('later fragment bytes that look like a UDP header are not read as ports', () => {
    const fake = ipv4({ proto: IPPROTO.UDP, id: 1, fragOffset: 8 }, udp(53, 53, fill(8)));
    const { p } = decode(LT.RAW, fake);
    expect([p.hasPorts, p.sport, p.dport]).toEqual([false, 0, 0]);
  });

  it('DF alone is not a fragment', () => {
    const { p } = decode(LT.RAW, ipv4({ proto: IPPROTO.UDP, df: true }, udp(1, 2)));
    expect(p.isFragment).toBe(false);
  });
});
