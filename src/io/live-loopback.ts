/**
 * Test and benchmark support for live capture: turns a classic pcap (Ethernet) into one
 * that is safe to replay onto an interface, because every IP address in it is a loopback
 * address (IPv4 into 127.0.0.0/8, one distinct 127.x.y.z per original address; IPv6 all
 * to ::1), and nothing inside a packet can be read as another address:
 *
 * - only IPv4/IPv6 over Ethernet (802.1Q/QinQ tags kept) carrying TCP, UDP, ICMP, ICMPv6
 *   or SCTP are kept; ARP, LLDP, tunnels (IP-in-IP, GRE, UDP tunnel ports), ICMP errors
 *   (they quote an inner header) and IPv6 routing headers are dropped;
 * - transport payloads are zeroed, so no decoder finds addresses in them;
 * - every packet is made whole (captured length = wire length): `full` pads the payload
 *   out to the IP length, `headerOnly` cuts it off and shrinks the IP/UDP lengths to match;
 * - checksums are recomputed.
 *
 * `loopbackViolations` checks a file with tshark, independently of this code.
 */
import { execFileSync } from 'node:child_process';

export interface LoopbackResult {
  /** A classic µs pcap, Ethernet, snaplen 65535. */
  pcap: Uint8Array;
  kept: number;
  dropped: number;
  /** Original IPv4 address → its 127.0.0.0/8 stand-in, as dotted quads. */
  ipv4Map: Map<string, string>;
}

const DROP_UDP_PORTS = new Set([4789, 4790, 6081, 2152, 3544, 1701, 4500, 500]);
const KEEP_PROTOS = new Set([1, 6, 17, 58, 132]);
const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);
const V6_EXT = new Set([0, 60, 51, 135, 139, 140]);

