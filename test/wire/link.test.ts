import { describe, expect, it } from 'vitest';
import {
  ETHERTYPE, IPPROTO, TCPF, be16, be32, cat, fill, ipv4, ipv6, le16, le32, mac, macNum, mpls, norm, sll, sll2, tcp, udp,
} from '../helpers/bytes.js';
import { LT, decode } from './decode.js';

const IP = 1, NON_IP = 2, BAD = 3;

const v4 = ipv4({ proto: IPPROTO.UDP, src: '172.16.0.1', dst: '172.16.0.2', ttl: 7 }, udp(1111, 2222, fill(20)));
const v6 = ipv6({ next: IPPROTO.TCP, src: 'fe80::1', dst: 'fe80::2' }, tcp({ sport: 22, dport: 50000, flags: TCPF.ACK }, fill(3)));

describe('Linux cooked capture', () => {
  it('SLL (113): sender MAC, IPv4 behind the protocol field', () => {
    const { p, src, weird } = decode(LT.LINUX_SLL, sll(ETHERTYPE.IPV4, v4, { addr: mac('00:11:22:33:44:55') }));
    expect(weird).toEqual({});
    expect(p.srcMac).toBe(macNum('00:11:22:33:44:55'));
    expect(p.dstMac).toBeNaN();
    expect([p.l3, src, p.sport, p.dport, p.ttl, p.payloadLen]).toEqual([IP, '172.16.0.1', 1111, 2222, 7, 20]);
  });

  it('SLL outgoing packet (type 4): the address is still the sender', () => {
    const { p } = decode(LT.LINUX_SLL, sll(ETHERTYPE.IPV6, v6, { pktType: 4, addr: mac('66:77:88:99:aa:bb') }));
    expect(p.srcMac).toBe(macNum('66:77:88:99:aa:bb'));
    expect(p.dstMac).toBeNaN();
    expect([p.ipVersion, p.sport, p.dport]).toEqual([6, 22, 50000]);
  });

  it('SLL with a non-Ethernet hardware type records no MAC', () => {
    const { p } = decode(LT.LINUX_SLL, sll(ETHERTYPE.IPV4, v4, { hatype: 772, addr: [] }));
    expect(p.srcMac).toBeNaN();
    expect(p.dport).toBe(2222);
  });

  it('SLL with a VLAN tag inside', () => {
    const { p } = decode(LT.LINUX_SLL, sll(0x8100, [...be16(12), ...be16(ETHERTYPE.IPV4), ...v4]));
    expect([p.vlanOuter, p.dport]).toEqual([12, 2222]);
  });

  it('SLL2 (276): sender MAC, IPv6', () => {
    const { p, src } = decode(LT.LINUX_SLL2, sll2(ETHERTYPE.IPV6, v6, { addr: mac('de:ad:be:ef:00:01'), ifindex: 9 }));
    expect(p.srcMac).toBe(macNum('de:ad:be:ef:00:01'));
    expect([p.l3, src, p.sport, p.dport, p.payloadLen]).toEqual([IP, norm('fe80::1'), 22, 50000, 3]);
  });

  it('SLL2 with MPLS', () => {
    const { p } = decode(LT.LINUX_SLL2, sll2(ETHERTYPE.MPLS, mpls([555], v4)));
    expect([p.mplsLabel, p.dport]).toEqual([555, 2222]);
  });

  it('cut cooked headers are truncated_sll_header', () => {
    expect(decode(LT.LINUX_SLL, sll(ETHERTYPE.IPV4, v4), { caplen: 15 }).weird).toEqual({ truncated_sll_header: 1 });
    expect(decode(LT.LINUX_SLL2, sll2(ETHERTYPE.IPV4, v4), { caplen: 19 }).weird).toEqual({ truncated_sll_header: 1 });
  });
});

