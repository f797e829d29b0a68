/**
 * ixp-mix: a deterministic generator of internet-exchange-like traffic.
 *
 * What a mirror of a peering-LAN port carries: Ethernet frames between ~40
 * member routers (fixed MACs with router-vendor OUIs), on several peering LANs
 * (untagged, 802.1Q, QinQ 0x88a8), IPv4 and IPv6 (~70/30), with
 *  - TCP with full lifecycles (handshake, request/response data with delayed
 *    ACKs and slow-start bursts, FIN/FIN, RST, rejected and unanswered SYNs,
 *    mid-stream and one-way (asymmetric routing) flows, retransmissions),
 *    TLS (ClientHello with SNI), HTTP/1.1, SSH, SMTP+STARTTLS and BGP
 *    sessions between the member routers;
 *  - UDP: DNS (real wire format, A/AAAA/TXT, NXDOMAIN), QUIC on 443 (real v1
 *    Initials with a ClientHello and a ServerHello, quic-initial.ts; the rest random),
 *    NTP, high-port UDP, probes answered by ICMP port-unreachable;
 *  - ICMP/ICMPv6 echo, ICMP errors quoting the UDP header, IPv6 ND, ARP, LLDP;
 *  - IPv4 fragments (large DNS responses, large pings).
 * Flow sizes follow a bounded Pareto (most flows small, a few elephants),
 * flows arrive as a Poisson process and are interleaved by a time-ordered heap.
 *
 * All randomness comes from one seeded xoshiro128** stream, so the same
 * options give a byte-identical file. Frames are assembled in place in the
 * writer's buffer and only the first `snaplen` bytes are produced, so header-
 * only captures of tens of millions of packets are cheap.
 *
 * Lengths (IPv4 total length/IHL, IPv6 payload length, TCP data offset, UDP
 * length) are always exact; orig_len is the full frame length (padded to the
 * 60-byte Ethernet minimum). IPv4 header, ICMP/ICMPv6 and small-UDP (DNS,
 * NTP, probes) checksums are correct; TCP and bulk-UDP checksums are
 * placeholders (never zero) because the payload beyond the snaplen is never
 * materialised.
 */
import { PcapWriter } from './pcap-writer.js';
import { BW } from './byte-writer.js';
import { ackFrame, cryptoFrame, initialOverhead, quicClientHello, quicServerHello, sealInitial } from './quic-initial.js';
import { deriveInitialKeys, type QuicInitialKeys } from '../inspect/quic-crypto.js';

// ---------------------------------------------------------------------------
// Deterministic PRNG: xoshiro128** seeded through splitmix32

function rotl(x: number, k: number): number { return (x << k) | (x >>> (32 - k)); }

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
    let x = lo | 0;
    const mix = Math.imul(hi, 0x632be5ab);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x ^ mix;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform uint32. */
  u32(): number {
    const s0 = this.s0, s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let s2 = this.s2 ^ s0;
    let s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    this.s2 = s2; this.s3 = s3;
    return r;
  }

  /** Uniform in [0, 1). */
  float(): number { return this.u32() / 4294967296; }
  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.float() * n); }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + Math.floor(this.float() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.float() < p; }
  pick<T>(a: readonly T[]): T { return a[Math.floor(this.float() * a.length)]; }
  /** Exponential with the given mean. */
  exp(mean: number): number { return -Math.log(1 - this.float()) * mean; }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Log-normal with the given median and log-sigma. */
  logNormal(median: number, sigma: number): number { return median * Math.exp(sigma * this.normal()); }
  /** Log-uniform in [lo, hi]. */
  logUniform(lo: number, hi: number): number { return lo * Math.exp(this.float() * Math.log(hi / lo)); }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.fill(b, 0, n);
    return b;
  }
  fill(b: Uint8Array, off: number, n: number): void {
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = this.u32();
      b[off + i] = v; b[off + i + 1] = v >>> 8; b[off + i + 2] = v >>> 16; b[off + i + 3] = v >>> 24;
    }
    if (i < n) { let v = this.u32(); for (; i < n; i++) { b[off + i] = v; v >>>= 8; } }
  }
}

/** Turn a CLI seed (number or any string) into a numeric seed. */
export function seedFromString(s: string): number {
  if (/^-?\d+$/.test(s.trim())) return Number(s.trim());
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

// ---------------------------------------------------------------------------
// Public API types

export interface GenerateOptions {
  /** Output path, or '-' for stdout. */
  out: string;
  /** Exact number of packets to write. */
  packets: number;
  /** Approximate number of IP flows (default packets/10, or packets/200 with fullSize). */
  flows?: number;
  /** Snapshot length (default 256, or 65535 with fullSize). */
  snaplen?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Mostly 1500-byte frames: bulk TCP/QUIC, stretch ACKs, asymmetric (data-only) flows. */
  fullSize?: boolean;
  /** Nanosecond pcap magic instead of microseconds. */
  nsResolution?: boolean;
  /** Nominal capture duration in seconds (default max(1, packets/10000)). */
  durationSec?: number;
  /** Unix time of the capture start (default 2024-06-01T12:00:00Z). */
  startTime?: number;
}

export interface GenStats {
  packets: number;
  /** Sum of orig_len (full frame lengths). */
  bytes: number;
  /** Sum of incl_len (what is in the file). */
  capturedBytes: number;
  /** Size of the pcap file. */
  fileBytes: number;
  /** IP flows that put at least one packet in the capture. */
  flows: number;
  /** ARP / neighbour-discovery / LLDP exchanges. */
  l2Exchanges: number;
  /** Seconds between the first and the last packet. */
  durationSec: number;
  startTime: number;
  snaplen: number;
  nsResolution: boolean;
  seed: number;
  /** Packet counts by category (a packet counts in several: e.g. ipv6, tcp, vlan, tls). */
  kinds: Record<PacketKind, number>;
  /** Flows started by kind. */
  flowKinds: Record<FlowKind, number>;
  /** Packets by the kind of flow that produced them. */
  packetsByFlowKind: Record<FlowKind, number>;
}

export const PACKET_KINDS = [
  'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'arp', 'lldp', 'vlan', 'qinq',
  'ipv4_fragment', 'truncated', 'padded', 'tcp_syn', 'tcp_synack', 'tcp_fin', 'tcp_rst',
  'tcp_retransmission', 'tls', 'http', 'ssh', 'smtp', 'bgp', 'dns', 'quic', 'ntp',
] as const;
export type PacketKind = typeof PACKET_KINDS[number];
const PK_IPV4 = 0, PK_IPV6 = 1, PK_TCP = 2, PK_UDP = 3, PK_ICMP = 4, PK_ICMPV6 = 5, PK_ARP = 6, PK_LLDP = 7,
  PK_VLAN = 8, PK_QINQ = 9, PK_FRAG = 10, PK_TRUNC = 11, PK_PADDED = 12, PK_SYN = 13, PK_SYNACK = 14,
  PK_FIN = 15, PK_RST = 16, PK_RETX = 17, PK_TLS = 18, PK_HTTP = 19, PK_SSH = 20, PK_SMTP = 21,
  PK_BGP = 22, PK_DNS = 23, PK_QUIC = 24, PK_NTP = 25;

export const FLOW_KINDS = [
  'tcp', 'tcp_rst', 'tcp_rej', 'tcp_s0', 'tcp_mid', 'tcp_oneway', 'bgp',
  'dns', 'dns_frag', 'quic', 'ntp', 'udp_high', 'udp_unreach',
  'icmp_echo', 'icmp_frag', 'arp', 'nd', 'lldp',
] as const;
export type FlowKind = typeof FLOW_KINDS[number];
const FK_TCP = 0, FK_TCP_RST = 1, FK_TCP_REJ = 2, FK_TCP_S0 = 3, FK_TCP_MID = 4, FK_TCP_ONEWAY = 5,
  FK_BGP = 6, FK_DNS = 7, FK_DNS_FRAG = 8, FK_QUIC = 9, FK_NTP = 10, FK_UDP_HIGH = 11,
  FK_UDP_UNREACH = 12, FK_ICMP_ECHO = 13, FK_ICMP_FRAG = 14, FK_ARP = 15, FK_ND = 16, FK_LLDP = 17;
const NFK = FLOW_KINDS.length;
const L2_KIND_FIRST = FK_ARP;

/** Share of flow starts by kind (normalised). */
const MIX_NORMAL = [
  0.355, 0.03, 0.012, 0.035, 0.03, 0.025, 0.012,
  0.16, 0.008, 0.12, 0.025, 0.045, 0.012,
  0.05, 0.004, 0.022, 0.008, 0.008,
];
const MIX_FULL = [
  0.25, 0.004, 0, 0.002, 0.08, 0.3, 0.002,
  0.02, 0, 0.3, 0.004, 0.02, 0,
  0.006, 0, 0.004, 0.002, 0.002,
];
/** Mean packets of the fixed-size kinds (measured); elastic kinds are -1. */
const FIXED_MEAN = [
  -1, -1, 2, 1.9, -1, -1, 18,
  2.3, 3.45, -1, 2, -1, 4,
  5.3, 6.7, 1.8, 1.9, 1,
];
/** Minimum packets an elastic flow produces, and the share of its packets that are visible. */
const ELASTIC_MIN = [18, 5, 0, 0, 4, 8, 0, 0, 0, 7, 0, 1, 0, 0, 0, 0, 0, 0];
const ELASTIC_VIS = [1, 1, 0, 0, 1, 0.55, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0];
const PARETO_ALPHA = 1.15;

// ---------------------------------------------------------------------------
// Constants

const NS_US = 1_000;
const NS_MS = 1_000_000;
const NS_S = 1_000_000_000;
const POOL_SIZE = 1 << 20;
const POOL_SLACK = 4096;
const TLS_REC = 16406; // 5-byte header + 2^14 + 17 (TLS 1.3 AEAD) ciphertext
const LINE_NS_PER_BYTE = 0.8; // 10 Gb/s capture port
const MAX_FRAME = 1600;
const DEFAULT_START = 1717243200; // 2024-06-01T12:00:00Z
const NTP_EPOCH_OFFSET = 2208988800;

const F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10;
const OPT_NONE = 0, OPT_TS = 1, OPT_SYN = 2;

const APP_TLS = 0, APP_HTTP = 1, APP_SSH = 2, APP_SMTP = 3, APP_BGP = 4;
const TCP_PORTS = [443, 80, 22, 25, 993, 8080, 853, 8443, 5228, 4443, 995, 9443];
const TCP_PORT_W = [0.64, 0.14, 0.03, 0.03, 0.03, 0.025, 0.01, 0.02, 0.015, 0.01, 0.01, 0.01];
/**
 * Ports >= 10000 that Wireshark decodes by port (UDP, and TCP above 32767): random
 * ephemeral and "high-port" ports stay off them so random payloads are not misparsed.
 */
const PORT_AVOID = new Set([
  44321, 44322, 48049, 48898,
  10253, 10500, 11211, 11273, 11898, 12000, 12001, 12002, 12003, 12004, 12220, 12222, 12223, 13400, 13819,
  13907, 13910, 17220, 17500, 17754, 17755, 17756, 18246, 19132, 19788, 19948, 19999, 20000, 20561, 22222,
  23272, 24576, 24577, 25826, 26000, 27036, 27500, 27910, 27950, 27951, 27952, 27953, 27960, 27961, 27962,
  27963, 30030, 32000, 32512, 33434, 34962, 34980, 37008, 41170, 44818, 45564, 47000, 47808, 49999, 51820,
  54328, 56000, 56001, 56500, 56501, 57000, 57001, 57032, 57033, 57500, 57501, 57532, 57533, 59000, 59001,
  59032, 59033, 59500, 59501, 59532, 59533, 60001,
]);

// ---------------------------------------------------------------------------
// Small byte helpers

function w16(b: Uint8Array, o: number, v: number): void { b[o] = v >>> 8; b[o + 1] = v; }
function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24; b[o + 1] = v >>> 16; b[o + 2] = v >>> 8; b[o + 3] = v;
}
/** Copy `n` bytes; a plain loop beats the native call for the short copies that dominate. */
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n > 96) { dst.set(src.subarray(from, from + n), to); return; }
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

function sum16(b: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc;
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  return s;
}
function foldCsum(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return (~s) & 0xffff;
}

/** Growable byte writer for building protocol messages. */
function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 127;
  return b;
}

// ---------------------------------------------------------------------------
// Topology: member routers and peering LANs

interface Member {
  idx: number;
  asn: number;
  mac: Uint8Array;
  vendor: number;
  sysName: string;
  portName: string;
  /** /16 bases of the customer cone (uint32). */
  v4: number[];
  /** /48 bases (16 bytes, rest zero). */
  v6: Uint8Array[];
  srv4: number[];
  srv6: Uint8Array[];
  lldp: Uint8Array | null;
}

interface Lan {
  /** [tpid, tci, tpid, tci, ...] outermost first. */
  tags: number[];
  qinq: boolean;
  v4: number;
  v6: Uint8Array;
}

const VENDORS: { ouis: number[][]; port: (n: number) => string; w: number }[] = [
  { ouis: [[0x00, 0x05, 0x85], [0x2c, 0x6b, 0xf5], [0x3c, 0x61, 0x04], [0x84, 0xb5, 0x9c]], port: (n) => `et-0/0/${n}`, w: 0.3 },
  { ouis: [[0x00, 0x1b, 0x54], [0x00, 0x23, 0x04], [0x58, 0x8d, 0x09], [0xf8, 0x72, 0xea]], port: (n) => `HundredGigE0/0/0/${n}`, w: 0.3 },
  { ouis: [[0x28, 0x99, 0x3a], [0x44, 0x4c, 0xa8], [0xfc, 0xbd, 0x67]], port: (n) => `Ethernet${n}/1`, w: 0.2 },
  { ouis: [[0x00, 0xe0, 0xfc], [0x70, 0x7b, 0xe8]], port: (n) => `100GE1/0/${n}`, w: 0.08 },
  { ouis: [[0xa4, 0x7b, 0x2c]], port: (n) => `1/1/c${n}/1`, w: 0.08 },
  { ouis: [[0x00, 0x04, 0x96]], port: (n) => `1:${n}`, w: 0.04 },
];
const CITIES = ['fra', 'ams', 'lon', 'par', 'mad', 'mil', 'waw', 'vie', 'zrh', 'sto'];
/** First octets of the /16s handed to members (plus 198.18.0.0/16, the benchmark range). */
const V4_FIRST_OCTETS = [45, 62, 77, 80, 85, 91, 141, 176, 185, 193, 195, 212, 213, 217];
const N_MEMBERS = 40;

function ip4(a: number, b: number, c: number, d: number): number { return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0; }
function v6Prefix(words: number[]): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < words.length; i++) { b[2 * i] = words[i] >>> 8; b[2 * i + 1] = words[i] & 255; }
  return b;
}

interface Topology {
  members: Member[];
  lans: Lan[];
  lanCum: Float64Array;
  eyeCum: Float64Array;
  contentCum: Float64Array;
}

function cumulative(w: number[]): Float64Array {
  const c = new Float64Array(w.length);
  let s = 0;
  for (let i = 0; i < w.length; i++) { s += w[i]; c[i] = s; }
  for (let i = 0; i < w.length; i++) c[i] /= s;
  c[w.length - 1] = 1;
  return c;
}
function pickCum(c: Float64Array, u: number): number {
  let i = 0;
  while (i < c.length - 1 && c[i] <= u) i++;
  return i;
}

