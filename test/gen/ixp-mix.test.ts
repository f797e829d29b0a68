import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateCapture, generateBuffer, generateTinyCapture, Rng, FLOW_KINDS, type GenStats,
} from '../../src/gen/ixp-mix.js';
import { PcapWriter, PCAP_MAGIC_NS, PCAP_MAGIC_US } from '../../src/gen/pcap-writer.js';

const TSHARK = '/usr/bin/tshark';
const hasTshark = existsSync(TSHARK);

function tshark(args: string[]): string {
  return execFileSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
}
function lines(s: string): string[] { return s.split('\n').filter((l) => l.length > 0); }

interface Frame { ts: number; incl: number; orig: number; data: Buffer }

/** Minimal independent pcap reader (little-endian files as written by PcapWriter). */
function readPcap(buf: Buffer): { magic: number; snaplen: number; linkType: number; frames: Frame[] } {
  const magic = buf.readUInt32LE(0);
  const ns = magic === PCAP_MAGIC_NS;
  const frames: Frame[] = [];
  let off = 24;
  while (off < buf.length) {
    const sec = buf.readUInt32LE(off), frac = buf.readUInt32LE(off + 4);
    const incl = buf.readUInt32LE(off + 8), orig = buf.readUInt32LE(off + 12);
    frames.push({ ts: sec * 1e9 + (ns ? frac : frac * 1000), incl, orig, data: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  expect(off).toBe(buf.length);
  return { magic, snaplen: buf.readUInt32LE(16), linkType: buf.readUInt32LE(20), frames };
}

/** Check every length field we promise to keep consistent; returns counts of what was seen. */
function checkFrames(frames: Frame[], snaplen: number): Record<string, number> {
  const seen: Record<string, number> = {};
  const bump = (k: string): void => { seen[k] = (seen[k] ?? 0) + 1; };
  let last = -1;
  for (const f of frames) {
    expect(f.ts).toBeGreaterThanOrEqual(last);
    last = f.ts;
    expect(f.incl).toBe(Math.min(f.orig, snaplen));
    expect(f.orig).toBeGreaterThanOrEqual(60);
    expect(f.orig).toBeLessThanOrEqual(1522);
    const d = f.data;
    let o = 12;
    let et = d.readUInt16BE(o);
    o += 2;
    while (et === 0x8100 || et === 0x88a8) {
      bump(et === 0x88a8 ? 'qinq' : 'vlan');
      et = d.readUInt16BE(o + 2);
      o += 4;
    }
    const l2 = o;
    if (et === 0x0800) {
      bump('ipv4');
      expect(d[o] >> 4).toBe(4);
      expect(d[o] & 15).toBe(5);
      const tot = d.readUInt16BE(o + 2), frag = d.readUInt16BE(o + 6), proto = d[o + 9];
      expect(Math.max(60, l2 + tot)).toBe(f.orig);
      const l4 = o + 20, pl = tot - 20;
      if ((frag & 0x3fff) !== 0) { bump('fragment'); continue; }
      if (l4 + 20 > d.length) continue;
      if (proto === 6) { bump('tcp'); const doff = (d[l4 + 12] >> 4) * 4; expect(doff).toBeGreaterThanOrEqual(20); expect(doff).toBeLessThanOrEqual(pl); }
      if (proto === 17) { bump('udp'); expect(d.readUInt16BE(l4 + 4)).toBe(pl); }
      if (proto === 1) bump('icmp');
    } else if (et === 0x86dd) {
      bump('ipv6');
      expect(d[o] >> 4).toBe(6);
      const plen = d.readUInt16BE(o + 4), nh = d[o + 6];
      expect(Math.max(60, l2 + 40 + plen)).toBe(f.orig);
      const l4 = o + 40;
      if (l4 + 20 > d.length) continue;
      if (nh === 6) { bump('tcp'); const doff = (d[l4 + 12] >> 4) * 4; expect(doff).toBeGreaterThanOrEqual(20); expect(doff).toBeLessThanOrEqual(plen); }
      if (nh === 17) { bump('udp'); expect(d.readUInt16BE(l4 + 4)).toBe(plen); }
      if (nh === 58) bump('icmpv6');
    } else if (et === 0x0806) {
      bump('arp');
      expect(l2 + 28).toBeLessThanOrEqual(f.orig);
    } else if (et === 0x88cc) {
      bump('lldp');
    } else {
      throw new Error(`unexpected ethertype 0x${et.toString(16)}`);
    }
  }
  return seen;
}

describe('PcapWriter', () => {
  it('writes a classic pcap header and truncates to snaplen', () => {
    const w = PcapWriter.inMemory({ snaplen: 64, nsResolution: true });
    const frame = new Uint8Array(100).map((_, i) => i);
    w.writePacket(1717243200, 123456789, frame);
    w.closeSync();
    const b = w.toBuffer();
    expect(b.readUInt32LE(0)).toBe(PCAP_MAGIC_NS);
    expect(b.readUInt16LE(4)).toBe(2);
    expect(b.readUInt16LE(6)).toBe(4);
    expect(b.readUInt32LE(16)).toBe(64);
    expect(b.readUInt32LE(20)).toBe(1);
    expect(b.readUInt32LE(24)).toBe(1717243200);
    expect(b.readUInt32LE(28)).toBe(123456789);
    expect(b.readUInt32LE(32)).toBe(64);
    expect(b.readUInt32LE(36)).toBe(100);
    expect(b.length).toBe(24 + 16 + 64);
    expect(b[24 + 16 + 63]).toBe(63);
  });

  it('scales the fraction for microsecond files', () => {
    const w = PcapWriter.inMemory({});
    w.writePacket(5, 123456789, new Uint8Array(60));
    w.closeSync();
    const b = w.toBuffer();
    expect(b.readUInt32LE(0)).toBe(PCAP_MAGIC_US);
    expect(b.readUInt32LE(28)).toBe(123456);
  });
});

describe('Rng', () => {
  it('is deterministic and roughly uniform', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(xa);
    let s = 0;
    for (let i = 0; i < 10000; i++) s += a.float();
    expect(s / 10000).toBeGreaterThan(0.48);
    expect(s / 10000).toBeLessThan(0.52);
  });
});

describe('ixp-mix generator', () => {
  let dir = '';
  let file = '';
  let full = '';
  let stats: GenStats;
  let fullStats: GenStats;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpath-gen-'));
    file = join(dir, 'mix.pcap');
    full = join(dir, 'full.pcap');
    stats = await generateCapture({ out: file, packets: 20000, flows: 2000, snaplen: 256, seed: 3 });
    fullStats = await generateCapture({ out: full, packets: 12000, flows: 1200, snaplen: 65535, seed: 4 });
  }, 60_000);

  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('writes exactly the requested packets with consistent stats', () => {
    const buf = readFileSync(file);
    const pcap = readPcap(buf);
    expect(pcap.magic).toBe(PCAP_MAGIC_US);
    expect(pcap.snaplen).toBe(256);
    expect(pcap.linkType).toBe(1);
    expect(pcap.frames.length).toBe(20000);
    expect(stats.packets).toBe(20000);
    expect(stats.fileBytes).toBe(buf.length);
    expect(pcap.frames.reduce((s, f) => s + f.orig, 0)).toBe(stats.bytes);
    expect(pcap.frames.reduce((s, f) => s + f.incl, 0)).toBe(stats.capturedBytes);
    expect(buf.length).toBeLessThan(4 * 1024 * 1024);
    // ~2000 flows requested; the size calibration should land near it.
    expect(stats.flows).toBeGreaterThan(1500);
    expect(stats.flows).toBeLessThan(2600);
    expect(stats.durationSec).toBeGreaterThan(0.5);
  });

  it('keeps IP/TCP/UDP lengths consistent with the frame length', () => {
    for (const [f, snap] of [[file, 256], [full, 65535]] as const) {
      const pcap = readPcap(readFileSync(f));
      const seen = checkFrames(pcap.frames, snap);
      for (const k of ['vlan', 'qinq', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'arp', 'lldp', 'fragment']) {
        expect(seen[k] ?? 0, k).toBeGreaterThan(0);
      }
      const v6 = seen.ipv6 / (seen.ipv4 + seen.ipv6);
      expect(v6).toBeGreaterThan(0.2);
      expect(v6).toBeLessThan(0.4);
    }
  });

  it('has a mix with the promised kinds', () => {
    const k = stats.kinds;
    for (const name of ['tcp_syn', 'tcp_synack', 'tcp_fin', 'tcp_rst', 'tls', 'http', 'dns', 'quic', 'ntp', 'bgp',
      'icmp', 'icmpv6', 'arp', 'lldp', 'vlan', 'qinq', 'ipv4_fragment', 'truncated', 'padded'] as const) {
      expect(k[name], name).toBeGreaterThan(0);
    }
    expect(fullStats.kinds.tcp_retransmission).toBeGreaterThan(0);
    expect(fullStats.kinds.truncated).toBe(0);
    for (const fk of ['tcp', 'tcp_rst', 'tcp_s0', 'tcp_mid', 'dns', 'quic', 'icmp_echo', 'arp', 'lldp'] as const) {
      expect(stats.flowKinds[fk], fk).toBeGreaterThan(0);
    }
    // long tail: the biggest flows are far above the median
    expect(stats.packetsByFlowKind.tcp / stats.flowKinds.tcp).toBeGreaterThan(8);
  });

  it('is byte-identical for the same seed and differs for another', () => {
    const a = generateBuffer({ packets: 3000, flows: 300, snaplen: 128, seed: 11 });
    const b = generateBuffer({ packets: 3000, flows: 300, snaplen: 128, seed: 11 });
    const c = generateBuffer({ packets: 3000, flows: 300, snaplen: 128, seed: 12 });
    expect(a.pcap.equals(b.pcap)).toBe(true);
    expect(a.pcap.equals(c.pcap)).toBe(false);
    expect(a.stats).toEqual(b.stats);
  });

  it('matches the file written by generateCapture for the same options', async () => {
    const again = join(dir, 'again.pcap');
    await generateCapture({ out: again, packets: 20000, flows: 2000, snaplen: 256, seed: 3 });
    expect(readFileSync(again).equals(readFileSync(file))).toBe(true);
    const mem = generateBuffer({ packets: 20000, flows: 2000, snaplen: 256, seed: 3 });
    expect(mem.pcap.equals(readFileSync(file))).toBe(true);
  });

  it('writes nanosecond files and mostly full-size frames on request', () => {
    const { pcap, stats: s } = generateBuffer({ packets: 4000, seed: 5, nsResolution: true, fullSize: true });
    const r = readPcap(pcap);
    expect(r.magic).toBe(PCAP_MAGIC_NS);
    expect(r.snaplen).toBe(65535);
    expect(r.frames.length).toBe(4000);
    checkFrames(r.frames, 65535);
    const big = r.frames.filter((f) => f.orig >= 1400).length;
    expect(big / r.frames.length).toBeGreaterThan(0.7);
    expect(s.bytes / s.packets).toBeGreaterThan(1200);
  });

  it('generates the tiny fixed scenario with every flow kind', () => {
    const a = generateTinyCapture();
    const b = generateTinyCapture();
    expect(a.pcap.equals(b.pcap)).toBe(true);
    const r = readPcap(a.pcap);
    expect(r.frames.length).toBe(a.stats.packets);
    checkFrames(r.frames, 65535);
    for (const k of FLOW_KINDS) {
      expect(a.stats.flowKinds[k], k).toBeGreaterThan(0);
    }
  });

  describe.skipIf(!hasTshark)('checked with tshark', () => {
    it('tshark reads the same number of packets', () => {
      expect(lines(tshark(['-r', file, '-T', 'fields', '-e', 'frame.number'])).length).toBe(stats.packets);
    });

    it('has no malformed packets or expert errors (except in snaplen-truncated frames)', () => {
      const filter = '_ws.malformed || _ws.expert.severity >= error';
      const bad = lines(tshark(['-r', full, '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message']));
      expect(bad).toEqual([]);
      const badTrunc = lines(tshark(['-r', file, '-Y', `(${filter}) && !(frame.cap_len < frame.len)`,
        '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message']));
      expect(badTrunc).toEqual([]);
    }, 60_000);

    it('dissects VLAN, QinQ, IPv6, TCP, UDP, ARP, LLDP, DNS, TLS, QUIC, BGP, ICMP', () => {
      const protos = lines(tshark(['-r', file, '-T', 'fields', '-e', 'frame.protocols']));
      expect(protos.length).toBe(stats.packets);
      const count = (re: RegExp): number => protos.filter((p) => re.test(p)).length;
      expect(count(/:vlan:/)).toBeGreaterThan(0);
      expect(count(/ieee8021ad/)).toBeGreaterThan(0);
      expect(count(/:ipv6:/)).toBeGreaterThan(0);
      expect(count(/:tcp/)).toBeGreaterThan(0);
      expect(count(/:udp/)).toBeGreaterThan(0);
      expect(count(/:arp/)).toBeGreaterThan(0);
      expect(count(/:lldp/)).toBeGreaterThan(0);
      expect(count(/:dns/)).toBeGreaterThan(0);
      expect(count(/:tls/)).toBeGreaterThan(0);
      expect(count(/:quic/)).toBeGreaterThan(0);
      expect(count(/:bgp/)).toBeGreaterThan(0);
      expect(count(/:icmp:/)).toBeGreaterThan(0);
      expect(count(/:icmpv6/)).toBeGreaterThan(0);
    }, 60_000);

    it('QUIC Initials are real: tshark opens them (ClientHello with SNI and h3, ServerHello) on the full-size capture', () => {
      // -o quic... none needed: Initial keys come from the client's DCID, as for any observer.
      const rows = lines(tshark(['-r', full, '-Y', 'quic.long.packet_type == 0 && tls.handshake.type', '-T', 'fields', '-E', 'separator=/t',
        '-e', 'udp.srcport', '-e', 'tls.handshake.type', '-e', 'tls.handshake.extensions_server_name', '-e', 'tls.handshake.extensions_alpn_str']));
      const hellos = rows.map((r) => r.split('\t'));
      const ch = hellos.filter((h) => h[1] === '1');
      const sh = hellos.filter((h) => h[1].split(',').includes('2'));
      expect(ch.length).toBeGreaterThan(10);
      expect(sh.length).toBeGreaterThan(10);
      for (const h of ch) {
        expect(h[2], h.join(' ')).toMatch(/^[a-z]+\.example\.(com|net|org)$/);
        expect(h[3]).toBe('h3');
      }
      for (const h of sh) expect(h[0]).toBe('443');
    }, 60_000);

    it('agrees that frame length = L2 header + IP length (padded to 60)', () => {
      const rows = lines(tshark(['-r', full, '-Y', 'ip || ipv6', '-T', 'fields', '-E', 'separator=/t',
        '-e', 'frame.len', '-e', 'vlan.id', '-e', 'ieee8021ad.id', '-e', 'ip.len', '-e', 'ipv6.plen']));
      expect(rows.length).toBeGreaterThan(1000);
      for (const row of rows) {
        const [flen, vlan, qinq, ipLen, plen] = row.split('\t');
        const tags = (vlan ? vlan.split(',').length : 0) + (qinq ? qinq.split(',').length : 0);
        // ICMP errors quote an inner IP header: the outer one comes first.
        const ip = ipLen ? Number(ipLen.split(',')[0]) : 40 + Number(plen.split(',')[0]);
        expect(Number(flen), row).toBe(Math.max(60, 14 + 4 * tags + ip));
      }
    }, 60_000);
  });
});