function dotted(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** One's complement sum of buf[start, end) (big-endian 16-bit words) added to `sum`. */
function csum(buf: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return (~sum) & 0xffff;
}

interface Packet { frame: Uint8Array }

/**
 * Rewrites one frame; returns null to drop it. `frame` holds the captured bytes; the result
 * is a new array.
 */
function rewriteFrame(src: Uint8Array, headerOnly: boolean, mapV4: (a: number) => number): Packet | null {
  let off = 12;
  if (src.length < 14) return null;
  let ethertype = (src[off]! << 8) | src[off + 1]!;
  while (ethertype === 0x8100 || ethertype === 0x88a8 || ethertype === 0x9100) {
    off += 4;
    if (src.length < off + 2) return null;
    ethertype = (src[off]! << 8) | src[off + 1]!;
  }
  const l3 = off + 2;
  if (ethertype === 0x0800) return rewriteV4(src, l3, headerOnly, mapV4);
  if (ethertype === 0x86dd) return rewriteV6(src, l3, headerOnly);
  return null;
}

/** Length of the transport header at `t` (within `buf`), or -1 when it is cut short. */
function transportHeaderLen(buf: Uint8Array, t: number, end: number, proto: number): number {
  let n: number;
  switch (proto) {
    case 6: if (end - t < 20) return -1; n = (buf[t + 12]! >> 4) * 4; if (n < 20) return -1; break;
    case 17: n = 8; break;
    case 132: n = 12; break;
    default: n = 8; // ICMP, ICMPv6
  }
  return end - t < n ? -1 : n;
}

function droppedTransport(buf: Uint8Array, t: number, proto: number): boolean {
  if (proto === 17) {
    const sp = (buf[t]! << 8) | buf[t + 1]!;
    const dp = (buf[t + 2]! << 8) | buf[t + 3]!;
    return DROP_UDP_PORTS.has(sp) || DROP_UDP_PORTS.has(dp);
  }
  if (proto === 1) return ICMP4_ERRORS.has(buf[t]!);
  if (proto === 58) return buf[t]! < 128; // ICMPv6 errors are types 0-127
  return false;
}

/** Recomputes the transport checksum of an unfragmented packet, given the pseudo-header sum. */
function fixTransportChecksum(buf: Uint8Array, t: number, end: number, proto: number, pseudo: number): void {
  let at: number;
  switch (proto) {
    case 6: at = t + 16; break;
    case 17: at = t + 6; break;
    case 1: at = t + 2; pseudo = 0; break; // ICMPv4 has no pseudo-header
    case 58: at = t + 2; break;
    default: return; // SCTP uses CRC32c; onpath does not check it, and tshark does not by default
  }
  buf[at] = 0; buf[at + 1] = 0;
  let c = fold(csum(buf, t, end, pseudo));
  if (proto === 17 && c === 0) c = 0xffff;
  buf[at] = c >> 8; buf[at + 1] = c & 255;
}

function rewriteV4(src: Uint8Array, ip: number, headerOnly: boolean, mapV4: (a: number) => number): Packet | null {
  if (src.length < ip + 20) return null;
  const ihl = (src[ip]! & 15) * 4;
  if ((src[ip]! >> 4) !== 4 || ihl < 20 || src.length < ip + ihl) return null;
  const totalLen = (src[ip + 2]! << 8) | src[ip + 3]!;
  const proto = src[ip + 9]!;
  const fragField = (src[ip + 6]! << 8) | src[ip + 7]!;
  const fragOffset = fragField & 0x1fff;
  const moreFrags = (fragField & 0x2000) !== 0;
  const fragment = fragOffset !== 0 || moreFrags;
  if (!KEEP_PROTOS.has(proto) || totalLen < ihl) return null;
  if (fragment && headerOnly) return null;
  const t = ip + ihl;
  let thl = 0;
  if (fragOffset === 0) {
    thl = transportHeaderLen(src, t, src.length, proto);
    if (thl < 0 || ihl + thl > totalLen) return null;
    if (droppedTransport(src, t, proto)) return null;
  }
  const newTotal = headerOnly ? ihl + thl : totalLen;
  const out = new Uint8Array(ip + newTotal);
  out.set(src.subarray(0, Math.min(src.length, ip + ihl + thl)));
  const dv = new DataView(out.buffer);
  dv.setUint16(ip + 2, newTotal);
  if (proto === 17 && fragOffset === 0 && headerOnly) dv.setUint16(t + 4, 8);
  dv.setUint32(ip + 12, mapV4(dv.getUint32(ip + 12)));
  dv.setUint32(ip + 16, mapV4(dv.getUint32(ip + 16)));
  // IPv4 options may carry addresses (record route, timestamps): blank them to NOPs.
  for (let i = ip + 20; i < ip + ihl; i++) out[i] = 1;
  dv.setUint16(ip + 10, 0);
  dv.setUint16(ip + 10, fold(csum(out, ip, ip + ihl)));
  if (!fragment) {
    const tlen = newTotal - ihl;
    const pseudo = csum(out, ip + 12, ip + 20, proto + tlen);
    fixTransportChecksum(out, t, ip + newTotal, proto, pseudo);
  }
  return { frame: out };
}

function rewriteV6(src: Uint8Array, ip: number, headerOnly: boolean): Packet | null {
  if (src.length < ip + 40 || (src[ip]! >> 4) !== 6) return null;
  const payloadLen = (src[ip + 4]! << 8) | src[ip + 5]!;
  let next = src[ip + 6]!;
  let h = ip + 40;
  let fragment = false;
  let laterFragment = false;
  for (;;) {
    if (next === 44) {
      if (src.length < h + 8) return null;
      fragment = true;
      laterFragment = (((src[h + 2]! << 8) | src[h + 3]!) & 0xfff8) !== 0;
      next = src[h]!;
      h += 8;
      if (laterFragment) break;
    } else if (V6_EXT.has(next)) {
      if (src.length < h + 8) return null;
      const len = next === 51 ? (src[h + 1]! + 2) * 4 : (src[h + 1]! + 1) * 8;
      next = src[h]!;
      h += len;
    } else {
      break;
    }
  }
  if (!KEEP_PROTOS.has(next) || (fragment && headerOnly)) return null;
  const extLen = h - ip - 40;
  let thl = 0;
  if (!laterFragment) {
    thl = transportHeaderLen(src, h, src.length, next);
    if (thl < 0 || extLen + thl > payloadLen) return null;
    if (droppedTransport(src, h, next)) return null;
  }
  const newPayload = headerOnly ? extLen + thl : payloadLen;
  const out = new Uint8Array(ip + 40 + newPayload);
  out.set(src.subarray(0, Math.min(src.length, h + thl)));
  const dv = new DataView(out.buffer);
  dv.setUint16(ip + 4, newPayload);
  if (next === 17 && !laterFragment && headerOnly) dv.setUint16(h + 4, 8);
  for (let i = 0; i < 32; i++) out[ip + 8 + i] = i === 15 || i === 31 ? 1 : 0; // ::1 → ::1
  if (!fragment) {
    const tlen = ip + 40 + newPayload - h;
    const pseudo = csum(out, ip + 8, ip + 40, next + tlen);
    fixTransportChecksum(out, h, ip + 40 + newPayload, next, pseudo);
  }
  return { frame: out };
}

/** Rewrites a classic pcap (either byte order, µs or ns) of Ethernet frames; see the file comment. */
export function rewriteToLoopback(input: Uint8Array, opts: { headerOnly?: boolean } = {}): LoopbackResult {
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const magicLe = dv.getUint32(0, true);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const magic = dv.getUint32(0, le);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('rewriteToLoopback: not a classic pcap');
  const ns = magic === 0xa1b23c4d;
  if ((dv.getUint32(20, le) & 0xffff) !== 1) throw new Error('rewriteToLoopback: link type must be Ethernet (1)');
  const ipv4Map = new Map<string, string>();
  const v4 = new Map<number, number>();
  const mapV4 = (a: number): number => {
    let m = v4.get(a);
    if (m === undefined) {
      if (v4.size >= 0xfffffd) throw new Error('rewriteToLoopback: more IPv4 addresses than 127.0.0.0/8 holds');
      m = (0x7f000001 + v4.size) >>> 0;
      v4.set(a, m);
      ipv4Map.set(dotted(a), dotted(m));
    }
    return m;
  };
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, 0xa1b2c3d4, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, 65535, true);
  hv.setUint32(20, 1, true);
  parts.push(header);
  let kept = 0;
  let dropped = 0;
  for (let pos = 24; pos + 16 <= input.length;) {
    const sec = dv.getUint32(pos, le);
    const frac = dv.getUint32(pos + 4, le);
    const incl = dv.getUint32(pos + 8, le);
    if (pos + 16 + incl > input.length) break;
    const p = rewriteFrame(input.subarray(pos + 16, pos + 16 + incl), opts.headerOnly === true, mapV4);
    pos += 16 + incl;
    if (p === null || p.frame.length > 65535) { dropped++; continue; }
    const rec = new Uint8Array(16);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, sec, true);
    rv.setUint32(4, ns ? Math.floor(frac / 1000) : frac, true);
    rv.setUint32(8, p.frame.length, true);
    rv.setUint32(12, p.frame.length, true);
    parts.push(rec, p.frame);
    kept++;
  }
  const total = parts.reduce((s, x) => s + x.length, 0);
  const pcap = new Uint8Array(total);
  let at = 0;
  for (const x of parts) { pcap.set(x, at); at += x.length; }
  return { pcap, kept, dropped, ipv4Map };
}

function isLoopback(addr: string): boolean {
  if (addr.includes(':')) return addr === '::1' || addr === '0:0:0:0:0:0:0:1';
  return /^127\.\d+\.\d+\.\d+$/.test(addr);
}

/**
 * Reads `path` with tshark and returns every problem that makes it unsafe to replay: any
 * IPv4/IPv6/ARP address anywhere in any packet (inner headers included) that is not a
 * loopback address, and any frame that carries no IP at all. Empty means safe.
 */
export function loopbackViolations(path: string): string[] {
  const fields = ['ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'ip.addr', 'ipv6.addr'];
  const out = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
    '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const problems: string[] = [];
  const lines = out.split('\n').filter((l) => l.length > 0);
  lines.forEach((line, i) => {
    const cols = line.split('\t');
    const ipCols = cols.slice(0, 4).join('');
    if (ipCols.length === 0) problems.push(`frame ${i + 1}: no IP header`);
    for (const col of cols) {
      for (const a of col.split(',')) if (a !== '' && !isLoopback(a)) problems.push(`frame ${i + 1}: address ${a}`);
    }
  });
  return problems;
}

/** Packets in a capture file according to tshark (an independent count). */
export function tsharkPacketCount(path: string): number {
  const out = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).length;
}