function buildTopology(rng: Rng): Topology {
  const lans: Lan[] = [
    { tags: [], qinq: false, v4: ip4(203, 0, 113, 0), v6: v6Prefix([0x2001, 0xdb8, 0xffff, 0]) },
    { tags: [0x8100, 100], qinq: false, v4: ip4(198, 51, 100, 0), v6: v6Prefix([0x2001, 0xdb8, 0xffff, 0x100]) },
    { tags: [0x8100, 2001], qinq: false, v4: ip4(192, 0, 2, 0), v6: v6Prefix([0x2001, 0xdb8, 0xffff, 0x2001]) },
    { tags: [0x88a8, 3000, 0x8100, 10], qinq: true, v4: ip4(198, 19, 255, 0), v6: v6Prefix([0x2001, 0xdb8, 0xffff, 0x3000]) },
    { tags: [0x88a8, 3001, 0x8100, 20], qinq: true, v4: ip4(198, 19, 254, 0), v6: v6Prefix([0x2001, 0xdb8, 0xffff, 0x3001]) },
  ];
  const lanCum = cumulative([0.72, 0.15, 0.08, 0.03, 0.02]);
  const vendorCum = cumulative(VENDORS.map((v) => v.w));
  const members: Member[] = [];
  for (let i = 0; i < N_MEMBERS; i++) {
    const vendor = pickCum(vendorCum, rng.float());
    const oui = rng.pick(VENDORS[vendor].ouis);
    const mac = new Uint8Array([oui[0], oui[1], oui[2], rng.int(256), rng.int(256), rng.int(256)]);
    const asn = i < 16 ? 64496 + i : i < 32 ? 65536 + (i - 16) : 4200000000 + i * 37;
    const v4: number[] = [];
    if (i === 0) v4.push(ip4(198, 18, 0, 0));
    const n4 = 2 + rng.int(3);
    for (let j = 0; j < n4; j++) v4.push(ip4(rng.pick(V4_FIRST_OCTETS), rng.int(256), 0, 0));
    const v6: Uint8Array[] = [];
    for (let j = 0; j < 2; j++) v6.push(v6Prefix([0x2001, 0xdb8, 0x1000 + i * 16 + j]));
    const city = rng.pick(CITIES);
    members.push({
      idx: i, asn, mac, vendor,
      sysName: `rtr${1 + rng.int(4)}.${city}.as${asn}.example.net`,
      portName: VENDORS[vendor].port(rng.int(48)),
      v4, v6, srv4: [], srv6: [], lldp: null,
    });
  }
  // Content (server-side) and eyeball (client-side) popularity: two Zipf rankings.
  const content = new Array<number>(N_MEMBERS), eye = new Array<number>(N_MEMBERS);
  const permC = members.map((m) => m.idx), permE = members.map((m) => m.idx);
  for (let i = N_MEMBERS - 1; i > 0; i--) {
    const j = rng.int(i + 1); [permC[i], permC[j]] = [permC[j], permC[i]];
    const k = rng.int(i + 1); [permE[i], permE[k]] = [permE[k], permE[i]];
  }
  for (let r = 0; r < N_MEMBERS; r++) {
    content[permC[r]] = 1 / Math.pow(r + 1, 1.1);
    eye[permE[r]] = 1 / Math.pow(r + 1, 0.9);
  }
  const cs = content.reduce((a, b) => a + b, 0);
  for (const m of members) {
    const share = content[m.idx] / cs;
    const n = 8 + Math.floor(share * 1500);
    for (let j = 0; j < n; j++) {
      const base = m.v4[j % Math.min(2, m.v4.length)];
      m.srv4.push((base + rng.range(1, 65534)) >>> 0);
    }
    const n6 = 4 + Math.floor(share * 600);
    for (let j = 0; j < n6; j++) {
      const a = new Uint8Array(m.v6[0]);
      a[7] = rng.int(16);
      if (rng.chance(0.5)) { a[14] = rng.int(256); a[15] = rng.range(1, 255); }
      else rng.fill(a, 8, 8);
      m.srv6.push(a);
    }
  }
  return { members, lans, lanCum, eyeCum: cumulative(eye), contentCum: cumulative(content) };
}

// ---------------------------------------------------------------------------
// Byte streams carried by TCP connections (content is a pure function of offset,
// so retransmissions repeat the same bytes)

const M_RAW = 0, M_EXPL = 1, M_TLS = 2;
interface Msg { s: number; l: number; t: number; d: Uint8Array | null; ct: number }

class Stream {
  msgs: Msg[] = [];
  head = 0;
  total = 0;
  constructor(readonly key: number) {}

  raw(len: number): number {
    if (len > 0) this.msgs.push({ s: this.total, l: len, t: M_RAW, d: null, ct: 0 });
    this.total += len;
    return len;
  }
  expl(d: Uint8Array): number {
    if (d.length > 0) this.msgs.push({ s: this.total, l: d.length, t: M_EXPL, d, ct: 0 });
    this.total += d.length;
    return d.length;
  }
  /** A run of TLS records (content type ct) totalling about `len` bytes; returns the exact length. */
  tls(len: number, ct = 0x17): number {
    if (len < 6) len = 6;
    const r = len % TLS_REC;
    if (r > 0 && r < 6) len += 6 - r;
    this.msgs.push({ s: this.total, l: len, t: M_TLS, d: null, ct });
    this.total += len;
    return len;
  }