describe('raw IP', () => {
  for (const lt of [LT.RAW, LT.RAW_12, LT.RAW_14]) {
    it(`link type ${lt}: the version nibble picks IPv4 or IPv6`, () => {
      const a = decode(lt, v4);
      expect([a.p.l3, a.p.ipVersion, a.src, a.p.dport]).toEqual([IP, 4, '172.16.0.1', 2222]);
      expect(a.p.srcMac).toBeNaN();
      const b = decode(lt, v6);
      expect([b.p.l3, b.p.ipVersion, b.dst, b.p.dport]).toEqual([IP, 6, norm('fe80::2'), 50000]);
    });
  }

  it('raw IP with version 5 is bad_ip_version', () => {
    const { p, weird } = decode(LT.RAW, [0x50, ...v4.slice(1)]);
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ bad_ip_version: 1 });
  });

  it('228 is IPv4 only, 229 IPv6 only', () => {
    expect(decode(LT.IPV4, v4).p.dport).toBe(2222);
    expect(decode(LT.IPV6, v6).p.dport).toBe(50000);
    expect(decode(LT.IPV4, v6).p.l3).toBe(BAD);
    expect(decode(LT.IPV6, v4).p.l3).toBe(BAD);
  });
});

describe('BSD loopback', () => {
  it('NULL (0) written little-endian: AF_INET 2', () => {
    const { p, src } = decode(LT.NULL, cat(le32(2), v4));
    expect([p.l3, src, p.dport]).toEqual([IP, '172.16.0.1', 2222]);
  });

  it('NULL (0) written big-endian: AF_INET 2', () => {
    const { p, src } = decode(LT.NULL, cat(be32(2), v4));
    expect([p.l3, src, p.dport]).toEqual([IP, '172.16.0.1', 2222]);
  });

  for (const af of [10, 24, 28, 30]) {
    it(`NULL AF_INET6 = ${af} in both byte orders`, () => {
      for (const hdr of [le32(af), be32(af)]) {
        const { p, dst } = decode(LT.NULL, cat(hdr, v6));
        expect([p.l3, p.ipVersion, dst, p.sport]).toEqual([IP, 6, norm('fe80::2'), 22]);
      }
    });
  }

  it('LOOP (108) is network byte order', () => {
    expect(decode(LT.LOOP, cat(be32(2), v4)).p.dport).toBe(2222);
    expect(decode(LT.LOOP, cat(be32(24), v6)).p.dport).toBe(50000);
  });

  it('an unknown family is null_unknown_family', () => {
    const { p, weird } = decode(LT.NULL, cat(le32(7), v4));
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ null_unknown_family: 1 });
  });

  it('a header shorter than 4 bytes is truncated_link_header', () => {
    expect(decode(LT.NULL, le32(2), { caplen: 3 }).weird).toEqual({ truncated_link_header: 1 });
  });
});

