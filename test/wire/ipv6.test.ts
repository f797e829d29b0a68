import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO, TCPF, ah, cat, ether, ext6, fill, frag6, ipv6, norm, routing6, tcp, udp } from '../helpers/bytes.js';
import { LT, decode } from './decode.js';

const IP = 1, BAD = 3;
const { HOPOPTS, ROUTING, DSTOPTS, FRAGMENT, AH, ESP, NONE, TCP, UDP } = IPPROTO;

describe('IPv6 header', () => {
  it('addresses, hop limit, length', () => {
    const { p, src, dst, weird } = decode(LT.RAW, ipv6({ next: UDP, src: '2001:db8:aaaa::5', dst: 'ff02::fb', hop: 255 }, udp(5353, 5353, fill(40))));
    expect(weird).toEqual({});
    expect([p.ipVersion, src, dst, p.ttl, p.proto, p.ipLen, p.payloadLen]).toEqual([6, norm('2001:db8:aaaa::5'), norm('ff02::fb'), 255, 17, 88, 40]);
    expect(Array.from(p.dst)).toEqual([0xff020000, 0, 0, 0xfb]);
  });

  it('payload length 0 (jumbo / TSO): the frame gives the length', () => {
    const pkt = ipv6({ next: TCP, payloadLen: 0 }, tcp({ sport: 443, dport: 50000, flags: TCPF.ACK }, fill(2000)));
    const { p, weird } = decode(LT.ETHERNET, ether(ETHERTYPE.IPV6, pkt));
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen, p.sport]).toEqual([2060, 2000, 443]);
  });

  // RFC 8200: a zero payload length is a jumbogram only with a Jumbo Payload option (RFC 2675);
  // a bare header with next header 59 is a whole 40-byte packet (e.g. a Teredo bubble on
  // Ethernet). ipv6.ts takes every zero as "use the frame", so Ethernet padding becomes payload.
  it('payload length 0 with no next header (59) is a 40-byte packet, padding is not payload', () => {
    const frame = ether(ETHERTYPE.IPV6, [...ipv6({ next: NONE, payloadLen: 0 }), ...new Array(6).fill(0)]);
    const { p, weird } = decode(LT.ETHERNET, frame);
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen]).toEqual([40, 0]);
  });

  it('a payload length beyond the wire is ip_total_len_gt_wire', () => {
    const { weird } = decode(LT.RAW, ipv6({ next: UDP, payloadLen: 9000 }, udp(1, 2, fill(8))));
    expect(weird).toMatchObject({ ip_total_len_gt_wire: 1 });
  });

  it('less than 40 bytes captured is truncated_ip_header', () => {
    const { p, weird } = decode(LT.RAW, ipv6({ next: UDP }, udp(1, 2)), { caplen: 39 });
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_ip_header: 1 });
  });
});