  fill(b: Uint8Array, dst: number, from: number, n: number, pool: Buffer): void {
    copyBytes(pool, (this.key + from) % POOL_SIZE, b, dst, n);
    const msgs = this.msgs;
    const end = from + n;
    while (this.head < msgs.length && msgs[this.head].s + msgs[this.head].l + 65536 <= from) this.head++;
    if (this.head > 256) { msgs.splice(0, this.head); this.head = 0; }
    for (let i = this.head; i < msgs.length; i++) {
      const m = msgs[i];
      if (m.s >= end) break;
      const me = m.s + m.l;
      if (me <= from) continue;
      if (m.t === M_EXPL) {
        const a = m.s > from ? m.s : from;
        const e = me < end ? me : end;
        b.set((m.d as Uint8Array).subarray(a - m.s, e - m.s), dst + (a - from));
      } else if (m.t === M_TLS) {
        let k0 = from - m.s - 4;
        k0 = k0 > 0 ? Math.floor(k0 / TLS_REC) : 0;
        for (let kk = k0; ; kk++) {
          const h = m.s + kk * TLS_REC;
          if (h >= end || h >= me) break;
          const rl = Math.min(TLS_REC, me - h) - 5;
          for (let j = 0; j < 5; j++) {
            const pos = h + j;
            if (pos < from) continue;
            if (pos >= end) break;
            b[dst + pos - from] = j === 0 ? m.ct : j < 3 ? 3 : j === 3 ? rl >>> 8 : rl & 255;
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Application payload builders

const DNS_HOSTS = ['www', 'api', 'cdn', 'static', 'img', 'mail', 'm', 'login', 'auth', 'edge', 'video', 'ws',
  'assets', 'update', 'time', 'push', 'app', 'shop', 'news', 'media'];
const DNS_DOMAINS = ['example.com', 'example.net', 'example.org'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'ap-south-1', 'fra', 'ams'];

function hostName(rng: Rng): string {
  const d = rng.pick(DNS_DOMAINS);
  const u = rng.float();
  if (u < 0.35) return `www.${d}`;
  if (u < 0.85) return `${rng.pick(DNS_HOSTS)}.${d}`;
  return `e${rng.int(1000)}.${rng.pick(REGIONS)}.cdn.${d}`;
}

interface HelloTemplate { d: Uint8Array; rnd: number; sid: number; ks: number; ksLen: number; ks2: number; sni: number }

const CCS = new Uint8Array([0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);

function buildClientHello(sni: string, pq: boolean): HelloTemplate {
  const w = new BW();
  w.u8(0x16).u16(0x0301);
  const rl = w.mark16();
  w.u8(0x01);
  const hl = w.mark24();
  w.u16(0x0303);
  const rnd = w.n; w.zeros(32);
  w.u8(32);
  const sid = w.n; w.zeros(32);
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
  w.u16(suites.length * 2); for (const s of suites) w.u16(s);
  w.u8(1).u8(0);
  const el = w.mark16();
  // server_name
  w.u16(0x0000); const e1 = w.mark16(); const l1 = w.mark16(); w.u8(0).u16(sni.length);
  const sniOff = w.n; w.ascii(sni); w.fill16(l1); w.fill16(e1);
  w.u16(0x0017).u16(0); // extended_master_secret
  w.u16(0xff01).u16(1).u8(0); // renegotiation_info
  const groups = pq ? [0x11ec, 0x001d, 0x0017, 0x0018] : [0x001d, 0x0017, 0x0018];
  w.u16(0x000a).u16(2 + groups.length * 2).u16(groups.length * 2); for (const g of groups) w.u16(g);
  w.u16(0x000b).u16(2).u8(1).u8(0); // ec_point_formats
  w.u16(0x0023).u16(0); // session_ticket
  w.u16(0x0010).u16(14).u16(12).u8(2).ascii('h2').u8(8).ascii('http/1.1'); // ALPN
  w.u16(0x0005).u16(5).u8(1).u16(0).u16(0); // status_request
  const sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
  w.u16(0x000d).u16(2 + sigs.length * 2).u16(sigs.length * 2); for (const s of sigs) w.u16(s);
  w.u16(0x0012).u16(0); // signed_certificate_timestamp
  // key_share
  w.u16(0x0033); const e2 = w.mark16(); const l2 = w.mark16();
  let ks = 0, ksLen = 0, ks2 = -1;
  if (pq) {
    w.u16(0x11ec).u16(1216); ks = w.n; w.zeros(1216); ksLen = 1216;
    w.u16(0x001d).u16(32); ks2 = w.n; w.zeros(32);
  } else {
    w.u16(0x001d).u16(32); ks = w.n; w.zeros(32); ksLen = 32;
  }
  w.fill16(l2); w.fill16(e2);
  w.u16(0x002d).u16(2).u8(1).u8(1); // psk_key_exchange_modes
  w.u16(0x002b).u16(5).u8(4).u16(0x0304).u16(0x0303); // supported_versions
  w.u16(0x001b).u16(3).u8(2).u16(0x0002); // compress_certificate (brotli)
  const hsLen = w.n - 5;
  if (hsLen < 512) {
    const pad = Math.max(0, 512 - hsLen - 4);
    w.u16(0x0015).u16(pad).zeros(pad);
  }
  w.fill16(el); w.fill24(hl); w.fill16(rl);
  return { d: w.out(), rnd, sid, ks, ksLen, ks2, sni: sniOff };
}

function buildServerHello(): HelloTemplate {
  const w = new BW();
  w.u8(0x16).u16(0x0303);
  const rl = w.mark16();
  w.u8(0x02);
  const hl = w.mark24();
  w.u16(0x0303);
  const rnd = w.n; w.zeros(32);
  w.u8(32);
  const sid = w.n; w.zeros(32);
  w.u16(0x1301).u8(0);
  const el = w.mark16();
  w.u16(0x002b).u16(2).u16(0x0304);
  w.u16(0x0033).u16(36).u16(0x001d).u16(32);
  const ks = w.n; w.zeros(32);
  w.fill16(el); w.fill24(hl); w.fill16(rl);
  return { d: w.out(), rnd, sid, ks, ksLen: 32, ks2: -1, sni: -1 };
}

function httpGet(host: string, path: string, ua: string): Uint8Array {
  return asciiBytes(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\nAccept: */*\r\n` +
    'Accept-Language: en-US,en;q=0.5\r\nConnection: keep-alive\r\n\r\n');
}
function httpResponseHeader(bodyLen: number): Uint8Array {
  return asciiBytes(`HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\n` +
    `Content-Length: ${bodyLen}\r\nCache-Control: max-age=3600\r\nConnection: keep-alive\r\n\r\n`);
}
const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36',
  'curl/8.5.0',
  'Debian APT-HTTP/1.3 (2.6.1)',
];

function sshString(w: BW, s: string | Uint8Array): void {
  if (typeof s === 'string') { w.u32(s.length).ascii(s); } else { w.u32(s.length).bytes(s); }
}
function sshPacket(payload: Uint8Array): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const w = new BW();
  w.u32(1 + payload.length + pad).u8(pad).bytes(payload).zeros(pad);
  return w.out();
}
function sshKexinit(rng: Rng, client: boolean): Uint8Array {
  const w = new BW();
  w.u8(20).bytes(rng.bytes(16));
  const enc = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
  const mac = 'umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256';
  sshString(w, client ? 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c'
    : 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com');
  sshString(w, 'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256');
  sshString(w, enc); sshString(w, enc);
  sshString(w, mac); sshString(w, mac);
  sshString(w, 'none,zlib@openssh.com'); sshString(w, 'none,zlib@openssh.com');
  sshString(w, ''); sshString(w, '');
  w.u8(0).u32(0);
  return sshPacket(w.out());
}
function sshEcdhInit(rng: Rng): Uint8Array {
  const w = new BW();
  w.u8(30); sshString(w, rng.bytes(32));
  return sshPacket(w.out());
}
function sshEcdhReplyNewkeys(rng: Rng): Uint8Array {
  const key = new BW(); sshString(key, 'ssh-ed25519'); sshString(key, rng.bytes(32));
  const sig = new BW(); sshString(sig, 'ssh-ed25519'); sshString(sig, rng.bytes(64));
  const w = new BW();
  w.u8(31); sshString(w, key.out()); sshString(w, rng.bytes(32)); sshString(w, sig.out());
  const a = sshPacket(w.out());
  const b = sshPacket(new Uint8Array([21]));
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0); out.set(b, a.length);
  return out;
}
const SSH_NEWKEYS = sshPacket(new Uint8Array([21]));

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// BGP messages
function bgpHeader(w: BW, type: number): number {
  for (let i = 0; i < 16; i++) w.u8(0xff);
  const p = w.mark16();
  w.u8(type);
  return p;
}
function bgpFinish(w: BW, p: number): void {
  const l = w.n - p + 16;
  w.a[p] = (l >>> 8) & 255; w.a[p + 1] = l & 255;
}
const BGP_KEEPALIVE = ((): Uint8Array => { const w = new BW(); const p = bgpHeader(w, 4); bgpFinish(w, p); return w.out(); })();

function bgpOpen(asn: number, bgpId: number, hold: number): Uint8Array {
  const w = new BW();
  const p = bgpHeader(w, 1);
  w.u8(4).u16(asn > 65535 ? 23456 : asn).u16(hold).u32(bgpId);
  const ol = w.a.length; w.u8(0);
  const start = w.n;
  const cap = (code: number, data: number[]): void => { w.u8(2).u8(2 + data.length).u8(code).u8(data.length).bytes(data); };
  cap(1, [0, 1, 0, 1]); // MP IPv4 unicast
  cap(1, [0, 2, 0, 1]); // MP IPv6 unicast
  cap(2, []); // route refresh
  cap(65, [(asn >>> 24) & 255, (asn >>> 16) & 255, (asn >>> 8) & 255, asn & 255]); // 4-octet AS
  w.a[ol] = w.n - start;
  bgpFinish(w, p);
  return w.out();
}

function putPrefix4(w: BW, addr: number, len: number): void {
  w.u8(len);
  const nb = (len + 7) >> 3;
  for (let i = 0; i < nb; i++) w.u8(addr >>> (24 - 8 * i));
}
function putPrefix6(w: BW, addr: Uint8Array, len: number): void {
  w.u8(len);
  const nb = (len + 7) >> 3;
  for (let i = 0; i < nb; i++) w.u8(addr[i]);
}
function putAttrs(w: BW, path: number[], communities: number[]): void {
  w.u8(0x40).u8(1).u8(1).u8(0); // ORIGIN IGP
  const apl = 2 + 4 * path.length;
  w.u8(0x40).u8(2).u8(apl).u8(2).u8(path.length); // AS_PATH, AS_SEQUENCE
  for (const a of path) w.u32(a);
  if (communities.length > 0) {
    w.u8(0xc0).u8(8).u8(communities.length * 4);
    for (const c of communities) w.u32(c);
  }
}

// DNS
function putName(b: Uint8Array, o: number, name: string): number {
  let i = 0;
  while (i < name.length) {
    let j = name.indexOf('.', i);
    if (j < 0) j = name.length;
    b[o++] = j - i;
    for (let k = i; k < j; k++) b[o++] = name.charCodeAt(k);
    i = j + 1;
  }
  b[o++] = 0;
  return o;
}
function putOpt(b: Uint8Array, o: number, size: number, doBit: boolean): number {
  b[o++] = 0; w16(b, o, 41); w16(b, o + 2, size); b[o + 4] = 0; b[o + 5] = 0;
  w16(b, o + 6, doBit ? 0x8000 : 0); w16(b, o + 8, 0);
  return o + 10;
}

// ---------------------------------------------------------------------------
// Burst/ACK pacing shared by TCP and QUIC transfers

class Pacer {
  segLeft = 0;
  nextSegT = 0;
  burst = 10;
  burstLeft = 0;
  burstStart = 0;
  rtt = 0;
  rttR = 0;
  ackEvery = 2;
  maxBurst = 64;
  delack = 0;
  cnt = 0;
  qT: number[] = [];
  qV: number[] = [];
  qh = 0;

  begin(t: number, nseg: number, rtt: number, rttR: number, ackEvery: number, burst0: number, maxBurst: number, delack: number): void {
    this.segLeft = nseg; this.nextSegT = t; this.burstStart = t;
    this.burst = burst0; this.burstLeft = burst0; this.maxBurst = maxBurst;
    this.rtt = rtt; this.rttR = rttR; this.ackEvery = ackEvery; this.delack = delack;
    this.cnt = 0; this.qT.length = 0; this.qV.length = 0; this.qh = 0;
  }
  nextIsSeg(): boolean { return this.segLeft > 0 && (this.qh >= this.qT.length || this.nextSegT <= this.qT[this.qh]); }
  nextT(): number { return this.nextIsSeg() ? this.nextSegT : this.qT[this.qh]; }
  idle(): boolean { return this.segLeft <= 0 && this.qh >= this.qT.length; }
  pop(): number { return this.qV[this.qh++]; }
  private push(t: number, v: number): void {
    if (this.qh > 0 && this.qh === this.qT.length) { this.qT.length = 0; this.qV.length = 0; this.qh = 0; }
    this.qT.push(t); this.qV.push(v);
  }
  sent(t: number, ackVal: number, last: boolean, finalAck: boolean, gap: number): void {
    this.segLeft--;
    this.cnt++;
    if (this.cnt >= this.ackEvery) { this.push(t + this.rttR, ackVal); this.cnt = 0; }
    else if (last && finalAck) { this.push(t + this.rttR + this.delack, ackVal); this.cnt = 0; }
    if (this.segLeft > 0) {
      if (--this.burstLeft > 0) this.nextSegT = t + gap;
      else {
        this.burst = Math.min(this.burst * 2, this.maxBurst);
        this.burstLeft = this.burst;
        const nb = this.burstStart + this.rtt;
        this.burstStart = nb > t + gap ? nb : t + gap;
        this.nextSegT = this.burstStart;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Flows

const EMPTY_HDR: Uint8Array[] = [];

abstract class Flow {
  // Plain assignments in the constructor rather than class-field initialisers: this
  // constructor runs for every flow subclass, and field *definitions* on many object
  // shapes are much slower than ordinary stores.
  declare t: number;
  declare done: boolean;
  declare started: boolean;
  /** Direction whose packets are not seen (asymmetric routing), or -1. */
  declare hidden: number;
  declare v6: boolean;
  declare l2len: number;
  declare hdr: Uint8Array[];
  declare ipId: number[];
  declare df: boolean;
  declare rttA: number;
  declare rttB: number;
  declare readonly kind: number;
  declare readonly lan: Lan;
  declare readonly a: Member;
  declare readonly b: Member;
  constructor(kind: number, lan: Lan, a: Member, b: Member) {
    this.kind = kind; this.lan = lan; this.a = a; this.b = b;
    this.t = 0; this.done = false; this.started = false; this.hidden = -1; this.v6 = false;
    this.l2len = 14; this.hdr = EMPTY_HDR; this.ipId = [0, 0]; this.df = true; this.rttA = 0; this.rttB = 0;
  }
  /** Delay observer -> side -> observer (side 0 = client side A, 1 = server side B). */
  rttOf(side: number): number { return side === 0 ? this.rttA : this.rttB; }
  abstract step(g: Engine): void;
}

const P_SYN = 0, P_SYNACK = 1, P_ACK = 2, P_XFER = 3, P_FIN1 = 4, P_FIN2 = 5, P_FIN2B = 6, P_LASTACK = 7, P_RST = 8, P_REJ = 9;
const CLOSE_NONE = 0, CLOSE_FIN = 1, CLOSE_RST = 2;

class TcpFlow extends Flow {
  sport = 0;
  dport = 0;
  app = APP_TLS;
  isn = [0, 0];
  seq = [0, 0];
  mssOpt = [1460, 1460];
  pay = [1448, 1448];
  useTs = true;
  tsBase = [0, 0];
  synWin = [64240, 65535];
  win = [501, 501];
  ws = [7, 9];
  st: Stream[] = [];
  soff = [0, 0];
  gap = 0;
  ackEvery = 2;
  maxBurst = 64;
  delack = 0;
  phase = P_SYN;
  turns: number[] = [];
  ti = 0;
  pc = new Pacer();
  tx = 0;
  txLeft = 0;
  finalAck = true;
  lastSegT = 0;
  lastSeq = 0;
  lastOff = 0;
  lastLen = 0;
  retxNext = false;
  pRetx = 0;
  closeMode = CLOSE_FIN;
  closer = 0;
  sepAck = false;
  rstSide = 0;
  s0 = false;
  synLeft = 1;
  rto = NS_S;
  rej = false;
  rstBudget = -1;
  bgp = false;

  turn(side: number, len: number): void { if (len > 0) this.turns.push(side, len); }
  dataOpt(): number { return this.useTs ? OPT_TS : OPT_NONE; }

  think(g: Engine, side: number): number {
    if (this.bgp) return g.rng.exp(600 * NS_MS);
    if (side === 1) return Math.min(g.rng.logNormal(1.5 * NS_MS, 1.0), 500 * NS_MS);
    return Math.min(g.rng.logNormal(20 * NS_MS, 1.2), 3 * NS_S);
  }

  nextTurn(g: Engine, prevSide: number, base: number, now: number): void {
    if (this.ti >= this.turns.length) { this.beginClose(g, prevSide, base, now); return; }
    const side = this.turns[this.ti], len = this.turns[this.ti + 1];
    this.ti += 2;
    const nextSide = this.ti < this.turns.length ? this.turns[this.ti] : -1;
    let start = side === prevSide ? base + g.small() : base + this.rttOf(side) + this.think(g, side);
    if (start <= now) start = now + NS_US;
    this.tx = side;
    this.txLeft = len;
    this.finalAck = nextSide !== 1 - side;
    const n = Math.ceil(len / this.pay[side]);
    this.pc.begin(start, n, this.rttA + this.rttB, this.rttOf(1 - side), this.ackEvery, 10, this.maxBurst, this.delack);
    this.phase = P_XFER;
    this.t = start;
  }

  beginClose(g: Engine, prevSide: number, base: number, now: number): void {
    if (this.closeMode === CLOSE_NONE) { this.done = true; return; }
    let start: number;
    if (this.closeMode === CLOSE_RST) {
      this.phase = P_RST;
      start = this.rstSide === prevSide ? base + g.small() : base + this.rttOf(this.rstSide) + g.small();
    } else {
      this.phase = P_FIN1;
      const c = this.closer;
      start = c === prevSide ? base + g.small() + g.rng.exp(2 * NS_MS) : base + this.rttOf(c) + this.think(g, c);
    }
    this.t = start > now ? start : now + NS_US;
  }

  step(g: Engine): void {
    const t = this.t;
    const seq = this.seq;
    switch (this.phase) {
      case P_SYN:
        g.tcp(this, 0, t, F_SYN, this.isn[0], 0, 0, 0, OPT_SYN, false);
        if (this.rej) { this.phase = P_REJ; this.t = t + this.rttB; }
        else if (this.s0) {
          if (--this.synLeft <= 0) this.done = true;
          else { this.t = t + this.rto; this.rto *= 2; }
        } else { this.phase = P_SYNACK; this.t = t + this.rttB; }
        return;
      case P_SYNACK:
        g.tcp(this, 1, t, F_SYN | F_ACK, this.isn[1], seq[0], 0, 0, OPT_SYN, false);
        this.phase = P_ACK;
        this.t = t + this.rttA;
        return;
      case P_ACK:
        g.tcp(this, 0, t, F_ACK, seq[0], seq[1], 0, 0, this.dataOpt(), false);
        this.nextTurn(g, 0, t, t);
        return;
      case P_XFER: {
        if (this.rstBudget === 0) {
          this.rstBudget = -1;
          this.phase = P_RST;
          this.t = t + g.small();
          return;
        }
        if (this.rstBudget > 0) this.rstBudget--;
        const pc = this.pc, s = this.tx;
        if (pc.nextIsSeg()) {
          let sq: number, off: number, len: number, retx = false;
          if (this.retxNext) {
            sq = this.lastSeq; off = this.lastOff; len = this.lastLen; this.retxNext = false; retx = true;
          } else {
            len = Math.min(this.pay[s], this.txLeft);
            sq = seq[s]; off = this.soff[s];
            seq[s] = (sq + len) >>> 0;
            this.soff[s] += len;
            this.txLeft -= len;
            this.lastSeq = sq; this.lastOff = off; this.lastLen = len;
            if (this.txLeft > 0 && this.pRetx > 0 && g.rng.float() < this.pRetx) { this.retxNext = true; pc.segLeft++; }
          }
          const last = this.txLeft === 0 && !this.retxNext;
          g.tcp(this, s, t, last ? F_ACK | F_PSH : F_ACK, sq, seq[1 - s], len, off, this.dataOpt(), retx);
          pc.sent(t, seq[s], last, this.finalAck, this.gap * (0.6 + 0.8 * g.rng.float()));
          this.lastSegT = t;
        } else {
          const v = pc.pop();
          g.tcp(this, 1 - s, t, F_ACK, seq[1 - s], v, 0, 0, this.dataOpt(), false);
        }
        if (pc.idle()) this.nextTurn(g, s, this.lastSegT, t);
        else this.t = pc.nextT();
        return;
      }
      case P_FIN1: {
        const c = this.closer;
        g.tcp(this, c, t, F_FIN | F_ACK, seq[c], seq[1 - c], 0, 0, this.dataOpt(), false);
        seq[c] = (seq[c] + 1) >>> 0;
        this.phase = P_FIN2;
        this.t = t + this.rttOf(1 - c);
        return;
      }
      case P_FIN2: {
        const c = this.closer, o = 1 - c;
        if (this.sepAck) {
          g.tcp(this, o, t, F_ACK, seq[o], seq[c], 0, 0, this.dataOpt(), false);
          this.phase = P_FIN2B;
          this.t = t + g.small() + g.rng.exp(3 * NS_MS);
        } else {
          g.tcp(this, o, t, F_FIN | F_ACK, seq[o], seq[c], 0, 0, this.dataOpt(), false);
          seq[o] = (seq[o] + 1) >>> 0;
          this.phase = P_LASTACK;
          this.t = t + this.rttOf(c);
        }
        return;
      }
      case P_FIN2B: {
        const c = this.closer, o = 1 - c;
        g.tcp(this, o, t, F_FIN | F_ACK, seq[o], seq[c], 0, 0, this.dataOpt(), false);
        seq[o] = (seq[o] + 1) >>> 0;
        this.phase = P_LASTACK;
        this.t = t + this.rttOf(c);
        return;
      }
      case P_LASTACK: {
        const c = this.closer, o = 1 - c;
        g.tcp(this, c, t, F_ACK, seq[c], seq[o], 0, 0, this.dataOpt(), false);
        this.done = true;
        return;
      }
      case P_RST: {
        const r = this.rstSide;
        g.tcp(this, r, t, F_RST | F_ACK, seq[r], seq[1 - r], 0, 0, OPT_NONE, false);
        this.done = true;
        return;
      }
      case P_REJ:
        g.tcp(this, 1, t, F_RST | F_ACK, 0, seq[0], 0, 0, OPT_NONE, false);
        this.done = true;
        return;
      default:
        this.done = true;
    }
  }
}

class QuicFlow extends Flow {
  sport = 0;
  cid0 = new Uint8Array(8);
  cidC = new Uint8Array(8);
  cidS = new Uint8Array(8);
  phase = 0;
  left = 0;
  gap = 0;
  pc = new Pacer();
  segLen = 1252;
  segs = 0;
  ackEvery = 2;
  closeSide = -1;
  initLen = 1250;
  /** The first server datagram coalesces Initial + Handshake. */
  firstServer = true;
  /** Initial keys from cid0 (made at the first Initial), and the next Initial packet number per direction. */
  keys: QuicInitialKeys | null = null;
  readonly initialPn = [0, 0];

  step(g: Engine): void {
    const t = this.t, r = g.rng;
    switch (this.phase) {
      case 0: // client Initial
        g.quicLong(this, 0, t, this.initLen, 0, this.cid0, this.cidC, -1, 0);
        this.phase = 1;
        this.left = 2 + r.int(3);
        this.t = t + this.rttB + r.logNormal(0.8 * NS_MS, 0.8);
        return;
      case 1: { // server flight: Initial+Handshake, then Handshake
        const len = this.left === 1 ? r.range(300, 1200) : r.range(1200, 1252);
        if (this.firstServer) {
          this.firstServer = false;
          g.quicLong(this, 1, t, len, 0, this.cidC, this.cidS, 2, r.range(90, 160));
        } else {
          g.quicLong(this, 1, t, len, 2, this.cidC, this.cidS, -1, 0);
        }
        if (--this.left > 0) this.t = t + this.gap * (0.5 + r.float());
        else { this.phase = 2; this.t = t + this.rttA; }
        return;
      }
      case 2: // client Initial ACK + Handshake Finished, padded
        g.quicLong(this, 0, t, r.range(1200, 1252), 0, this.cidS, this.cidC, 2, r.range(60, 90));
        this.phase = 3;
        this.t = t + g.small();
        return;
      case 3: { // client request
        g.quicShort(this, 0, t, r.range(60, 500));
        this.phase = 4;
        const start = t + this.rttB + r.logNormal(1.5 * NS_MS, 1.0);
        this.pc.begin(start, Math.max(1, this.segs), this.rttA + this.rttB, this.rttA, this.ackEvery, 10, 64, 25 * NS_MS);
        this.t = start;
        return;
      }
      case 4: {
        const pc = this.pc;
        if (pc.nextIsSeg()) {
          const last = pc.segLeft === 1;
          g.quicShort(this, 1, t, last ? r.range(40, this.segLen) : this.segLen);
          pc.sent(t, 0, last, true, this.gap * (0.6 + 0.8 * r.float()));
        } else {
          pc.pop();
          g.quicShort(this, 0, t, r.range(32, 64));
        }
        if (pc.idle()) {
          if (this.closeSide < 0) { this.done = true; return; }
          this.phase = 5;
          this.t = t + this.rttOf(this.closeSide) + r.logNormal(20 * NS_MS, 1);
        } else this.t = pc.nextT();
        return;
      }
      case 5:
        g.quicShort(this, this.closeSide, t, r.range(30, 60));
        this.done = true;
        return;
      default:
        this.done = true;
    }
  }
}

class DnsFlow extends Flow {
  sport = 0;
  id = 0;
  id2 = 0;
  name = '';
  qtype = 1;
  pair = false;
  answered = true;
  big = false;
  rd = true;
  nx = false;
  edns = 1232;
  phase = 0;
  answers: Uint8Array[] = [];
  answers2: Uint8Array[] = [];

  step(g: Engine): void {
    const t = this.t, r = g.rng;
    switch (this.phase) {
      case 0:
        g.dnsQuery(this, t, this.id, this.qtype);
        if (this.pair) { this.phase = 1; this.t = t + r.range(15, 200) * NS_US; }
        else if (this.answered) { this.phase = 2; this.t = t + this.rttB + r.logNormal(1 * NS_MS, 1.5); }
        else { this.phase = 4; this.t = t + r.range(1, 5) * NS_S; }
        return;
      case 1:
        g.dnsQuery(this, t, this.id2, 28);
        if (this.answered) { this.phase = 2; this.t = t + this.rttB + r.logNormal(1 * NS_MS, 1.5); }
        else { this.phase = 4; this.t = t + r.range(1, 5) * NS_S; }
        return;
      case 2:
        g.dnsResponse(this, t, this.id, this.qtype, this.answers);
        if (this.pair) { this.phase = 3; this.t = t + r.range(10, 400) * NS_US; } else this.done = true;
        return;
      case 3:
        g.dnsResponse(this, t, this.id2, 28, this.answers2);
        this.done = true;
        return;
      case 4: // retry of an unanswered query
        this.id = r.int(65536);
        g.dnsQuery(this, t, this.id, this.qtype);
        this.done = true;
        return;
      default:
        this.done = true;
    }
  }
}

class NtpFlow extends Flow {
  sport = 123;
  phase = 0;
  reqT = 0;
  step(g: Engine): void {
    const t = this.t;
    if (this.phase === 0) {
      g.ntp(this, 0, t, 0);
      this.reqT = t;
      this.phase = 1;
      this.t = t + this.rttB + g.rng.range(20, 400) * NS_US;
    } else {
      g.ntp(this, 1, t, this.reqT);
      this.done = true;
    }
  }
}

/**
 * UDP between high ports: either WireGuard (handshake initiation/response, then
 * transport data) or an opaque protocol whose first two bytes (0x50-0x7f, >= 0x80)
 * keep Wireshark's UDP heuristics (RTP/RTCP, STUN, DTLS, TFTP, CLTP, ...) off it.
 */
class UdpHighFlow extends Flow {
  sport = 0;
  dport = 0;
  n = 1;
  i = 0;
  oneway = false;
  wg = false;
  idx = [0, 0];
  ctr = [0, 0];
  bias = 0.5;
  size = [100, 100];
  interval = 20 * NS_MS;
  key = 0;
  step(g: Engine): void {
    const r = g.rng;
    let dir: number, len: number;
    if (this.wg && this.i < 2) {
      dir = this.i;
      len = dir === 0 ? 148 : 92;
    } else {
      dir = this.oneway ? 0 : r.float() < this.bias ? 0 : 1;
      const base = this.size[dir];
      len = base + r.range(-(base >> 3), base >> 3);
      const max = this.v6 ? 1452 : 1472; // 1500-byte MTU
      if (len < 1) len = 1;
      if (len > max) len = max;
      if (this.wg) len = 32 + 16 * Math.min((max - 32) >> 4, Math.ceil(Math.max(0, len - 32) / 16));
    }
    const sp = dir === 0 ? this.sport : this.dport, dp = dir === 0 ? this.dport : this.sport;
    if (this.wg) g.wireguard(this, dir, this.t, sp, dp, len);
    else g.udpPool(this, dir, this.t, sp, dp, len, this.key + this.i * 977, 0x50 + r.int(48));
    if (++this.i >= this.n) this.done = true;
    else this.t += this.wg && this.i === 1 ? this.rttB + r.range(50, 500) * NS_US
      : Math.max(NS_US, this.interval * (0.7 + 0.6 * r.float()));
  }
}

class UnreachFlow extends Flow {
  sport = 0;
  dport = 0;
  n = 1;
  i = 0;
  phase = 0;
  probeId = 0;
  step(g: Engine): void {
    const t = this.t;
    if (this.phase === 0) {
      this.probeId = g.probe(this, t);
      this.phase = 1;
      this.t = t + this.rttB + g.rng.range(30, 300) * NS_US;
    } else {
      g.portUnreachable(this, t);
      if (++this.i >= this.n) this.done = true;
      else { this.phase = 0; this.t = t + g.rng.range(2, 60) * NS_MS; }
    }
  }
}

class EchoFlow extends Flow {
  id = 0;
  seq = 1;
  count = 1;
  i = 0;
  reply = true;
  interval = NS_S;
  payLen = 56;
  windows = false;
  phase = 0;
  reqT = 0;
  step(g: Engine): void {
    const t = this.t;
    if (this.phase === 0) {
      g.echo(this, 0, t);
      this.reqT = t;
      if (this.reply) { this.phase = 1; this.t = t + this.rttB + g.rng.range(5, 80) * NS_US; }
      else this.next(g, t);
    } else {
      g.echo(this, 1, t);
      this.phase = 0;
      this.next(g, t);
    }
  }
  private next(g: Engine, now: number): void {
    this.seq = (this.seq + 1) & 0xffff;
    if (++this.i >= this.count) { this.done = true; return; }
    const nt = this.reqT + this.interval + g.rng.range(0, 400) * NS_US;
    this.t = nt > now ? nt : now + NS_MS;
  }
}

class ArpFlow extends Flow {
  req: Uint8Array = new Uint8Array(0);
  rep: Uint8Array | null = null;
  phase = 0;
  step(g: Engine): void {
    const t = this.t;
    if (this.phase === 0) {
      g.rawFrame(this, t, this.req, PK_ARP);
      if (this.rep) { this.phase = 1; this.t = t + g.rng.range(80, 2000) * NS_US; } else this.done = true;
    } else {
      g.rawFrame(this, t, this.rep as Uint8Array, PK_ARP);
      this.done = true;
    }
  }
}

class NdFlow extends Flow {
  target = new Uint8Array(16);
  answered = true;
  phase = 0;
  step(g: Engine): void {
    const t = this.t;
    if (this.phase === 0) {
      g.neighbor(this, 0, t);
      if (this.answered) { this.phase = 1; this.t = t + g.rng.range(80, 2000) * NS_US; } else this.done = true;
    } else {
      g.neighbor(this, 1, t);
      this.done = true;
    }
  }
}

class LldpFlow extends Flow {
  step(g: Engine): void {
    g.rawFrame(this, this.t, g.lldpFrame(this.a), PK_LLDP);
    this.done = true;
  }
}

// ---------------------------------------------------------------------------
// Flow-size calibration: a bounded Pareto whose lower bound is solved so the
// mean packets per flow over the whole mix matches packets/flows.

function paretoQuantile(q: number, L: number, H: number, a: number): number {
  return L / Math.pow(1 - q * (1 - Math.pow(L / H, a)), 1 / a);
}

function calibrateL(mix: number[], vis: number[], mean: number, H: number): number {
  let tot = 0;
  for (const p of mix) tot += p;
  let fixed = 0;
  for (let k = 0; k < NFK; k++) if (FIXED_MEAN[k] >= 0) fixed += (mix[k] / tot) * FIXED_MEAN[k];
  const Q = 1024;
  const f = (L: number): number => {
    let s = fixed;
    for (let k = 0; k < NFK; k++) {
      if (FIXED_MEAN[k] >= 0 || mix[k] === 0) continue;
      let e = 0;
      for (let i = 0; i < Q; i++) {
        const x = paretoQuantile((i + 0.5) / Q, L, H, PARETO_ALPHA);
        e += x > ELASTIC_MIN[k] ? x : ELASTIC_MIN[k];
      }
      s += (mix[k] / tot) * vis[k] * (e / Q);
    }
    return s;
  };
  let lo = 1, hi = H * 0.9;
  if (f(lo) >= mean) return lo;
  if (f(hi) <= mean) return hi;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (f(mid) < mean) lo = mid; else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

// ---------------------------------------------------------------------------
// Engine

interface EngineConfig {
  packets: number;
  flows: number;
  snaplen: number;
  seed: number;
  fullSize: boolean;
  durationNs: number;
  startSec: number;
  /** Tiny fixed scenario: these flows only, no random arrivals. */
  forced?: { kind: number; t: number; v6: boolean; lan: number; size: number }[];
}

class Engine {
  readonly rng: Rng;
  readonly pool: Buffer;
  readonly scratch = Buffer.alloc(8192);
  readonly dgram = Buffer.alloc(70000);
  private readonly topo: Topology;
  private readonly w: PcapWriter;
  private readonly cfg: EngineConfig;
  private readonly snaplen: number;
  private readonly reserveLen: number;
  private readonly mixCum: Float64Array;
  private readonly paretoL: number;
  private readonly paretoH: number;
  private readonly meanIA: number;
  private readonly heap: Flow[] = [];
  private nextArrival = 0;
  private readonly arrivals: boolean;
  private chCache = new Map<number, HelloTemplate>();
  private variants = new Map<string, Uint8Array[]>();

  /** Up to `n` lazily built variants per key, then a random pick among them. */
  private variant(key: string, n: number, build: () => Uint8Array): Uint8Array {
    let a = this.variants.get(key);
    if (!a) { a = []; this.variants.set(key, a); }
    if (a.length < n) { const v = build(); a.push(v); return v; }
    return a[this.rng.int(n)];
  }
  private shTemplate = buildServerHello();

  // frame under construction
  private rec = 0;
  private fs = 0;
  private capEnd = 0;
  private ipEnd = 0;
  private frameLen = 0;

  lastT = 0;
  private lastGap = 0;
  firstT = -1;
  emitted = 0;
  bytes = 0;
  capBytes = 0;
  flows = 0;
  l2 = 0;
  readonly pk = new Float64Array(PACKET_KINDS.length);
  readonly fk = new Float64Array(NFK);
  readonly fkp = new Float64Array(NFK);

  constructor(cfg: EngineConfig, w: PcapWriter) {
    this.cfg = cfg;
    this.w = w;
    this.rng = new Rng(cfg.seed);
    this.snaplen = cfg.snaplen;
    this.reserveLen = 16 + Math.min(cfg.snaplen, MAX_FRAME) + 256;
    this.topo = buildTopology(this.rng);
    this.pool = Buffer.alloc(POOL_SIZE + POOL_SLACK);
    this.rng.fill(this.pool, 0, POOL_SIZE);
    this.pool.copy(this.pool, POOL_SIZE, 0, POOL_SLACK);
    const mix = cfg.fullSize ? MIX_FULL : MIX_NORMAL;
    this.mixCum = cumulative(mix);
    const F = Math.max(1, cfg.flows);
    // Largest flow: thousands of packets, at most 1/8 of the capture, 0.5% of it at scale.
    this.paretoH = Math.max(200, Math.min(cfg.packets / 8, Math.max(2000, cfg.packets / 200)));
    // With stretch ACKs, a one-way flow that shows only the data direction keeps ~93% of its packets.
    const vis = cfg.fullSize ? ELASTIC_VIS.map((v, k) => (k === FK_TCP_ONEWAY ? 0.93 : v)) : ELASTIC_VIS;
    this.paretoL = calibrateL(mix, vis, cfg.packets / F, this.paretoH);
    if (cfg.forced) {
      this.arrivals = false;
      this.meanIA = 0;
      for (const ff of cfg.forced) this.push(this.createFlow(ff.kind, ff.t, ff.v6, ff.lan, ff.size, false));
    } else {
      this.arrivals = true;
      // Flows already in progress when the capture starts.
      const pre = Math.min(2000, Math.max(2, Math.round(F * 0.01)));
      this.meanIA = cfg.durationNs / Math.max(1, F - pre);
      for (let i = 0; i < pre; i++) {
        const u = this.rng.float();
        const kind = u < 0.75 ? FK_TCP_MID : u < 0.9 ? FK_QUIC : FK_BGP;
        this.push(this.createFlow(kind, this.rng.float() * 20 * NS_MS, this.pickV6(kind), -1, -1, true));
      }
      this.nextArrival = this.rng.exp(this.meanIA);
    }
  }

  // ----- heap of flows keyed by next event time
  private push(f: Flow): void {
    const h = this.heap;
    let i = h.length;
    h.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].t <= f.t) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = f;
  }
  private siftDown(i: number): void {
    const h = this.heap, n = h.length, f = h[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1].t < h[c].t) c++;
      if (h[c].t >= f.t) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = f;
  }
  private popTop(): void {
    const h = this.heap;
    const last = h.pop() as Flow;
    if (h.length > 0) { h[0] = last; this.siftDown(0); }
  }

  /** Run until the packet budget is met, the flows run out, or the writer wants a drain. */
  pump(): boolean {
    const N = this.cfg.packets, h = this.heap;
    while (this.emitted < N) {
      if (this.w.needsDrain) return false;
      const top = h.length > 0 ? h[0] : null;
      if (this.arrivals && (top === null || this.nextArrival <= top.t)) {
        this.push(this.createFlow(this.pickKind(), this.nextArrival, null, -1, -1, false));
        this.nextArrival += this.rng.exp(this.meanIA);
        continue;
      }
      if (top === null) break;
      top.step(this);
      if (top.done) this.popTop(); else this.siftDown(0);
    }
    return true;
  }

  get full(): boolean { return this.emitted >= this.cfg.packets; }

  small(): number { return this.rng.range(20, 300) * NS_US; }

  private pickKind(): number { return pickCum(this.mixCum, this.rng.float()); }

  private pickV6(kind: number): boolean {
    if (kind === FK_DNS_FRAG || kind === FK_ICMP_FRAG || kind === FK_ARP) return false;
    if (kind === FK_ND) return true;
    return this.rng.chance(0.3);
  }

  private paretoT(): number {
    return paretoQuantile(this.rng.float(), this.paretoL, this.paretoH, PARETO_ALPHA);
  }

  // ----- flow construction

  private createFlow(kind: number, t: number, v6in: boolean | null, lanIdx: number, size: number, mid: boolean): Flow {
    const r = this.rng, topo = this.topo;
    const lan = topo.lans[lanIdx >= 0 ? lanIdx : pickCum(topo.lanCum, r.float())];
    const a = topo.members[pickCum(topo.eyeCum, r.float())];
    let b = topo.members[pickCum(topo.contentCum, r.float())];
    if (b === a) b = topo.members[(a.idx + 1 + r.int(N_MEMBERS - 1)) % N_MEMBERS];
    const v6 = v6in ?? this.pickV6(kind);
    const T = size > 0 ? size : this.paretoT();
    let f: Flow;
    switch (kind) {
      case FK_TCP: case FK_TCP_RST: case FK_TCP_REJ: case FK_TCP_S0: case FK_TCP_MID: case FK_TCP_ONEWAY: case FK_BGP:
        f = this.newTcp(kind, lan, a, b, v6, T, mid);
        break;
      case FK_DNS: case FK_DNS_FRAG:
        f = this.newDns(kind, lan, a, b, v6);
        break;
      case FK_QUIC:
        f = this.newQuic(lan, a, b, v6, T, mid);
        break;
      case FK_NTP: {
        const n = new NtpFlow(kind, lan, a, b);
        this.hosts(n, v6, false);
        n.sport = r.chance(0.3) ? 123 : this.eph();
        n.df = r.chance(0.5);
        f = n;
        break;
      }
      case FK_UDP_HIGH:
        f = this.newUdpHigh(lan, a, b, v6, T);
        break;
      case FK_UDP_UNREACH: {
        const u = new UnreachFlow(kind, lan, a, b);
        this.hosts(u, v6, false);
        u.sport = this.eph();
        u.dport = 33434 + r.range(1, 90);
        u.n = 1 + r.int(3);
        u.df = false;
        f = u;
        break;
      }
      case FK_ICMP_ECHO: case FK_ICMP_FRAG: {
        const e = new EchoFlow(kind, lan, a, b);
        this.hosts(e, v6, false);
        e.id = r.int(65536);
        e.seq = r.chance(0.7) ? 1 : r.range(1, 5000);
        e.count = size > 0 ? Math.max(1, Math.round(size / 2)) : kind === FK_ICMP_FRAG ? 1 + r.int(2) : 1 + r.int(5);
        e.reply = r.chance(0.9);
        e.windows = r.chance(0.3);
        e.interval = r.chance(0.75) ? NS_S : r.range(10, 500) * NS_MS;
        e.payLen = kind === FK_ICMP_FRAG ? r.range(1600, 4000) : e.windows ? 32 : 56;
        e.df = kind !== FK_ICMP_FRAG && !e.windows;
        f = e;
        break;
      }
      case FK_ARP:
        f = this.newArp(lan, a, b);
        break;
      case FK_ND:
        f = this.newNd(lan, a, b);
        break;
      default:
        f = new LldpFlow(FK_LLDP, topo.lans[0], a, b); // LLDP stays on the physical (untagged) port
    }
    f.t = t;
    if (f instanceof TcpFlow && f.phase === P_XFER) f.nextTurn(this, f.turns[0], t, t);
    if (f instanceof QuicFlow && f.phase === 4) {
      f.pc.begin(t, f.segs, f.rttA + f.rttB, f.rttA, f.ackEvery, 10, 64, 25 * NS_MS);
    }
    return f;
  }

  /** Pick client/server addresses and build the per-direction L2+L3 header templates. */
  private hosts(f: Flow, v6: boolean, peering: boolean, tos = 0): void {
    const r = this.rng, a = f.a, b = f.b, lan = f.lan;
    f.v6 = v6;
    f.rttA = peering ? r.range(50, 400) * NS_US : Math.min(Math.max(r.logNormal(14 * NS_MS, 0.9), 300 * NS_US), 350 * NS_MS);
    f.rttB = peering ? r.range(50, 400) * NS_US : Math.min(Math.max(r.logNormal(2.5 * NS_MS, 1.0), 100 * NS_US), 150 * NS_MS);
    let ttlA: number, ttlB: number;
    if (peering) { ttlA = ttlB = r.chance(0.7) ? 1 : 255; tos = 0xc0; }
    else {
      ttlA = (r.chance(0.65) ? 64 : 128) - r.range(3, 14);
      const u = r.float();
      ttlB = (u < 0.8 ? 64 : u < 0.9 ? 128 : 255) - r.range(2, 10);
    }
    f.ipId = [r.int(65536), r.int(65536)];
    const tagLen = lan.tags.length * 2;
    f.l2len = 14 + tagLen;
    if (!v6) {
      let sa: number, sb: number;
      if (peering) { sa = (lan.v4 + a.idx + 1) >>> 0; sb = (lan.v4 + b.idx + 1) >>> 0; }
      else {
        sa = (r.pick(a.v4) + r.range(256, 65279)) >>> 0;
        if ((sa & 255) === 0 || (sa & 255) === 255) sa = (sa ^ 1) >>> 0;
        sb = b.srv4[Math.floor(b.srv4.length * Math.pow(r.float(), 3))];
      }
      f.hdr = [
        mkTemplate(b.mac, a.mac, lan.tags, false, sa, sb, ttlA, tos, 0),
        mkTemplate(a.mac, b.mac, lan.tags, false, sb, sa, ttlB, tos, 0),
      ];
    } else {
      let sa: Uint8Array, sb: Uint8Array;
      if (peering) {
        sa = new Uint8Array(lan.v6); sa[15] = a.idx + 1; sa[13] = 0xa5;
        sb = new Uint8Array(lan.v6); sb[15] = b.idx + 1; sb[13] = 0xa5;
      } else {
        sa = new Uint8Array(r.pick(a.v6)); sa[6] = r.int(256); sa[7] = r.int(256); r.fill(sa, 8, 8);
        sb = b.srv6[Math.floor(b.srv6.length * Math.pow(r.float(), 3))];
      }
      f.hdr = [
        mkTemplate(b.mac, a.mac, lan.tags, true, sa, sb, ttlA, tos, r.range(1, 0xfffff)),
        mkTemplate(a.mac, b.mac, lan.tags, true, sb, sa, ttlB, tos, r.range(1, 0xfffff)),
      ];
    }
  }

  private newTcp(kind: number, lan: Lan, a: Member, b: Member, v6: boolean, T: number, mid: boolean): TcpFlow {
    const r = this.rng;
    const f = new TcpFlow(kind, lan, a, b);
    const bgp = kind === FK_BGP;
    f.bgp = bgp;
    this.hosts(f, v6, bgp);
    f.sport = this.eph();
    f.dport = bgp ? 179 : TCP_PORTS[pickCum(this.tcpPortCum, r.float())];
    f.app = bgp ? APP_BGP : f.dport === 80 || f.dport === 8080 ? APP_HTTP : f.dport === 22 ? APP_SSH : f.dport === 25 ? APP_SMTP : APP_TLS;
    f.isn = [r.u32(), r.u32()];
    f.seq = [(f.isn[0] + 1) >>> 0, (f.isn[1] + 1) >>> 0];
    f.useTs = r.chance(0.7);
    f.tsBase = [r.u32(), r.u32()];
    const full = this.cfg.fullSize;
    const base = v6 ? 1440 : 1460;
    const u = r.float();
    f.mssOpt = [full || u < 0.85 ? base : u < 0.95 ? base - 8 : base - 60, full || r.chance(0.9) ? base : base - 100];
    const opt = f.useTs ? 12 : 0;
    const eff = Math.min(f.mssOpt[0], f.mssOpt[1]) - opt;
    f.pay = [eff, eff];
    f.synWin = [f.useTs ? 64240 : 65535, f.useTs ? 65160 : 64240];
    f.ws = [f.useTs ? 7 : 8, r.pick([7, 8, 9, 10])];
    f.win = [r.range(250, 2100), r.range(250, 2100)];
    f.gap = r.logUniform(8 * NS_US, 250 * NS_US);
    f.ackEvery = full ? 8 + r.int(9) : 2;
    f.maxBurst = full ? 128 : 64;
    f.delack = f.useTs ? r.range(4, 40) * NS_MS : 40 * NS_MS;
    f.pRetx = r.chance(0.25) ? 0.01 : 0;
    f.closer = r.chance(0.6) ? 0 : 1;
    f.sepAck = r.chance(0.3);
    f.st = [new Stream(r.int(POOL_SIZE)), new Stream(r.int(POOL_SIZE))];
    if (kind === FK_TCP_ONEWAY) f.hidden = full || r.chance(0.5) ? 0 : 1;
    if (kind === FK_TCP_S0) { f.s0 = true; f.synLeft = 1 + r.int(3); return f; }
    if (kind === FK_TCP_REJ) { f.rej = true; return f; }
    if (bgp) {
      this.planBgp(f, mid || r.chance(0.9));
      return f;
    }
    if (kind === FK_TCP_MID || mid) {
      if (f.app === APP_SMTP) { f.dport = 443; f.app = APP_TLS; }
      if (f.app === APP_HTTP) this.planApp(f, T); // persistent connection: next request/response
      else this.planMid(f, T);
      f.closeMode = r.chance(0.5) ? CLOSE_NONE : r.chance(0.8) ? CLOSE_FIN : CLOSE_RST;
      f.rstSide = r.int(2);
      f.phase = P_XFER; // no handshake: createFlow starts the first turn
      return f;
    }
    if (kind === FK_TCP_RST) {
      f.closeMode = CLOSE_RST;
      f.rstSide = r.chance(0.6) ? 0 : 1;
      f.rstBudget = Math.max(1, Math.round(T) - 3);
      this.planApp(f, T * 1.5 + 10);
      return f;
    }
    this.planApp(f, T);
    return f;
  }
  private readonly tcpPortCum = cumulative(TCP_PORT_W);

  /** ClientHello for `sni`: templates are cached by (name length, post-quantum key share). */
  private clientHello(sni: string): Uint8Array {
    const pq = this.rng.chance(0.2);
    const key = pq ? -sni.length : sni.length;
    let tpl = this.chCache.get(key);
    if (!tpl) { tpl = buildClientHello(sni, pq); this.chCache.set(key, tpl); }
    const d = tpl.d.slice();
    for (let i = 0; i < sni.length; i++) d[tpl.sni + i] = sni.charCodeAt(i);
    this.rng.fill(d, tpl.rnd, 32);
    this.rng.fill(d, tpl.sid, 32);
    this.rng.fill(d, tpl.ks, tpl.ksLen);
    if (tpl.ks2 >= 0) this.rng.fill(d, tpl.ks2, 32);
    return d;
  }
  private serverHello(ch: Uint8Array, chSid: number): Uint8Array {
    const tpl = this.shTemplate;
    const d = tpl.d.slice();
    this.rng.fill(d, tpl.rnd, 32);
    d.set(ch.subarray(chSid, chSid + 32), tpl.sid);
    this.rng.fill(d, tpl.ks, 32);
    return d;
  }

  /** Append a TLS 1.3 handshake (ClientHello, server flight, client finished + request) to f's streams. */
  private tlsHandshake(f: TcpFlow, sni: string): number {
    const r = this.rng;
    const [c, s] = f.st;
    const ch = this.clientHello(sni);
    f.turn(0, c.expl(ch));
    const sh = this.serverHello(ch, 44);
    f.turn(1, s.expl(sh) + s.expl(CCS) + s.tls(r.range(1800, 5200)));
    const nSh = Math.ceil(s.total / f.pay[1]);
    f.turn(0, c.expl(CCS) + c.tls(58) + c.tls(r.range(60, 700)));
    return Math.ceil(ch.length / f.pay[0]) + nSh * (1 + 1 / f.ackEvery) + 1;
  }

  /** Split `segs` segments into round sizes. */
  private rounds(segs: number): number[] {
    const r = this.rng;
    const n = segs > 40 ? 1 + r.int(3) : segs > 8 ? 1 + r.int(2) : 1;
    const out: number[] = [];
    let left = segs;
    for (let i = 0; i < n; i++) {
      const k = i === n - 1 ? left : Math.max(1, Math.round(left * (0.2 + 0.6 * r.float())));
      out.push(k);
      left -= k;
      if (left <= 0) break;
    }
    return out;
  }

  private segBytes(f: TcpFlow, side: number, segs: number): number {
    return Math.max(1, segs * f.pay[side] - this.rng.int(f.pay[side] >> 1));
  }

  private planApp(f: TcpFlow, T: number): void {
    const r = this.rng;
    const [c, s] = f.st;
    const perSeg = 1 + 1 / f.ackEvery;
    const sni = hostName(r);
    switch (f.app) {
      case APP_HTTP: {
        const ua = r.pick(USER_AGENTS);
        const rs = this.rounds(Math.max(1, Math.round((T - 8) / perSeg)));
        for (const k of rs) {
          f.turn(0, c.expl(httpGet(sni, `/assets/${r.u32().toString(16)}.bin`, ua)));
          const total = this.segBytes(f, 1, k);
          let hdr = httpResponseHeader(Math.max(0, total - 150));
          hdr = httpResponseHeader(Math.max(0, total - hdr.length));
          const body = Math.max(0, total - hdr.length);
          f.turn(1, s.expl(hdr) + s.raw(body));
        }
        return;
      }
      case APP_SSH: {
        f.turn(1, s.expl(asciiBytes('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')));
        f.turn(0, c.expl(asciiBytes(r.chance(0.5) ? 'SSH-2.0-OpenSSH_9.6\r\n' : 'SSH-2.0-PuTTY_Release_0.81\r\n')));
        f.turn(0, c.expl(this.variant('kexc', 16, () => sshKexinit(r, true))));
        f.turn(1, s.expl(this.variant('kexs', 16, () => sshKexinit(r, false))));
        f.turn(0, c.expl(this.variant('ecdhi', 16, () => sshEcdhInit(r))));
        f.turn(1, s.expl(this.variant('ecdhr', 16, () => sshEcdhReplyNewkeys(r))));
        f.turn(0, c.expl(SSH_NEWKEYS) + c.raw(44 + 16 * r.int(3)));
        const rest = Math.max(0, Math.round(T - 16));
        if (r.chance(0.6)) {
          for (let i = 0; i < rest; i++) {
            const side = i % 2;
            f.turn(side, (side === 0 ? c : s).raw(36 + 16 * r.int(side === 0 ? 2 : 12)));
          }
        } else {
          const side = r.chance(0.5) ? 0 : 1;
          f.turn(side, (side === 0 ? c : s).raw(this.segBytes(f, side, Math.max(1, Math.round(rest / perSeg)))));
          f.turn(1 - side, (side === 0 ? s : c).raw(36 + 16 * r.int(4)));
        }
        return;
      }
      case APP_SMTP: {
        const mx = `mx${1 + r.int(3)}.${r.pick(DNS_DOMAINS)}`;
        f.turn(1, s.expl(asciiBytes(`220 ${mx} ESMTP Postfix\r\n`)));
        f.turn(0, c.expl(asciiBytes(`EHLO mail.${r.pick(DNS_DOMAINS)}\r\n`)));
        f.turn(1, s.expl(asciiBytes(`250-${mx}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n` +
          '250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n')));
        f.turn(0, c.expl(asciiBytes('STARTTLS\r\n')));
        f.turn(1, s.expl(asciiBytes('220 2.0.0 Ready to start TLS\r\n')));
        const used = 5 + this.tlsHandshake(f, mx) + 6;
        const segs = Math.max(1, Math.round((T - used) / perSeg));
        f.turn(0, c.tls(this.segBytes(f, 0, segs)));
        f.turn(1, s.tls(r.range(40, 120)));
        return;
      }
      default: {
        const used = 6 + this.tlsHandshake(f, sni);
        const segs = Math.max(1, Math.round((T - used) / perSeg));
        if (r.chance(0.1)) { // upload
          f.turn(0, c.tls(this.segBytes(f, 0, segs)));
          f.turn(1, s.tls(r.range(40, 400)));
          return;
        }
        const rs = this.rounds(segs);
        for (let i = 0; i < rs.length; i++) {
          if (i > 0) f.turn(0, c.tls(r.range(60, 700)));
          f.turn(1, s.tls(this.segBytes(f, 1, rs[i])));
        }
      }
    }
  }

  private planMid(f: TcpFlow, T: number): void {
    const r = this.rng;
    const [c, s] = f.st;
    const side = r.chance(0.85) ? 1 : 0;
    const st = side === 0 ? c : s;
    const segs = Math.max(1, Math.round(T / (1 + 1 / f.ackEvery)));
    const bytes = this.segBytes(f, side, segs);
    if (f.app === APP_TLS || f.app === APP_SMTP) {
      const head = r.int(TLS_REC);
      const n = st.raw(Math.min(head, bytes));
      f.turn(side, n + (bytes > n ? st.tls(bytes - n) : 0));
    } else f.turn(side, st.raw(bytes));
    if (r.chance(0.3)) {
      f.turn(1 - side, (side === 0 ? s : c).raw(r.range(30, 600)));
      f.turn(side, st.raw(this.segBytes(f, side, Math.max(1, segs >> 2))));
    }
  }

  private planBgp(f: TcpFlow, established: boolean): void {
    const r = this.rng;
    const [c, s] = f.st;
    const msgs = 4 + r.int(14);
    f.closeMode = CLOSE_NONE;
    f.useTs = r.chance(0.5);
    const eff = Math.min(f.mssOpt[0], f.mssOpt[1]) - (f.useTs ? 12 : 0);
    f.pay = [eff, eff];
    f.pRetx = 0;
    const idA = (f.lan.v4 + f.a.idx + 1) >>> 0, idB = (f.lan.v4 + f.b.idx + 1) >>> 0;
    if (!established) {
      f.turn(0, c.expl(bgpOpen(f.a.asn, idA, 90)));
      f.turn(1, s.expl(concatBytes([bgpOpen(f.b.asn, idB, 90), BGP_KEEPALIVE])));
      f.turn(0, c.expl(BGP_KEEPALIVE));
    } else {
      f.phase = P_XFER;
    }
    for (let i = 0; i < msgs; i++) {
      const side = r.int(2);
      const st = side === 0 ? c : s;
      const m = side === 0 ? f.a : f.b;
      if (r.chance(0.35)) { f.turn(side, st.expl(BGP_KEEPALIVE)); continue; }
      const parts: Uint8Array[] = [];
      const nUpd = 1 + Math.floor(Math.pow(r.float(), 3) * 40);
      const vk = `bgp${f.v6 ? 6 : 4}:${m.idx}:${f.lan.v4}`;
      for (let k = 0; k < nUpd; k++) parts.push(this.variant(vk, 24, () => this.bgpUpdate(f, m, side)));
      f.turn(side, st.expl(concatBytes(parts)));
    }
  }

  private bgpUpdate(f: TcpFlow, m: Member, side: number): Uint8Array {
    const r = this.rng;
    const w = new BW();
    const p = bgpHeader(w, 2);
    const path = [m.asn];
    const extra = r.int(5);
    for (let i = 0; i < extra; i++) path.push(r.chance(0.5) ? 65536 + r.int(16) : this.privateAsn());
    if (r.chance(0.15)) path.push(path[path.length - 1], path[path.length - 1]); // prepending
    const comms: number[] = [];
    const nc = r.int(4);
    for (let i = 0; i < nc; i++) comms.push(((m.asn & 0xffff) << 16 | r.int(1000)) >>> 0);
    const nPfx = 1 + r.int(6);
    const withdraw = r.chance(0.15);
    if (!f.v6) {
      if (withdraw) {
        const wl = w.mark16();
        for (let i = 0; i < nPfx; i++) putPrefix4(w, (r.pick(m.v4) | (r.int(256) << 8)) >>> 0, 24);
        w.fill16(wl);
        w.u16(0);
      } else {
        w.u16(0);
        const al = w.mark16();
        putAttrs(w, path, comms);
        const nh = side === 0 ? (f.lan.v4 + f.a.idx + 1) >>> 0 : (f.lan.v4 + f.b.idx + 1) >>> 0;
        w.u8(0x40).u8(3).u8(4).u32(nh);
        w.fill16(al);
        for (let i = 0; i < nPfx; i++) {
          const len = r.chance(0.7) ? 24 : r.range(19, 23);
          const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
          putPrefix4(w, ((r.pick(m.v4) | (r.int(65536))) & mask) >>> 0, len);
        }
      }
    } else {
      w.u16(0);
      const al = w.mark16();
      const pfx = (): [Uint8Array, number] => {
        const a = new Uint8Array(r.pick(m.v6));
        const len = r.chance(0.6) ? 48 : 44;
        if (len === 44) a[5] &= 0xf0;
        return [a, len];
      };
      if (withdraw) {
        w.u8(0x90).u8(15);
        const ml = w.mark16();
        w.u16(2).u8(1);
        for (let i = 0; i < nPfx; i++) { const [a, l] = pfx(); putPrefix6(w, a, l); }
        w.fill16(ml);
      } else {
        putAttrs(w, path, comms);
        w.u8(0x90).u8(14);
        const ml = w.mark16();
        w.u16(2).u8(1).u8(16);
        const nh = new Uint8Array(f.lan.v6);
        nh[13] = 0xa5; nh[15] = (side === 0 ? f.a.idx : f.b.idx) + 1;
        w.bytes(nh).u8(0);
        for (let i = 0; i < nPfx; i++) { const [a, l] = pfx(); putPrefix6(w, a, l); }
        w.fill16(ml);
      }
      w.fill16(al);
    }
    bgpFinish(w, p);
    return w.out();
  }

  /**
   * A private 32-bit ASN whose bytes cannot be read as an AS_PATH segment header
   * (type 1..4) under a 2-byte-ASN reading, so Wireshark's ASN-size heuristic is unambiguous.
   */
  private privateAsn(): number {
    for (;;) {
      const a = 4200000000 + this.rng.int(90000000);
      const b2 = (a >>> 8) & 255;
      if (b2 < 1 || b2 > 4) return a;
    }
  }

  private newQuic(lan: Lan, a: Member, b: Member, v6: boolean, T: number, mid: boolean): QuicFlow {
    const r = this.rng;
    const f = new QuicFlow(FK_QUIC, lan, a, b);
    this.hosts(f, v6, false);
    f.df = true;
    f.sport = this.eph();
    r.fill(f.cid0, 0, 8); r.fill(f.cidC, 0, 8); r.fill(f.cidS, 0, 8);
    const maxPay = v6 ? 1452 : 1472;
    f.segLen = this.cfg.fullSize ? maxPay : Math.min(maxPay, r.pick([1200, 1232, 1252, 1252, 1350, 1350]));
    f.initLen = r.pick([1250, 1252, 1357]);
    f.gap = r.logUniform(8 * NS_US, 250 * NS_US);
    f.ackEvery = this.cfg.fullSize ? 8 + r.int(9) : 2;
    f.segs = Math.max(1, Math.round((T - 7) / (1 + 1 / f.ackEvery)));
    f.closeSide = r.chance(0.35) ? r.int(2) : -1;
    if (mid) f.phase = 4; // already established: 1-RTT packets only (pacer started by createFlow)
    return f;
  }

  private newDns(kind: number, lan: Lan, a: Member, b: Member, v6: boolean): DnsFlow {
    const r = this.rng;
    const f = new DnsFlow(kind, lan, a, b);
    this.hosts(f, v6, false);
    f.df = false;
    f.sport = this.eph();
    f.id = r.int(65536);
    f.id2 = r.int(65536);
    f.rd = r.chance(0.6);
    f.edns = f.rd ? 1232 : r.pick([1232, 4096, 1400]);
    const topo = this.topo;
    if (kind === FK_DNS_FRAG) {
      f.big = true;
      f.qtype = 16;
      f.edns = 4096;
      f.name = `${r.pick(['txt', 'keys', 'spf', 'big'])}.${r.pick(DNS_DOMAINS)}`;
      const n = r.range(6, 14);
      for (let i = 0; i < n; i++) {
        const s = new Uint8Array(255);
        for (let j = 0; j < 255; j++) s[j] = 0x61 + r.int(26);
        f.answers.push(s);
      }
      return f;
    }
    f.name = r.chance(0.04) ? `${r.pick(DNS_HOSTS)}.invalid` : hostName(r);
    f.nx = f.name.endsWith('.invalid') || r.chance(0.04);
    f.answered = r.chance(0.96);
    f.pair = r.chance(0.15);
    f.qtype = f.pair ? 1 : r.chance(0.75) ? 1 : 28;
    if (!f.nx) {
      const srv = topo.members[pickCum(topo.contentCum, r.float())];
      const fillA = (list: Uint8Array[], qt: number): void => {
        const n = qt === 1 ? 1 + r.int(4) : 1 + r.int(2);
        for (let i = 0; i < n; i++) {
          if (qt === 1) { const x = new Uint8Array(4); w32(x, 0, r.pick(srv.srv4)); list.push(x); }
          else list.push(r.pick(srv.srv6));
        }
      };
      fillA(f.answers, f.qtype);
      if (f.pair) fillA(f.answers2, 28);
    }
    return f;
  }

  private newUdpHigh(lan: Lan, a: Member, b: Member, v6: boolean, T: number): UdpHighFlow {
    const r = this.rng;
    const f = new UdpHighFlow(FK_UDP_HIGH, lan, a, b);
    const voice = r.chance(0.3);
    this.hosts(f, v6, false, voice ? 0xb8 : 0);
    f.df = r.chance(0.5);
    f.sport = this.eph();
    f.wg = !voice && r.chance(0.4);
    f.dport = f.wg && r.chance(0.6) ? 51820 : this.highPort(10000, 60999);
    f.idx = [r.u32(), r.u32()];
    f.n = Math.max(f.wg ? 2 : 1, Math.round(T));
    f.oneway = !f.wg && r.chance(0.3);
    f.bias = 0.3 + 0.4 * r.float();
    f.size = voice ? [172, 172] : [r.range(40, 1400), r.range(40, 1400)];
    f.interval = voice ? 20 * NS_MS : r.logUniform(1 * NS_MS, 300 * NS_MS);
    f.key = r.int(POOL_SIZE);
    return f;
  }
  /** Ephemeral (client) port, Linux range. */
  eph(): number { return this.highPort(32768, 60999); }
  private highPort(lo: number, hi: number): number {
    for (;;) { const p = this.rng.range(lo, hi); if (!PORT_AVOID.has(p)) return p; }
  }

  private newArp(lan: Lan, a: Member, b: Member): ArpFlow {
    const r = this.rng;
    const f = new ArpFlow(FK_ARP, lan, a, b);
    f.l2len = 14 + lan.tags.length * 2;
    const ipA = (lan.v4 + a.idx + 1) >>> 0;
    const gratuitous = r.chance(0.05);
    const unknown = !gratuitous && r.chance(0.15);
    const ipB = unknown ? (lan.v4 + r.range(180, 250)) >>> 0 : (lan.v4 + b.idx + 1) >>> 0;
    f.req = arpFrame(BROADCAST, a.mac, lan.tags, 1, a.mac, ipA, ZERO_MAC, gratuitous ? ipA : ipB);
    f.rep = gratuitous || unknown ? null : arpFrame(a.mac, b.mac, lan.tags, 2, b.mac, ipB, a.mac, ipA);
    return f;
  }

  private newNd(lan: Lan, a: Member, b: Member): NdFlow {
    const r = this.rng;
    const f = new NdFlow(FK_ND, lan, a, b);
    f.v6 = true;
    f.l2len = 14 + lan.tags.length * 2;
    const sa = new Uint8Array(lan.v6); sa[13] = 0xa5; sa[15] = a.idx + 1;
    const tb = new Uint8Array(lan.v6); tb[13] = 0xa5;
    f.answered = r.chance(0.88);
    tb[15] = f.answered ? b.idx + 1 : r.range(180, 250);
    f.target = tb;
    const sol = v6Prefix([0xff02, 0, 0, 0, 0, 1]);
    sol[12] = 0xff; sol[13] = tb[13]; sol[14] = tb[14]; sol[15] = tb[15];
    const mmac = new Uint8Array([0x33, 0x33, 0xff, tb[13], tb[14], tb[15]]);
    f.hdr = [
      mkTemplate(mmac, a.mac, lan.tags, true, sa, sol, 255, 0, 0),
      mkTemplate(a.mac, b.mac, lan.tags, true, tb, sa, 255, 0, 0),
    ];
    return f;
  }

  lldpFrame(m: Member): Uint8Array {
    if (m.lldp) return m.lldp;
    const w = new BW();
    w.bytes([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]).bytes(m.mac).u16(0x88cc);
    const tlv = (type: number, data: number[] | Uint8Array): void => { w.u16((type << 9) | data.length).bytes(data); };
    tlv(1, [4, ...m.mac]);
    tlv(2, [5, ...asciiBytes(m.portName)]);
    tlv(3, [0, 120]);
    tlv(4, asciiBytes(`peering port to IXP (AS${m.asn})`));
    tlv(5, asciiBytes(m.sysName));
    tlv(7, [0x00, 0x14, 0x00, 0x10]);
    tlv(0, []);
    m.lldp = w.out();
    return m.lldp;
  }

  // ----- frame assembly

  /** Start an IP packet of `l4Len` bytes after the IP header; returns the L4 offset in w.buf. */
  private beginIp(f: Flow, dir: number, proto: number, l4Len: number, frag: number, id: number): number {
    const tpl = f.hdr[dir];
    const rec = this.w.reserve(this.reserveLen);
    const b = this.w.buf;
    const fs = rec + 16;
    b.set(tpl, fs);
    const ip = fs + f.l2len;
    let ipLen: number;
    if (!f.v6) {
      ipLen = 20 + l4Len;
      const ident = id >= 0 ? id : (f.ipId[dir] = (f.ipId[dir] + 1) & 0xffff);
      writeIp4Fields(b, ip, proto, ipLen, ident, frag >= 0 ? frag : f.df ? 0x4000 : 0);
      this.pk[PK_IPV4]++;
    } else {
      ipLen = 40 + l4Len;
      b[ip + 4] = l4Len >>> 8; b[ip + 5] = l4Len; b[ip + 6] = proto;
      this.pk[PK_IPV6]++;
    }
    this.ipEnd = ip + ipLen;
    const fl = f.l2len + ipLen;
    this.frameLen = fl < 60 ? 60 : fl;
    this.capEnd = fs + (this.frameLen < this.snaplen ? this.frameLen : this.snaplen);
    this.rec = rec;
    this.fs = fs;
    return ip + (f.v6 ? 40 : 20);
  }

  private beginRaw(len: number): number {
    const rec = this.w.reserve(this.reserveLen);
    const fs = rec + 16;
    this.frameLen = len < 60 ? 60 : len;
    this.ipEnd = fs + len;
    this.capEnd = fs + (this.frameLen < this.snaplen ? this.frameLen : this.snaplen);
    this.rec = rec;
    this.fs = fs;
    return fs;
  }

  private finish(f: Flow, t: number): void {
    const b = this.w.buf;
    if (this.ipEnd < this.capEnd) b.fill(0, this.ipEnd, this.capEnd);
    if (this.frameLen > this.ipEnd - this.fs) this.pk[PK_PADDED]++;
    let te = Math.round(t);
    const minT = this.lastT + this.lastGap;
    if (te < minT) te = minT;
    this.lastT = te;
    if (this.firstT < 0) this.firstT = te;
    this.lastGap = Math.ceil((this.frameLen + 24) * LINE_NS_PER_BYTE);
    const cap = this.capEnd - this.fs;
    const sec = Math.floor(te / NS_S);
    this.w.commit(this.rec, this.cfg.startSec + sec, te - sec * NS_S, cap, this.frameLen);
    this.emitted++;
    this.bytes += this.frameLen;
    this.capBytes += cap;
    if (cap < this.frameLen) this.pk[PK_TRUNC]++;
    if (f.lan.tags.length > 0) { this.pk[PK_VLAN]++; if (f.lan.qinq) this.pk[PK_QINQ]++; }
    this.fkp[f.kind]++;
    if (!f.started) {
      f.started = true;
      this.fk[f.kind]++;
      if (f.kind >= L2_KIND_FIRST) this.l2++; else this.flows++;
    }
  }

  tcp(f: TcpFlow, side: number, t: number, flags: number, seq: number, ack: number, payLen: number, soff: number, opt: number, retx: boolean): void {
    if (f.hidden === side) return;
    const optLen = opt === OPT_SYN ? (f.useTs ? 20 : 12) : opt === OPT_TS ? 12 : 0;
    const hl = 20 + optLen;
    const p = this.beginIp(f, side, 6, hl + payLen, -1, -1);
    const b = this.w.buf;
    const sp = side === 0 ? f.sport : f.dport, dp = side === 0 ? f.dport : f.sport;
    b[p] = sp >>> 8; b[p + 1] = sp; b[p + 2] = dp >>> 8; b[p + 3] = dp;
    w32(b, p + 4, seq);
    w32(b, p + 8, ack);
    b[p + 12] = (hl >>> 2) << 4;
    b[p + 13] = flags;
    const win = opt === OPT_SYN ? f.synWin[side] : f.win[side] + (payLen === 0 ? 0 : (seq >>> 5) & 15);
    b[p + 14] = win >>> 8; b[p + 15] = win;
    const ck = ((Math.imul(seq ^ ack, 0x9e3779b1) >>> 16) ^ payLen) | 1;
    b[p + 16] = ck >>> 8; b[p + 17] = ck;
    b[p + 18] = 0; b[p + 19] = 0;
    const o = p + 20;
    if (opt !== OPT_NONE) {
      const tsval = (f.tsBase[side] + Math.floor(t / NS_MS)) >>> 0;
      const tsecr = opt === OPT_SYN && side === 0 ? 0
        : (f.tsBase[1 - side] + Math.floor(Math.max(0, t - f.rttOf(side)) / NS_MS)) >>> 0;
      if (opt === OPT_SYN) {
        const mss = f.mssOpt[side];
        if (f.useTs) {
          b[o] = 2; b[o + 1] = 4; b[o + 2] = mss >>> 8; b[o + 3] = mss;
          b[o + 4] = 4; b[o + 5] = 2;
          b[o + 6] = 8; b[o + 7] = 10; w32(b, o + 8, tsval); w32(b, o + 12, tsecr);
          b[o + 16] = 1; b[o + 17] = 3; b[o + 18] = 3; b[o + 19] = f.ws[side];
        } else {
          b[o] = 2; b[o + 1] = 4; b[o + 2] = mss >>> 8; b[o + 3] = mss;
          b[o + 4] = 1; b[o + 5] = 3; b[o + 6] = 3; b[o + 7] = f.ws[side];
          b[o + 8] = 1; b[o + 9] = 1; b[o + 10] = 4; b[o + 11] = 2;
        }
      } else {
        b[o] = 1; b[o + 1] = 1; b[o + 2] = 8; b[o + 3] = 10;
        w32(b, o + 4, tsval); w32(b, o + 8, tsecr);
      }
    }
    if (payLen > 0) {
      const ps = p + hl;
      let n = this.capEnd - ps;
      if (n > payLen) n = payLen;
      if (n > 0) f.st[side].fill(b, ps, soff, n, this.pool);
    }
    const pk = this.pk;
    pk[PK_TCP]++;
    if (flags & F_SYN) pk[(flags & F_ACK) ? PK_SYNACK : PK_SYN]++;
    if (flags & F_FIN) pk[PK_FIN]++;
    if (flags & F_RST) pk[PK_RST]++;
    if (retx) pk[PK_RETX]++;
    switch (f.app) {
      case APP_TLS: pk[PK_TLS]++; break;
      case APP_HTTP: pk[PK_HTTP]++; break;
      case APP_SSH: pk[PK_SSH]++; break;
      case APP_SMTP: pk[PK_SMTP]++; break;
      default: pk[PK_BGP]++;
    }
    this.finish(f, t);
  }

  private countUdp(sp: number, dp: number): void {
    const pk = this.pk;
    pk[PK_UDP]++;
    if (sp === 53 || dp === 53) pk[PK_DNS]++;
    else if (sp === 443 || dp === 443) pk[PK_QUIC]++;
    else if (sp === 123 || dp === 123) pk[PK_NTP]++;
  }

  private udpChecksum(f: Flow, dir: number, data: Uint8Array, off: number, len: number): number {
    const tpl = f.hdr[dir];
    const ip = f.l2len;
    let s = f.v6 ? sum16(tpl, ip + 8, 32, 0) : sum16(tpl, ip + 12, 8, 0);
    s += 17 + len;
    s = sum16(data, off, len, s);
    const c = foldCsum(s);
    return c === 0 ? 0xffff : c;
  }

  /** UDP datagram whose payload is `src[0..len)`; fragments (IPv4) when it does not fit 1500 bytes. */
  udp(f: Flow, dir: number, t: number, sp: number, dp: number, src: Buffer, len: number): void {
    if (f.hidden === dir) return;
    const ulen = 8 + len;
    if (!f.v6 && 20 + ulen > 1500) {
      const d = this.dgram;
      w16(d, 0, sp); w16(d, 2, dp); w16(d, 4, ulen); w16(d, 6, 0);
      src.copy(d, 8, 0, len);
      const c = this.udpChecksum(f, dir, d, 0, ulen);
      w16(d, 6, c);
      this.ipDatagram(f, dir, t, 17, d, ulen, sp, dp);
      return;
    }
    const p = this.beginIp(f, dir, 17, ulen, -1, -1);
    const b = this.w.buf;
    w16(b, p, sp); w16(b, p + 2, dp); w16(b, p + 4, ulen); w16(b, p + 6, 0);
    // checksum over header (with zero checksum) + payload
    const hs = sum16(b, p, 8, 0);
    const tpl = f.hdr[dir];
    let s = f.v6 ? sum16(tpl, f.l2len + 8, 32, hs) : sum16(tpl, f.l2len + 12, 8, hs);
    s += 17 + ulen;
    s = sum16(src, 0, len, s);
    let c = foldCsum(s);
    if (c === 0) c = 0xffff;
    w16(b, p + 6, c);
    const ps = p + 8;
    let n = this.capEnd - ps;
    if (n > len) n = len;
    if (n > 0) copyBytes(src, 0, b, ps, n);
    this.countUdp(sp, dp);
    this.finish(f, t);
  }

  /** WireGuard message of `len` bytes (148: initiation, 92: response, else transport data). */
  wireguard(f: UdpHighFlow, dir: number, t: number, sp: number, dp: number, len: number): void {
    const d = this.dgram;
    const k = this.rng.int(POOL_SIZE);
    this.pool.copy(d, 0, k, k + Math.min(len, this.snaplen));
    d[1] = 0; d[2] = 0; d[3] = 0;
    d.writeUInt32LE(f.idx[dir], 4);
    if (len === 148) { d[0] = 1; d.fill(0, 132, 148); }
    else if (len === 92) { d[0] = 2; d.writeUInt32LE(f.idx[1 - dir], 8); d.fill(0, 76, 92); }
    else {
      d[0] = 4;
      d.writeUInt32LE(f.idx[1 - dir], 4);
      const c = f.ctr[dir]++;
      d.writeUInt32LE(c, 8); d.writeUInt32LE(0, 12);
    }
    this.udpRawBuf(f, dir, t, sp, dp, d, len);
  }

  /** UDP datagram with pseudo-random (encrypted-looking) payload: no checksum computed. */
  udpPool(f: Flow, dir: number, t: number, sp: number, dp: number, len: number, key: number, first: number): void {
    if (f.hidden === dir) return;
    const ulen = 8 + len;
    const p = this.beginIp(f, dir, 17, ulen, -1, -1);
    const b = this.w.buf;
    w16(b, p, sp); w16(b, p + 2, dp); w16(b, p + 4, ulen);
    const ck = ((Math.imul(key + len, 0x9e3779b1) >>> 16) ^ sp) | 1;
    w16(b, p + 6, ck);
    const ps = p + 8;
    let n = this.capEnd - ps;
    if (n > len) n = len;
    if (n > 0) {
      copyBytes(this.pool, key % POOL_SIZE, b, ps, n);
      b[ps] = first;
      if (n > 1) b[ps + 1] |= 0x80;
    }
    this.countUdp(sp, dp);
    this.finish(f, t);
  }

  /** Emit a complete IP payload from `data`, fragmenting IPv4 datagrams larger than the 1500-byte MTU. */
  private ipDatagram(f: Flow, dir: number, t: number, proto: number, data: Buffer, len: number, sp: number, dp: number): void {
    if (f.hidden === dir) return;
    const count = (): void => {
      if (proto === 17) this.countUdp(sp, dp);
      else if (proto === 1) this.pk[PK_ICMP]++;
      else if (proto === 58) this.pk[PK_ICMPV6]++;
    };
    if (f.v6 || 20 + len <= 1500) {
      const p = this.beginIp(f, dir, proto, len, -1, -1);
      let n = this.capEnd - p;
      if (n > len) n = len;
      if (n > 0) data.copy(this.w.buf, p, 0, n);
      count();
      this.finish(f, t);
      return;
    }
    const id = (f.ipId[dir] = (f.ipId[dir] + 1) & 0xffff);
    const per = 1480;
    for (let off = 0; off < len; off += per) {
      if (this.full) return;
      const n = Math.min(per, len - off);
      const mf = off + n < len;
      const p = this.beginIp(f, dir, proto, n, (off >>> 3) | (mf ? 0x2000 : 0), id);
      let c = this.capEnd - p;
      if (c > n) c = n;
      if (c > 0) data.copy(this.w.buf, p, off, off + c);
      count();
      this.pk[PK_FRAG]++;
      this.finish(f, t);
    }
  }

  private icmpMsg(f: Flow, dir: number, t: number, msg: Buffer, len: number): void {
    msg[2] = 0; msg[3] = 0;
    let s: number;
    if (f.v6) {
      const tpl = f.hdr[dir];
      s = sum16(tpl, f.l2len + 8, 32, 0) + len + 58;
      s = sum16(msg, 0, len, s);
    } else s = sum16(msg, 0, len, 0);
    w16(msg, 2, foldCsum(s));
    this.ipDatagram(f, dir, t, f.v6 ? 58 : 1, msg, len, 0, 0);
  }

  quicLong(f: QuicFlow, dir: number, t: number, len: number, type: number, dcid: Uint8Array, scid: Uint8Array, type2: number, len1: number): void {
    const d = this.dgram, r = this.rng;
    const k = r.int(POOL_SIZE);
    this.pool.copy(d, 0, k, k + Math.min(len, this.snaplen));
    let first = type2 >= 0 ? Math.min(len1, len - 40) : len;
    const rnd = r.u32();
    // An Initial is real: sealed with the keys an observer derives (its random bytes come from
    // the pool at k, so the generator's random sequence is the same as with a placeholder).
    if (type === 0) first = this.quicInitial(f, dir, d, first, dcid, scid, this.pool.subarray(k, k + 64));
    else writeQuicLong(d, 0, first, type, dcid, scid, rnd);
    if (type2 >= 0) writeQuicLong(d, first, len - first, type2, dcid, scid, r.u32());
    this.udpRawBuf(f, dir, t, dir === 0 ? f.sport : 443, dir === 0 ? 443 : f.sport, d, len);
  }

  /**
   * A flow's Initial at d[0], of `size` bytes or what its frames need: the client's first carries
   * the ClientHello (a name made from the flow's first DCID), the server's an ACK and the
   * ServerHello, the client's second an ACK. Returns its size.
   */
  private quicInitial(f: QuicFlow, dir: number, d: Buffer, size: number, dcid: Uint8Array, scid: Uint8Array, random: Uint8Array): number {
    f.keys ??= deriveInitialKeys(1, f.cid0)!;
    const pn = f.initialPn[dir]++;
    let frames: Uint8Array;
    if (dir === 1) frames = concatBytes([ackFrame(0), cryptoFrame(quicServerHello(random))]);
    else if (pn === 0) {
      const name = `${DNS_HOSTS[f.cid0[0] % DNS_HOSTS.length]}.${DNS_DOMAINS[f.cid0[1] % DNS_DOMAINS.length]}`;
      frames = cryptoFrame(quicClientHello(name, random, f.cidC));
    } else frames = ackFrame(0);
    const n = Math.max(size, initialOverhead(dcid, scid) + frames.length);
    sealInitial(d, 0, n, f.keys, dir === 1, dcid, scid, pn, frames);
    return n;
  }

  quicShort(f: QuicFlow, dir: number, t: number, len: number): void {
    const d = this.dgram, r = this.rng;
    const k = r.int(POOL_SIZE);
    this.pool.copy(d, 0, k, k + Math.min(len, this.snaplen));
    d[0] = 0x40 | (r.u32() & 0x3f);
    d.set(dir === 0 ? f.cidS : f.cidC, 1);
    this.udpRawBuf(f, dir, t, dir === 0 ? f.sport : 443, dir === 0 ? 443 : f.sport, d, len);
  }

  /** UDP with payload from a buffer but a placeholder checksum (bulk/encrypted payloads). */
  udpRawBuf(f: Flow, dir: number, t: number, sp: number, dp: number, src: Buffer, len: number): void {
    if (f.hidden === dir) return;
    const ulen = 8 + len;
    const p = this.beginIp(f, dir, 17, ulen, -1, -1);
    const b = this.w.buf;
    w16(b, p, sp); w16(b, p + 2, dp); w16(b, p + 4, ulen);
    const ck = ((Math.imul(src[9] << 8 | src[10], 0x9e3779b1) >>> 16) ^ len) | 1;
    w16(b, p + 6, ck);
    const ps = p + 8;
    let n = this.capEnd - ps;
    if (n > len) n = len;
    if (n > 0) copyBytes(src, 0, b, ps, n);
    this.countUdp(sp, dp);
    this.finish(f, t);
  }

  dnsQuery(f: DnsFlow, t: number, id: number, qtype: number): void {
    const s = this.scratch;
    w16(s, 0, id); w16(s, 2, f.rd ? 0x0100 : 0x0000); w16(s, 4, 1); w16(s, 6, 0); w16(s, 8, 0); w16(s, 10, 1);
    let o = putName(s, 12, f.name);
    w16(s, o, qtype); w16(s, o + 2, 1); o += 4;
    o = putOpt(s, o, f.edns, !f.rd || f.big);
    this.udp(f, 0, t, f.sport, 53, s, o);
  }

  dnsResponse(f: DnsFlow, t: number, id: number, qtype: number, answers: Uint8Array[]): void {
    const s = f.big ? this.dgramPayload : this.scratch;
    const nx = f.nx;
    const ans = nx ? 0 : answers.length;
    w16(s, 0, id);
    w16(s, 2, 0x8000 | (f.rd ? 0x0180 : 0x0400) | (nx ? 3 : 0));
    w16(s, 4, 1); w16(s, 6, ans); w16(s, 8, 0); w16(s, 10, 1);
    let o = putName(s, 12, f.name);
    w16(s, o, qtype); w16(s, o + 2, 1); o += 4;
    const r = this.rng;
    const ttl = r.chance(0.5) ? r.range(20, 300) : r.range(300, 86400);
    for (let i = 0; i < ans; i++) {
      const a = answers[i];
      s[o] = 0xc0; s[o + 1] = 0x0c;
      w16(s, o + 2, qtype); w16(s, o + 4, 1); w32(s, o + 6, ttl);
      o += 10;
      if (qtype === 16) { w16(s, o, a.length + 1); s[o + 2] = a.length; s.set(a, o + 3); o += 3 + a.length; }
      else { w16(s, o, a.length); s.set(a, o + 2); o += 2 + a.length; }
    }
    o = putOpt(s, o, f.edns, !f.rd || f.big);
    this.udp(f, 1, t, 53, f.sport, s, o);
  }
  private readonly dgramPayload = Buffer.alloc(8192);

  ntp(f: NtpFlow, dir: number, t: number, reqT: number): void {
    const s = this.scratch;
    s.fill(0, 0, 48);
    const ntpTs = (o: number, tt: number): void => {
      const sec = Math.floor(tt / NS_S);
      w32(s, o, this.cfg.startSec + sec + NTP_EPOCH_OFFSET);
      w32(s, o + 4, Math.floor(((tt - sec * NS_S) / NS_S) * 4294967296));
    };
    if (dir === 0) {
      s[0] = 0x23; s[2] = 6; s[3] = 0xe9;
      ntpTs(40, t);
    } else {
      s[0] = 0x24; s[1] = 2; s[2] = 6; s[3] = 0xe9;
      w32(s, 4, 0x00000180); w32(s, 8, 0x00000260);
      const tpl = f.hdr[1];
      w32(s, 12, f.v6 ? 0x7f7f0001 : ((tpl[f.l2len + 12] << 24) | (tpl[f.l2len + 13] << 16) | 0x0101) >>> 0);
      ntpTs(16, Math.max(0, t - 40 * NS_S));
      ntpTs(24, reqT);
      ntpTs(32, t - 30 * NS_US);
      ntpTs(40, t - 10 * NS_US);
    }
    this.udp(f, dir, t, dir === 0 ? f.sport : 123, dir === 0 ? 123 : f.sport, s, 48);
  }

  probe(f: UnreachFlow, t: number): number {
    const s = this.scratch;
    for (let i = 0; i < 32; i++) s[i] = 0x40 + i;
    this.udp(f, 0, t, f.sport, f.dport, s, 32);
    return f.ipId[0];
  }

  portUnreachable(f: UnreachFlow, t: number): void {
    const m = this.dgramPayload;
    const tpl = f.hdr[0];
    const ip = f.l2len;
    let o: number;
    if (!f.v6) {
      m[0] = 3; m[1] = 3; w32(m, 4, 0);
      m.set(tpl.subarray(ip, ip + 20), 8);
      writeIp4Fields(m, 8, 17, 20 + 8 + 32, f.ipId[0], 0);
      m[16] = Math.max(1, m[16] - 1);
      writeIp4Fields(m, 8, 17, 20 + 8 + 32, f.ipId[0], 0);
      w16(m, 28, f.sport); w16(m, 30, f.dport); w16(m, 32, 40);
      for (let i = 0; i < 32; i++) this.scratch[i] = 0x40 + i;
      w16(m, 34, this.udpChecksum(f, 0, udpBytes(this.scratch, f.sport, f.dport, 32), 0, 40));
      o = 36;
    } else {
      for (let i = 0; i < 32; i++) this.scratch[i] = 0x40 + i;
      m[0] = 1; m[1] = 4; w32(m, 4, 0);
      m.set(tpl.subarray(ip, ip + 40), 8);
      m[12] = 0; m[13] = 40; m[14] = 17;
      const u = udpBytes(this.scratch, f.sport, f.dport, 32);
      w16(u, 6, this.udpChecksum(f, 0, u, 0, 40));
      m.set(u.subarray(0, 40), 48);
      o = 88;
    }
    this.icmpMsg(f, 1, t, m, o);
  }

  echo(f: EchoFlow, dir: number, t: number): void {
    const m = this.dgram;
    const len = 8 + f.payLen;
    m[0] = f.v6 ? (dir === 0 ? 128 : 129) : (dir === 0 ? 8 : 0);
    m[1] = 0;
    w16(m, 4, f.id); w16(m, 6, f.seq);
    if (f.windows) {
      for (let i = 0; i < f.payLen; i++) m[8 + i] = 0x61 + (i % 23);
    } else {
      const sec = this.cfg.startSec + Math.floor(f.t / NS_S);
      const usec = Math.floor((f.t % NS_S) / NS_US);
      m[8] = sec; m[9] = sec >>> 8; m[10] = sec >>> 16; m[11] = sec >>> 24; m[12] = 0; m[13] = 0; m[14] = 0; m[15] = 0;
      m[16] = usec; m[17] = usec >>> 8; m[18] = usec >>> 16; m[19] = 0; m[20] = 0; m[21] = 0; m[22] = 0; m[23] = 0;
      for (let i = 16; i < f.payLen; i++) m[8 + i] = i & 255;
    }
    this.icmpMsg(f, dir, t, m, len);
  }

  neighbor(f: NdFlow, dir: number, t: number): void {
    const m = this.scratch;
    m.fill(0, 0, 32);
    m[0] = dir === 0 ? 135 : 136;
    if (dir === 1) m[4] = 0xe0; // router, solicited, override
    m.set(f.target, 8);
    m[24] = dir === 0 ? 1 : 2; m[25] = 1;
    m.set(dir === 0 ? f.a.mac : f.b.mac, 26);
    this.icmpMsg(f, dir, t, m, 32);
  }

  rawFrame(f: Flow, t: number, frame: Uint8Array, kind: number): void {
    const fs = this.beginRaw(frame.length);
    const n = Math.min(frame.length, this.capEnd - fs);
    this.w.buf.set(n === frame.length ? frame : frame.subarray(0, n), fs);
    this.pk[kind]++;
    this.finish(f, t);
  }
}

function udpBytes(payload: Buffer, sp: number, dp: number, len: number): Buffer {
  const u = Buffer.alloc(8 + len);
  w16(u, 0, sp); w16(u, 2, dp); w16(u, 4, 8 + len); w16(u, 6, 0);
  payload.copy(u, 8, 0, len);
  return u;
}

function writeIp4Fields(b: Uint8Array, ip: number, proto: number, totLen: number, id: number, frag: number): void {
  b[ip + 2] = totLen >>> 8; b[ip + 3] = totLen;
  b[ip + 4] = id >>> 8; b[ip + 5] = id;
  b[ip + 6] = frag >>> 8; b[ip + 7] = frag;
  b[ip + 9] = proto;
  b[ip + 10] = 0; b[ip + 11] = 0;
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (b[ip + i] << 8) | b[ip + i + 1];
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  const c = (~s) & 0xffff;
  b[ip + 10] = c >>> 8; b[ip + 11] = c;
}

function writeQuicLong(d: Uint8Array, o: number, pktLen: number, type: number, dcid: Uint8Array, scid: Uint8Array, rnd: number): void {
  d[o] = 0xc0 | (type << 4) | (rnd & 0x0f);
  d[o + 1] = 0; d[o + 2] = 0; d[o + 3] = 0; d[o + 4] = 1;
  d[o + 5] = dcid.length; d.set(dcid, o + 6);
  let p = o + 6 + dcid.length;
  d[p++] = scid.length; d.set(scid, p); p += scid.length;
  if (type === 0) d[p++] = 0; // token length
  const rem = pktLen - (p - o) - 2;
  d[p] = 0x40 | ((rem >>> 8) & 0x3f); d[p + 1] = rem;
}

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

function mkTemplate(dst: Uint8Array, src: Uint8Array, tags: readonly number[], v6: boolean,
  sa: number | Uint8Array, da: number | Uint8Array, ttl: number, tos: number, label: number): Uint8Array {
  const l2 = 14 + tags.length * 2;
  const t = new Uint8Array(l2 + (v6 ? 40 : 20));
  t.set(dst, 0); t.set(src, 6);
  let o = 12;
  for (const v of tags) { t[o] = v >>> 8; t[o + 1] = v; o += 2; }
  const et = v6 ? 0x86dd : 0x0800;
  t[o] = et >>> 8; t[o + 1] = et; o += 2;
  if (!v6) {
    t[o] = 0x45; t[o + 1] = tos; t[o + 8] = ttl;
    w32(t, o + 12, sa as number); w32(t, o + 16, da as number);
  } else {
    t[o] = 0x60 | (tos >>> 4);
    t[o + 1] = ((tos & 15) << 4) | ((label >>> 16) & 15);
    t[o + 2] = label >>> 8; t[o + 3] = label;
    t[o + 7] = ttl;
    t.set(sa as Uint8Array, o + 8); t.set(da as Uint8Array, o + 24);
  }
  return t;
}

function arpFrame(dst: Uint8Array, src: Uint8Array, tags: readonly number[], op: number,
  sha: Uint8Array, spa: number, tha: Uint8Array, tpa: number): Uint8Array {
  const l2 = 14 + tags.length * 2;
  const f = new Uint8Array(l2 + 28);
  f.set(dst, 0); f.set(src, 6);
  let o = 12;
  for (const v of tags) { f[o] = v >>> 8; f[o + 1] = v; o += 2; }
  f[o] = 0x08; f[o + 1] = 0x06; o += 2;
  w16(f, o, 1); w16(f, o + 2, 0x0800); f[o + 4] = 6; f[o + 5] = 4; w16(f, o + 6, op);
  f.set(sha, o + 8); w32(f, o + 14, spa); f.set(tha, o + 18); w32(f, o + 24, tpa);
  return f;
}

// ---------------------------------------------------------------------------
// Public entry points

interface Resolved extends EngineConfig { nsResolution: boolean }

function resolve(opts: Omit<GenerateOptions, 'out'>): Resolved {
  const packets = Math.floor(opts.packets);
  if (!Number.isFinite(packets) || packets < 0) throw new RangeError(`invalid packet count ${opts.packets}`);
  const fullSize = opts.fullSize ?? false;
  const flows = Math.max(1, Math.round(opts.flows ?? (fullSize ? packets / 200 : packets / 10)));
  const snaplen = Math.floor(opts.snaplen ?? (fullSize ? 65535 : 256));
  if (!(snaplen >= 1 && snaplen <= 262144)) throw new RangeError(`invalid snaplen ${opts.snaplen}`);
  const durationSec = opts.durationSec ?? Math.max(1, packets / 10000);
  if (!(durationSec > 0)) throw new RangeError(`invalid duration ${opts.durationSec}`);
  return {
    packets, flows, snaplen, fullSize,
    seed: opts.seed ?? 1,
    durationNs: durationSec * NS_S,
    startSec: Math.floor(opts.startTime ?? DEFAULT_START),
    nsResolution: opts.nsResolution ?? false,
  };
}

function record<K extends string>(names: readonly K[], v: Float64Array): Record<K, number> {
  const o = {} as Record<K, number>;
  names.forEach((k, i) => { o[k] = v[i]; });
  return o;
}

function stats(e: Engine, w: PcapWriter, c: Resolved): GenStats {
  return {
    packets: e.emitted,
    bytes: e.bytes,
    capturedBytes: e.capBytes,
    fileBytes: w.bytes,
    flows: e.flows,
    l2Exchanges: e.l2,
    durationSec: e.firstT < 0 ? 0 : (e.lastT - e.firstT) / NS_S,
    startTime: c.startSec,
    snaplen: c.snaplen,
    nsResolution: c.nsResolution,
    seed: c.seed,
    kinds: record(PACKET_KINDS, e.pk),
    flowKinds: record(FLOW_KINDS, e.fk),
    packetsByFlowKind: record(FLOW_KINDS, e.fkp),
  };
}

/** Generate a capture to a file (or stdout with out = '-'). Streams; memory use is independent of size. */
export async function generateCapture(opts: GenerateOptions): Promise<GenStats> {
  const c = resolve(opts);
  const wo = { snaplen: c.snaplen, nsResolution: c.nsResolution };
  const w = opts.out === '-' ? PcapWriter.toStream(process.stdout, wo) : PcapWriter.toFile(opts.out, wo);
  try {
    const e = new Engine(c, w);
    while (!e.pump()) await w.drain();
    await w.close();
    return stats(e, w, c);
  } catch (err) {
    try { await w.close(); } catch { /* already failing */ }
    throw err;
  }
}

/** Generate a (small) capture in memory. */
export function generateBuffer(opts: Omit<GenerateOptions, 'out'>): { pcap: Buffer; stats: GenStats } {
  const c = resolve(opts);
  const w = PcapWriter.inMemory({ snaplen: c.snaplen, nsResolution: c.nsResolution, bufferSize: 1 << 20 });
  const e = new Engine(c, w);
  e.pump();
  w.closeSync();
  return { pcap: w.toBuffer(), stats: stats(e, w, c) };
}

/**
 * A tiny fixed scenario with one or two flows of every kind, started 5 ms apart
 * (TCP v4 untagged and v6 802.1Q, DNS, QUIC, NTP, ICMP/ICMPv6 echo, port-unreachable,
 * fragmented DNS and ping, RST, rejected and unanswered SYNs, BGP, WireGuard/opaque
 * UDP on QinQ, ARP, ND, LLDP, mid-stream and one-way TCP), for unit tests.
 */
export function generateTinyCapture(opts: { snaplen?: number; nsResolution?: boolean; seed?: number } = {}): { pcap: Buffer; stats: GenStats } {
  const plan: [number, boolean, number, number][] = [
    [FK_TCP, false, 0, 20], [FK_TCP, true, 1, 16], [FK_DNS, false, 0, 2], [FK_DNS, true, 2, 2],
    [FK_QUIC, false, 0, 12], [FK_NTP, false, 0, 2], [FK_ICMP_ECHO, false, 0, 4], [FK_ICMP_ECHO, true, 1, 2],
    [FK_UDP_UNREACH, false, 0, 2], [FK_DNS_FRAG, false, 0, 4], [FK_TCP_RST, false, 0, 8],
    [FK_TCP_REJ, false, 0, 2], [FK_TCP_S0, false, 3, 1], [FK_BGP, false, 0, 8], [FK_UDP_HIGH, true, 4, 3],
    [FK_ARP, false, 0, 2], [FK_ND, true, 0, 2], [FK_LLDP, false, 0, 1], [FK_TCP_MID, false, 0, 6],
    [FK_ICMP_FRAG, false, 2, 2], [FK_TCP_ONEWAY, true, 0, 14],
  ];
  const forced = plan.map(([kind, v6, lan, size], i) => ({ kind, v6, lan, size, t: i * 5 * NS_MS }));
  const c: Resolved = {
    packets: 100000, flows: forced.length, snaplen: opts.snaplen ?? 65535, fullSize: false, seed: opts.seed ?? 7,
    durationNs: NS_S, startSec: DEFAULT_START, nsResolution: opts.nsResolution ?? false, forced,
  };
  const w = PcapWriter.inMemory({ snaplen: c.snaplen, nsResolution: c.nsResolution, bufferSize: 1 << 20 });
  const e = new Engine(c, w);
  e.pump();
  w.closeSync();
  return { pcap: w.toBuffer(), stats: stats(e, w, c) };
}
