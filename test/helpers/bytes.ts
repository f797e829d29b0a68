/**
 * Builders for literal test frames and capture files. Every builder returns plain bytes
 * (Uint8Array); lengths and checksums are filled in unless a test overrides them on purpose.
 */

export type Bytes = ArrayLike<number>;

/** Concatenates byte runs. */
export function cat(...parts: Bytes[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(Array.from(p), o); o += p.length; }
  return out;
}

export const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
export const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const le16 = (n: number): number[] => be16(n).reverse();
export const le32 = (n: number): number[] => be32(n).reverse();
export const zeros = (n: number): number[] => new Array<number>(n).fill(0);
/** `n` bytes counting up from `start` (easy to spot in a hex dump). */
export const fill = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => (start + i) & 0xff);

// ---------------------------------------------------------------- addresses

export function mac(s: string): number[] {
  const b = s.split(':').map((h) => parseInt(h, 16));
  if (b.length !== 6) throw new Error(`bad MAC ${s}`);
  return b;
}

/** A MAC as the 48-bit integer the decoders store. */
export function macNum(s: string): number {
  return mac(s).reduce((a, b) => a * 256 + b, 0);
}

export function ip4(s: string): number[] {
  const b = s.split('.').map(Number);
  if (b.length !== 4) throw new Error(`bad IPv4 ${s}`);
  return b;
}