describe('PPP', () => {
  it('PPP (9) with ff 03 address/control', () => {
    const { p, src } = decode(LT.PPP, cat([0xff, 0x03, 0x00, 0x21], v4));
    expect([p.l3, src, p.dport]).toEqual([IP, '172.16.0.1', 2222]);
  });

  it('PPP (9) without address/control', () => {
    expect(decode(LT.PPP, cat([0x00, 0x21], v4)).p.dport).toBe(2222);
    expect(decode(LT.PPP, cat([0x00, 0x57], v6)).p.dport).toBe(50000);
  });

  it('PPP (9) with protocol-field compression (one byte 0x21 / 0x57)', () => {
    expect(decode(LT.PPP, cat([0x21], v4)).p.dport).toBe(2222);
    expect(decode(LT.PPP, cat([0xff, 0x03, 0x57], v6)).p.dport).toBe(50000);
  });

  it('PPP (9) with MPLS (0x0281)', () => {
    const { p } = decode(LT.PPP, cat([0xff, 0x03, 0x02, 0x81], mpls([4242], v4)));
    expect([p.mplsLabel, p.dport]).toEqual([4242, 2222]);
  });

  it('PPP LCP is not IP', () => {
    const { p } = decode(LT.PPP, [0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4]);
    expect(p.l3).toBe(NON_IP);
  });

  it('PPP_HDLC (50) with ff 03', () => {
    const { p, src } = decode(LT.PPP_HDLC, cat([0xff, 0x03, 0x00, 0x21], v4));
    expect([p.l3, src, p.dport]).toEqual([IP, '172.16.0.1', 2222]);
    expect(decode(LT.PPP_HDLC, cat([0xff, 0x03, 0x00, 0x57], v6)).p.dport).toBe(50000);
  });

  // tcpdump.org linktypes: LINKTYPE_PPP_HDLC "the first byte will be 0xFF for PPP in HDLC-like
  // framing, and will be 0x0F or 0x8F for Cisco PPP with HDLC framing" (RFC 1547 4.3.1: address,
  // control 0x00, then an EtherType).
  it('PPP_HDLC (50) with Cisco HDLC framing (0x0f / 0x8f, then an EtherType)', () => {
    const a = decode(LT.PPP_HDLC, cat([0x0f, 0x00], be16(ETHERTYPE.IPV4), v4));
    expect([a.p.l3, a.src, a.p.dport]).toEqual([IP, '172.16.0.1', 2222]);
    const b = decode(LT.PPP_HDLC, cat([0x8f, 0x00], be16(ETHERTYPE.IPV6), v6));
    expect([b.p.l3, b.p.dport]).toEqual([IP, 50000]);
  });
});

describe('NFLOG (239)', () => {
  /** TLV: length (header included), type; padded to 4; host byte order `le`. */
  const tlv = (le: boolean, type: number, value: number[]): number[] => {
    const len = 4 + value.length;
    const b = [...(le ? le16(len) : be16(len)), ...(le ? le16(type) : be16(type)), ...value];
    while (b.length % 4 !== 0) b.push(0);
    return b;
  };

  it('little-endian TLVs: the packet is in TLV type 9 after other TLVs', () => {
    const frame = cat([2, 0, 0, 5], tlv(true, 1, [0x08, 0x00, 3, 0]), tlv(true, 10, [...'pfx\0'].map((c) => c.charCodeAt(0))),
      tlv(true, 9, Array.from(v4)));
    const { p, src, weird } = decode(LT.NFLOG, frame);
    expect(weird).toEqual({});
    expect([p.l3, src, p.sport, p.dport, p.ipLen]).toEqual([IP, '172.16.0.1', 1111, 2222, v4.length]);
  });

  it('big-endian TLVs', () => {
    const frame = cat([10, 0, 0, 0], tlv(false, 1, [0x86, 0xdd, 3, 0]), tlv(false, 9, Array.from(v6)));
    const { p, dst } = decode(LT.NFLOG, frame);
    expect([p.l3, dst, p.dport]).toEqual([IP, norm('fe80::2'), 50000]);
  });

  it('an IP packet of odd length is padded inside its TLV; the padding is not wire data', () => {
    const odd = ipv4({ proto: IPPROTO.UDP }, udp(1, 2, fill(3))); // 31 bytes
    const { p, weird } = decode(LT.NFLOG, cat([2, 0, 0, 0], tlv(true, 9, Array.from(odd))));
    expect(weird).toEqual({});
    expect([p.ipLen, p.payloadLen]).toEqual([31, 3]);
  });

  it('no packet TLV is truncated_nflog_header', () => {
    const { p, weird } = decode(LT.NFLOG, cat([2, 0, 0, 0], tlv(true, 1, [8, 0, 3, 0])));
    expect(p.l3).toBe(BAD);
    expect(weird).toEqual({ truncated_nflog_header: 1 });
  });
});

describe('unknown link types', () => {
  for (const lt of [2, 105, 127, 147, 65535]) {
    it(`link type ${lt} is unknown_linktype`, () => {
      const { p, weird } = decode(lt, v4);
      expect(p.l3).toBe(BAD);
      expect(weird).toEqual({ unknown_linktype: 1 });
    });
  }
});