describe('IPv6 extension headers', () => {
  it('hop-by-hop + routing + destination options + fragment (first) to TCP', () => {
    const seg = tcp({ sport: 8080, dport: 51515, flags: TCPF.SYN | TCPF.ACK, seq: 99 }, fill(5));
    const chain = cat(
      ext6(ROUTING, [5, 2, 0, 0]), // router alert
      routing6(DSTOPTS, ['2001:db8::a', '2001:db8::b']),
      ext6(FRAGMENT, [1, 4, 0, 0, 0, 0]),
      frag6(TCP, 0, true, 0xcafef00d),
      seg,
    );
    const { p, weird } = decode(LT.RAW, ipv6({ next: HOPOPTS }, chain));
    expect(weird).toEqual({});
    expect([p.proto, p.sport, p.dport, p.tcpFlags, p.seq]).toEqual([6, 8080, 51515, 0x12, 99]);
    expect([p.isFragment, p.fragFirst, p.fragId]).toEqual([true, true, 0xcafef00d]);
    expect(p.ipLen).toBe(40 + chain.length);
    expect(p.payloadLen).toBe(5);
  });

  it('a later fragment: protocol from the fragment header, no ports, payload = fragment data', () => {
    const pkt = ipv6({ next: DSTOPTS }, cat(ext6(FRAGMENT), frag6(UDP, 1232, false, 77), udp(53, 53, fill(100))));
    const { p, weird } = decode(LT.RAW, pkt);
    expect(weird).toEqual({});
    expect([p.isFragment, p.fragFirst, p.fragId, p.proto, p.hasPorts, p.sport, p.dport]).toEqual([true, false, 77, 17, false, 0, 0]);
    expect(p.payloadLen).toBe(108);
  });

  it('the 32-bit fragment id is kept whole', () => {
    const { p } = decode(LT.RAW, ipv6({ next: FRAGMENT }, cat(frag6(UDP, 8, true, 0xffffffff), fill(16))));
    expect(p.fragId).toBe(0xffffffff);
  });

  it('AH: length in 32-bit words plus 2', () => {
    const pkt = ipv6({ next: AH }, cat(ah(UDP, 3), udp(500, 4500, fill(9))));
    const { p, weird } = decode(LT.RAW, pkt);
    expect(weird).toEqual({});
    expect([p.proto, p.sport, p.dport, p.payloadLen]).toEqual([17, 500, 4500, 9]);
  });

  it('AH then ESP: the protocol is ESP, no ports', () => {
    const pkt = ipv6({ next: HOPOPTS }, cat(ext6(AH), ah(ESP, 4), fill(40)));
    const { p } = decode(LT.RAW, pkt);
    expect([p.proto, p.hasPorts, p.payloadLen]).toEqual([50, false, 40]);
  });

  it('no next header (59)', () => {
    const { p, weird } = decode(LT.RAW, ipv6({ next: DSTOPTS }, ext6(NONE, fill(6))));
    expect(weird).toEqual({});
    expect([p.l3, p.proto, p.payloadLen]).toEqual([IP, 59, 0]);
  });

  it('a chain cut by the capture is truncated_ipv6_ext_header', () => {
    const pkt = ipv6({ next: HOPOPTS }, cat(ext6(DSTOPTS, fill(14)), ext6(UDP, fill(6)), udp(1, 2)));
    const { p, weird } = decode(LT.RAW, pkt, { caplen: 40 + 16 + 1 });
    expect(weird).toEqual({ truncated_ipv6_ext_header: 1 });
    expect([p.l3, p.proto, p.hasPorts]).toEqual([IP, 60, false]);
  });

  it('a fragment header cut by the capture is truncated_ipv6_ext_header', () => {
    const pkt = ipv6({ next: FRAGMENT }, cat(frag6(UDP, 0, true, 5), udp(1, 2, fill(40))));
    const { weird } = decode(LT.RAW, pkt, { caplen: 45 });
    expect(weird).toEqual({ truncated_ipv6_ext_header: 1 });
  });

  /** `n` destination-options headers, then UDP. */
  const chainOf = (n: number) => {
    const hdrs = Array.from({ length: n }, (_, i) => ext6(i === n - 1 ? UDP : DSTOPTS));
    return ipv6({ next: DSTOPTS }, cat(...hdrs, udp(7, 9, fill(4))));
  };

  it('a chain of 17 headers is past the bound: ipv6_ext_chain_too_long', () => {
    const { p, weird } = decode(LT.RAW, chainOf(17));
    expect(weird).toEqual({ ipv6_ext_chain_too_long: 1 });
    expect(p.hasPorts).toBe(false);
  });

  it('a chain of 15 headers is within the bound', () => {
    const { p, weird } = decode(LT.RAW, chainOf(15));
    expect(weird).toEqual({});
    expect([p.sport, p.dport, p.payloadLen]).toEqual([7, 9, 4]);
  });

  // MAX_EXT_HEADERS = 16 should allow 16 extension headers; the bound is checked before
  // looking whether the 17th "next header" is a transport (ipv6.ts loop head).
  it('a chain of exactly 16 headers is within the bound', () => {
    const { p, weird } = decode(LT.RAW, chainOf(16));
    expect(weird).toEqual({});
    expect([p.sport, p.dport]).toEqual([7, 9]);
  });
});