export function ip6(s: string): number[] {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 ${s}`);
  return groups.flatMap((g) => be16(parseInt(g, 16)));
}

/** An address as the 4 big-endian words of Decoded.src / the flow columns (IPv4 mapped). */
export function addrWords(s: string): number[] {
  const b = s.includes(':') ? ip6(s) : [...zeros(10), 0xff, 0xff, ...ip4(s)];
  return [0, 1, 2, 3].map((i) => ((b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3]) >>> 0);
}

/** Text of 4 address words (IPv4-mapped shown as IPv4; IPv6 fully expanded, lower case). */
export function addrText(w: ArrayLike<number>, off = 0): string {
  if (w[off] === 0 && w[off + 1] === 0 && w[off + 2] === 0xffff) {
    const v = w[off + 3];
    return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
  }
  const g: string[] = [];
  for (let i = 0; i < 4; i++) g.push((w[off + i] >>> 16).toString(16), (w[off + i] & 0xffff).toString(16));
  return g.join(':');
}

/** Canonical text (as addrText gives it) of an address literal. */
export const norm = (s: string): string => addrText(addrWords(s));

// ---------------------------------------------------------------- link layer

export const ETHERTYPE = {
  IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, QINQ_OLD: 0x9100, IPV6: 0x86dd,
  MPLS: 0x8847, PPPOE: 0x8864, TEB: 0x6558, PPP: 0x880b, ERSPAN2: 0x88be, ERSPAN3: 0x22eb, LLDP: 0x88cc,
} as const;

export const SRC_MAC = '02:00:00:00:00:01';
export const DST_MAC = '02:00:00:00:00:02';

export interface EtherOpts {
  src?: string;
  dst?: string;
  /** VLAN tags outermost first: [TPID, TCI]. */
  tags?: readonly (readonly [number, number])[];
}

export function ether(type: number, payload: Bytes, o: EtherOpts = {}): Uint8Array {
  const tags = (o.tags ?? []).flatMap(([tpid, tci]) => [...be16(tpid), ...be16(tci)]);
  return cat(mac(o.dst ?? DST_MAC), mac(o.src ?? SRC_MAC), tags, be16(type), payload);
}

/** MPLS label stack entries (top first), bottom-of-stack set on the last; TTL 64. */
export function mpls(labels: readonly number[], payload: Bytes): Uint8Array {
  const entries = labels.flatMap((l, i) => be32(((l << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0));
  return cat(entries, payload);
}

/** PPPoE session frame (RFC 2516) with a 2-byte PPP protocol. */
export function pppoe(session: number, pppProto: number, payload: Bytes): Uint8Array {
  return cat([0x11, 0x00], be16(session), be16(payload.length + 2), be16(pppProto), payload);
}

/** Linux cooked v1 (16 bytes): packet type, ARPHRD, address length, 8-byte address, protocol. */
export function sll(proto: number, payload: Bytes, o: { pktType?: number; hatype?: number; addr?: number[] } = {}): Uint8Array {
  const addr = o.addr ?? mac(SRC_MAC);
  return cat(be16(o.pktType ?? 0), be16(o.hatype ?? 1), be16(addr.length), addr, zeros(8 - addr.length), be16(proto), payload);
}

/** Linux cooked v2 (20 bytes): protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
export function sll2(proto: number, payload: Bytes, o: { pktType?: number; hatype?: number; addr?: number[]; ifindex?: number } = {}): Uint8Array {
  const addr = o.addr ?? mac(SRC_MAC);
  return cat(be16(proto), [0, 0], be32(o.ifindex ?? 3), be16(o.hatype ?? 1), [o.pktType ?? 0, addr.length], addr, zeros(8 - addr.length), payload);
}

// ---------------------------------------------------------------- IP

export const IPPROTO = {
  HOPOPTS: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, ROUTING: 43, FRAGMENT: 44, GRE: 47, ESP: 50, AH: 51,
  ICMPV6: 58, NONE: 59, DSTOPTS: 60, OSPF: 89, SCTP: 132,
} as const;

export function checksum(b: Bytes): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ip4Opts {
  src?: string;
  dst?: string;
  proto: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Option bytes (padded to 4 with zeros). */
  options?: readonly number[];
  /** Overrides the total length field. */
  totalLen?: number;
}

export function ipv4(o: Ip4Opts, payload: Bytes = []): Uint8Array {
  const opts = [...(o.options ?? [])];
  while (opts.length % 4 !== 0) opts.push(0);
  const ihl = 5 + opts.length / 4;
  const ff = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >>> 3);
  const h = [
    0x40 | ihl, 0, ...be16(o.totalLen ?? ihl * 4 + payload.length), ...be16(o.id ?? 0x1234), ...be16(ff),
    o.ttl ?? 64, o.proto, 0, 0, ...ip4(o.src ?? '192.0.2.1'), ...ip4(o.dst ?? '198.51.100.2'), ...opts,
  ];
  const c = checksum(h);
  h[10] = c >>> 8; h[11] = c & 0xff;
  return cat(h, payload);
}

export interface Ip6Opts {
  src?: string;
  dst?: string;
  next: number;
  hop?: number;
  /** Overrides the payload length field. */
  payloadLen?: number;
}

export function ipv6(o: Ip6Opts, payload: Bytes = []): Uint8Array {
  return cat([0x60, 0, 0, 0], be16(o.payloadLen ?? payload.length), [o.next, o.hop ?? 64],
    ip6(o.src ?? '2001:db8::1'), ip6(o.dst ?? '2001:db8::2'), payload);
}

/** Hop-by-hop, destination options or routing header: body padded so the whole is a multiple of 8. */
export function ext6(next: number, body: readonly number[] = []): Uint8Array {
  const b = [...body];
  while ((b.length + 2) % 8 !== 0) b.push(0);
  return cat([next, (b.length + 2) / 8 - 1], b);
}

/** Routing header type 4 (segment routing) style: type, segments left, then addresses. */
export function routing6(next: number, addrs: readonly string[]): Uint8Array {
  return ext6(next, [4, addrs.length, addrs.length - 1, 0, 0, 0, ...addrs.flatMap(ip6)]);
}

/** Fragment header: offset in bytes (multiple of 8), M flag, identification. */
export function frag6(next: number, offset: number, more: boolean, id: number): Uint8Array {
  return cat([next, 0], be16((offset & 0xfff8) | (more ? 1 : 0)), be32(id));
}

/** Authentication header with an ICV of `icvWords` 32-bit words. */
export function ah(next: number, icvWords = 3): Uint8Array {
  return cat([next, icvWords + 1, 0, 0], be32(0x100), be32(1), zeros(icvWords * 4));
}

// ---------------------------------------------------------------- transport

export const TCPF = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, NS: 0x100 } as const;

export interface TcpOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: readonly number[];
  /** Overrides the data offset (in 32-bit words). */
  doff?: number;
}

export function tcp(o: TcpOpts, payload: Bytes = []): Uint8Array {
  const opts = [...(o.options ?? [])];
  while (opts.length % 4 !== 0) opts.push(1); // NOP
  const doff = o.doff ?? 5 + opts.length / 4;
  return cat(be16(o.sport), be16(o.dport), be32(o.seq ?? 1000), be32(o.ack ?? 0),
    be16(((doff << 12) | (o.flags & 0x1ff)) >>> 0), be16(o.window ?? 8192), [0, 0, 0, 0], opts, payload);
}

export function udp(sport: number, dport: number, payload: Bytes = [], len?: number): Uint8Array {
  return cat(be16(sport), be16(dport), be16(len ?? 8 + payload.length), [0, 0], payload);
}

/** ICMP / ICMPv6: type, code, checksum, 4 bytes of rest-of-header, body. */
export function icmp(type: number, code: number, body: Bytes = [], rest: readonly number[] = [0, 1, 0, 1]): Uint8Array {
  return cat([type, code, 0, 0], rest, body);
}

export function sctp(sport: number, dport: number, payload: Bytes = []): Uint8Array {
  return cat(be16(sport), be16(dport), be32(0xdeadbeef), be32(0), payload);
}

// ---------------------------------------------------------------- tunnels

export interface GreOpts {
  proto: number;
  csum?: boolean;
  key?: number;
  seq?: number;
  /** 1 = enhanced GRE (PPTP): key is payload length << 16 | call id. */
  version?: number;
  ackNum?: number;
  /** Extra flag bits ORed in (e.g. routing 0x4000). */
  extraFlags?: number;
}

export function gre(o: GreOpts, payload: Bytes = []): Uint8Array {
  let flags = (o.version ?? 0) | (o.extraFlags ?? 0);
  const tail: number[] = [];
  if (o.csum) { flags |= 0x8000; tail.push(0, 0, 0, 0); }
  if (o.key !== undefined) { flags |= 0x2000; tail.push(...be32(o.key)); }
  if (o.seq !== undefined) { flags |= 0x1000; tail.push(...be32(o.seq)); }
  if (o.ackNum !== undefined) { flags |= 0x0080; tail.push(...be32(o.ackNum)); }
  return cat(be16(flags), be16(o.proto), tail, payload);
}

/** ERSPAN type II header (8 bytes): version 1, VLAN, session id, index. */
export function erspan2(session: number, payload: Bytes): Uint8Array {
  return cat(be16(0x1000 | 0), be16(session & 0x3ff), be32(0), payload);
}

export function vxlan(vni: number, payload: Bytes, flags = 0x08): Uint8Array {
  return cat([flags, 0, 0, 0], be32((vni << 8) >>> 0), payload);
}

export interface GtpOpts {
  teid?: number;
  msgType?: number;
  seq?: number;
  /** Extension headers: [type, content] (content padded so each is a multiple of 4 bytes with its length and next-type bytes). */
  ext?: readonly (readonly [number, readonly number[]])[];
}

export function gtpu(o: GtpOpts, payload: Bytes): Uint8Array {
  const ext = o.ext ?? [];
  const hasOpt = ext.length > 0 || o.seq !== undefined;
  let flags = 0x30;
  if (ext.length > 0) flags |= 0x04;
  if (o.seq !== undefined) flags |= 0x02;
  const opt: number[] = [];
  if (hasOpt) opt.push(...be16(o.seq ?? 0), 0, ext.length > 0 ? ext[0][0] : 0);
  ext.forEach(([, content], i) => {
    const c = [...content];
    while ((c.length + 2) % 4 !== 0) c.push(0);
    opt.push((c.length + 2) / 4, ...c, i + 1 < ext.length ? ext[i + 1][0] : 0);
  });
  const body = cat(opt, payload);
  return cat([flags, o.msgType ?? 0xff], be16(body.length), be32(o.teid ?? 0x01020304), body);
}

/** Teredo origin indication (RFC 4380 5.1.1): port and address obfuscated by XOR with all ones. */
export function teredoOrigin(port: number, addr: string): number[] {
  return [0, 0, ...be16(~port & 0xffff), ...ip4(addr).map((b) => ~b & 0xff)];
}

/** Teredo authentication indicator with empty client id and auth value. */
export function teredoAuth(): number[] {
  return [0, 1, 0, 0, ...fill(8, 0x40), 0];
}

// ---------------------------------------------------------------- capture files

/** A little writer in one byte order. */
export class W {
  private readonly b: number[] = [];
  constructor(readonly le: boolean) {}
  u8(n: number): this { this.b.push(n & 0xff); return this; }
  u16(n: number): this { this.b.push(...(this.le ? le16(n) : be16(n))); return this; }
  u32(n: number): this { this.b.push(...(this.le ? le32(n) : be32(n))); return this; }
  u64(n: bigint): this {
    const hi = Number((n >> 32n) & 0xffffffffn), lo = Number(n & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: Bytes): this { this.b.push(...Array.from(b)); return this; }
  pad4(): this { while (this.b.length % 4 !== 0) this.b.push(0); return this; }
  get length(): number { return this.b.length; }
  done(): Uint8Array { return Uint8Array.from(this.b); }
}

export interface PcapRecord {
  sec: number;
  /** Microseconds, or nanoseconds in an ns file. */
  frac: number;
  data: Bytes;
  /** Original length (defaults to data.length). */
  orig?: number;
}

export interface PcapHeader {
  le?: boolean;
  ns?: boolean;
  snaplen?: number;
  /** The whole 32-bit link-type field (FCS bits included). */
  linktype: number;
  major?: number;
}

export function pcapHeader(h: PcapHeader): Uint8Array {
  const w = new W(h.le ?? true);
  return w.u32(h.ns ? 0xa1b23c4d : 0xa1b2c3d4).u16(h.major ?? 2).u16(4).u32(0).u32(0)
    .u32(h.snaplen ?? 65535).u32(h.linktype).done();
}

export function pcapRecord(r: PcapRecord, le = true): Uint8Array {
  return new W(le).u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.orig ?? r.data.length).bytes(r.data).done();
}

export function pcapFile(h: PcapHeader, records: readonly PcapRecord[]): Uint8Array {
  return cat(pcapHeader(h), ...records.map((r) => pcapRecord(r, h.le ?? true)));
}

/** A pcapng option: code, length, value padded to 4. */
export function ngOpt(le: boolean, code: number, value: Bytes): Uint8Array {
  return new W(le).u16(code).u16(value.length).bytes(value).pad4().done();
}

export const ngEnd = (le: boolean): Uint8Array => new W(le).u16(0).u16(0).done();

/** A pcapng block: type, total length, body (padded to 4), total length again. */
export function ngBlock(le: boolean, type: number, body: Bytes): Uint8Array {
  const pad = (4 - (body.length % 4)) % 4;
  const total = 12 + body.length + pad;
  return new W(le).u32(type).u32(total).bytes(body).bytes(zeros(pad)).u32(total).done();
}

export function shb(le: boolean, options: Bytes = []): Uint8Array {
  const body = new W(le).u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn).bytes(options).done();
  return ngBlock(le, 0x0a0d0d0a, body);
}

export function idb(le: boolean, linktype: number, snaplen = 0, options: Bytes = []): Uint8Array {
  return ngBlock(le, 1, new W(le).u16(linktype).u16(0).u32(snaplen).bytes(options).done());
}

/** if_tsresol option value byte, and if_tsoffset as signed 64-bit seconds. */
export const tsresol = (le: boolean, code: number): Uint8Array => ngOpt(le, 9, [code]);
export const tsoffset = (le: boolean, sec: bigint): Uint8Array =>
  ngOpt(le, 14, new W(le).u64(BigInt.asUintN(64, sec)).done());

export function epb(le: boolean, ifId: number, ts: bigint, data: Bytes, wire = data.length, options: Bytes = []): Uint8Array {
  const body = new W(le).u32(ifId).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
    .u32(data.length).u32(wire).bytes(data).pad4().bytes(options).done();
  return ngBlock(le, 6, body);
}

/** Simple packet block; `room` bytes of data follow (defaults to all of data). */
export function spb(le: boolean, wire: number, data: Bytes): Uint8Array {
  return ngBlock(le, 3, new W(le).u32(wire).bytes(data).pad4().done());
}

/** Obsolete packet block (type 2): 16-bit interface id and drops count. */
export function pb(le: boolean, ifId: number, ts: bigint, data: Bytes, wire = data.length): Uint8Array {
  const body = new W(le).u16(ifId).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
    .u32(data.length).u32(wire).bytes(data).pad4().done();
  return ngBlock(le, 2, body);
}

/** Interface statistics block with 64-bit counters by option code (4 ifrecv .. 8 usrdeliv). */
export function isb(le: boolean, ifId: number, counters: Readonly<Record<number, bigint>>, ts = 0n): Uint8Array {
  const w = new W(le).u32(ifId).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn));
  for (const [code, v] of Object.entries(counters)) w.bytes(ngOpt(le, Number(code), new W(le).u64(v).done()));
  w.bytes(ngEnd(le));
  return ngBlock(le, 5, w.done());
}
