import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { createBatch, HISTORY_MAX, type FlowBatch } from '../../src/flow/batch.js';
import { TABLES } from '../../src/sink/schema.js';
import { DuckSink } from '../../src/sink/duckdb.js';
import { communityId, communityIdDigest } from '../../src/sink/community-id.js';
import { addrText, macText, parseAddr } from '../../src/sink/addr.js';
import type { CaptureRecord } from '../../src/sink/records.js';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'onpath-sink-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function words(text: string): Uint32Array {
  const a = parseAddr(text);
  if (!a) throw new Error(`bad address ${text}`);
  return a.words;
}

// ---------------------------------------------------------------------------
// Community ID: vectors from corelight/pycommunityid tests/communityid_test.py
// [proto, src, dst, sport, dport, seed0 base64, seed0 hex, seed1 base64]
// ---------------------------------------------------------------------------
const VECTORS: [number, string, string, number | null, number | null, string, string, string][] = [
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '5f4b27617a60c22bfd4d9b6a83ae2c833527e839', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '5f4b27617a60c22bfd4d9b6a83ae2c833527e839', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '192.168.0.89', '192.168.0.1', 20, 0, '1:3o2RFccXzUgjl7zDpqmY7yJi8rI=', 'de8d9115c717cd482397bcc3a6a998ef2262f2b2', '1:lCXHHxavE1Vq3oX9NH5ladQg02o='],
  [1, '192.168.0.89', '192.168.0.1', 20, 1, '1:tz/fHIDUHs19NkixVVoOZywde+I=', 'b73fdf1c80d41ecd7d3648b1555a0e672c1d7be2', '1:Ie3wmFyxiEyikbsbcO03d2nh+PM='],
  [1, '192.168.0.1', '192.168.0.89', 0, 20, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '5f4b27617a60c22bfd4d9b6a83ae2c833527e839', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 0, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '7461f21af8cc7e58e0e81a69c26ddb8342cef136', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 0, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '7461f21af8cc7e58e0e81a69c26ddb8342cef136', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, '3ffe:507:0:1:260:97ff:fe07:69ea', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=', '35da1b0d7f0f40d25b0327e45b186d2f63eaa79c', '1:OlOWx9psIbBFi7lOCw/4MhlKR9M='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:507:0:1:260:97ff:fe07:69ea', 3, 0, '1:/OGBt9BN1ofenrmSPWYicpij2Vc=', 'fce181b7d04dd687de9eb9923d66227298a3d957', '1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE='],
  [132, '192.168.170.8', '192.168.170.56', 7, 80, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=', '8d0802c5b92efa9346c3c58f6c473f4d2fee4e94', '1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU='],
  [132, '192.168.170.56', '192.168.170.8', 80, 7, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=', '8d0802c5b92efa9346c3c58f6c473f4d2fee4e94', '1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '2d053da9994af81e45dca0e67afea6e4f3226eb8', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '2d053da9994af81e45dca0e67afea6e4f3226eb8', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '10.0.0.1', '10.0.0.2', 10, 11569, '1:SXBGMX1lBOwhhoDrZynfROxnhnM=', '497046317d6504ec218680eb6729df44ec678673', '1:HmBRGR+fUyXF4t8WEtal7Y0gEAo='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '77f14fe445b7c22635bc29dd87095e451287a304', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '77f14fe445b7c22635bc29dd87095e451287a304', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [46, '10.1.24.4', '10.1.12.1', null, null, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=', 'fe7408e1187f4ed63799fd11da0245064565812e', '1:BK3BVW3U2eemuwVQVN3zd/GULno='],
  [46, '10.1.12.1', '10.1.24.4', null, null, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=', 'fe7408e1187f4ed63799fd11da0245064565812e', '1:BK3BVW3U2eemuwVQVN3zd/GULno='],
];

describe('community id', () => {
  it.each(VECTORS)('proto %i %s -> %s %s/%s', (proto, src, dst, sport, dport, b64, hex, seed1) => {
    const s = parseAddr(src)!, d = parseAddr(dst)!;
    const v4 = s.version === 4;
    // Port-less protocols ignore the ports: any value must give the same id.
    for (const [sp, dp] of sport === null ? [[0, 0], [1234, 80]] : [[sport, dport!]]) {
      expect(communityIdDigest(proto, v4, s.words, 0, d.words, 0, sp!, dp!).toString('hex')).toBe(hex);
      expect(communityId(proto, v4, s.words, 0, d.words, 0, sp!, dp!)).toBe(b64);
      expect(communityId(proto, v4, s.words, 0, d.words, 0, sp!, dp!, 1)).toBe(seed1);
    }
  });
});

describe('address text', () => {
  it('formats IPv4, RFC 5952 IPv6 and MACs', () => {
    const t6 = (s: string): string => addrText(words(s), 0, 6);
    expect(addrText(words('8.8.4.4'), 0, 4)).toBe('8.8.4.4');
    expect(addrText(words('255.0.10.1'), 0, 4)).toBe('255.0.10.1');
    expect(t6('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(t6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // first of equal runs
    expect(t6('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1'); // longest run
    expect(t6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single 0 group stays
    expect(t6('::')).toBe('::');
    expect(t6('::1')).toBe('::1');
    expect(t6('fe80::')).toBe('fe80::');
    expect(t6('1:0:0:0:0:0:0:0')).toBe('1::');
    expect(t6('0:0:0:0:0:0:0:ffff')).toBe('::ffff');
    expect(t6('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(t6('64:ff9b::192.0.2.33')).toBe('64:ff9b::c000:221');
    expect(parseAddr('1.2.3')).toBeNull();
    expect(parseAddr('1::2::3')).toBeNull();
    expect(macText(0x0123456789ab)).toBe('01:23:45:67:89:ab');
    expect(macText(0xffffffffffff)).toBe('ff:ff:ff:ff:ff:ff');
    expect(macText(NaN)).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// Batches by hand
// ---------------------------------------------------------------------------

interface Row {
  src: string; dst: string; sport: number; dport: number; proto: number;
  firstSec: number; firstNs: number; lastSec: number; lastNs: number;
  history?: string; connState?: number; endReason?: number;
  ttl?: [number, number]; mac?: [number, number]; vlan?: [number, number]; mpls?: number;
  rtt?: [number, number]; flags?: [number, number];
  splt?: { sizes: number[]; gaps: number[] };
  tunnel?: { kind: number; src: string; dst: string };
  pkts?: [number, number]; bytes?: [number, number];
  fragments?: number; truncated?: number;
}

function setRow(b: FlowBatch, r: number, x: Row): void {
  const c = b.cols;
  const s = parseAddr(x.src)!, d = parseAddr(x.dst)!;
  c.origAddr.set(s.words, r * 4);
  c.respAddr.set(d.words, r * 4);
  c.ipVersion[r] = s.version;
  c.proto[r] = x.proto;
  c.origPort[r] = x.sport;
  c.respPort[r] = x.dport;
  c.firstSec[r] = x.firstSec; c.firstNs[r] = x.firstNs;
  c.lastSec[r] = x.lastSec; c.lastNs[r] = x.lastNs;
  const [op, rp] = x.pkts ?? [1, 0];
  const [ob, rb] = x.bytes ?? [60, 0];
  c.origPkts[r] = op; c.respPkts[r] = rp;
  c.origWireBytes[r] = ob; c.respWireBytes[r] = rb;
  c.origIpBytes[r] = ob - 14; c.respIpBytes[r] = rb === 0 ? 0 : rb - 14;
  c.origPayloadBytes[r] = ob - 54 > 0 ? ob - 54 : 0; c.respPayloadBytes[r] = rb - 54 > 0 ? rb - 54 : 0;
  const h = x.history ?? '';
  c.historyLen[r] = h.length;
  for (let i = 0; i < h.length; i++) c.history[r * HISTORY_MAX + i] = h.charCodeAt(i);
  c.connState[r] = x.connState ?? 0;
  c.endReason[r] = x.endReason ?? 0;
  [c.origTtl[r], c.respTtl[r]] = x.ttl ?? [-1, -1];
  [c.origMac[r], c.respMac[r]] = x.mac ?? [NaN, NaN];
  [c.vlanOuter[r], c.vlanInner[r]] = x.vlan ?? [-1, -1];
  c.mplsLabel[r] = x.mpls ?? -1;
  [c.synToSynAckUs[r], c.synAckToAckUs[r]] = x.rtt ?? [NaN, NaN];
  [c.origTcpFlags[r], c.respTcpFlags[r]] = x.flags ?? [0, 0];
  c.fragments[r] = x.fragments ?? 0;
  c.truncatedPkts[r] = x.truncated ?? 0;
  if (x.splt) {
    c.spltLen[r] = x.splt.sizes.length;
    c.spltSize.set(x.splt.sizes, r * b.spltN);
    c.spltGapUs.set(x.splt.gaps, r * b.spltN);
  }
  if (x.tunnel) {
    c.tunnelKind[r] = x.tunnel.kind;
    c.tunnelSrc.set(parseAddr(x.tunnel.src)!.words, r * 4);
    c.tunnelDst.set(parseAddr(x.tunnel.dst)!.words, r * 4);
  }
  b.n = Math.max(b.n, r + 1);
}

const T0 = 1700000000; // 2023-11-14T22:13:20Z

const HAND_ROWS: Row[] = [
  { // IPv4 TCP, everything set
    src: '128.232.110.120', dst: '66.35.250.204', sport: 34855, dport: 80, proto: 6,
    firstSec: T0, firstNs: 123456789, lastSec: T0 + 2, lastNs: 500,
    history: 'ShADadFf', connState: 3, endReason: 2, ttl: [64, 57], mac: [0x0123456789ab, 0xfedcba987654],
    vlan: [100, 200], mpls: 16001, rtt: [1234.5, 56.25], flags: [0x1b, 0x1a],
    splt: { sizes: [74, -74, 66], gaps: [0, 1234.5, 56.25] },
    pkts: [5, 4], bytes: [600, 2000], fragments: 2, truncated: 1,
  },
  { // IPv4 UDP inside GRE, "none" everywhere
    src: '192.168.1.52', dst: '8.8.8.8', sport: 54585, dport: 53, proto: 17,
    firstSec: T0 + 10, firstNs: 0, lastSec: T0 + 10, lastNs: 0, endReason: 5,
    tunnel: { kind: 2, src: '10.0.0.1', dst: '10.0.0.2' },
  },
  { // IPv6 ICMPv6 neighbor solicitation, inside teredo over IPv6 outer addresses
    src: 'fe80::200:86ff:fe05:80da', dst: 'fe80::260:97ff:fe07:69ea', sport: 135, dport: 0, proto: 58,
    firstSec: T0 + 20, firstNs: 999999999, lastSec: T0 + 21, lastNs: 1, connState: 0, endReason: 0,
    ttl: [255, -1], splt: { sizes: [32], gaps: [0] },
    tunnel: { kind: 5, src: '2001:db8::1', dst: '2001:db8::2' },
  },
];

function handBatch(): FlowBatch {
  const b = createBatch(8, 4);
  HAND_ROWS.forEach((r, i) => setRow(b, i, r));
  return b;
}

/** n rows of synthetic UDP flows; every third row has NULL-able fields set "none". */
function bulkBatch(n: number, seed: number): FlowBatch {
  const b = createBatch(n, 0);
  const c = b.cols;
  for (let r = 0; r < n; r++) {
    c.origAddr.set([0, 0, 0xffff, 0x0a000000 + ((seed + r) & 0xffff)], r * 4);
    c.respAddr.set([0, 0, 0xffff, 0xc0a80001], r * 4);
    c.ipVersion[r] = 4; c.proto[r] = 17;
    c.origPort[r] = 1024 + (r % 60000); c.respPort[r] = 53;
    c.firstSec[r] = T0 + r; c.lastSec[r] = T0 + r; c.firstNs[r] = r; c.lastNs[r] = r + 1000;
    c.origPkts[r] = 1; c.origWireBytes[r] = 80;
    const none = r % 3 === 0;
    c.origTtl[r] = none ? -1 : 64; c.respTtl[r] = -1;
    c.vlanOuter[r] = none ? -1 : r % 4096; c.vlanInner[r] = -1; c.mplsLabel[r] = -1;
    c.synToSynAckUs[r] = NaN; c.synAckToAckUs[r] = NaN;
    c.origMac[r] = none ? NaN : r; c.respMac[r] = NaN;
  }
  b.n = n;
  return b;
}

function record(over: Partial<CaptureRecord> = {}): CaptureRecord {
  return {
    path: 'samples/x.pcap', size: 4096, sha256: 'ab'.repeat(32), format: 'pcapng', linktypes: [1, 113],
    packets: 12, bytes: 3456, firstSec: T0, firstNs: 123456789, lastSec: T0 + 21, lastNs: 1, snaplen: 262144,
    status: 'complete', error: null, errorOffset: null,
    isb: { ifRecv: 100, ifDrop: 0, filterAccept: null, osDrop: 3, usrDeliv: null },
    flows: 3, toolVersion: '0.1.0',
    files: [{
      path: 'samples/x.pcap', size: 4096, sha256: 'ab'.repeat(32), format: 'pcapng', linktypes: [1, 113], snaplen: 262144,
      streamOffset: 0, packets: 12, bytes: 3456, firstSec: T0, firstNs: 123456789, lastSec: T0 + 21, lastNs: 1,
      status: 'complete', error: null, errorOffset: null,
    }],
    ...over,
  };
}

async function scalar(sink: DuckSink, sql: string): Promise<unknown> {
  return (await sink.query(sql)).rows[0]![0];
}

async function objects(sink: DuckSink, sql: string): Promise<Record<string, unknown>[]> {
  const { columns, rows } = await sink.query(sql);
  return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

// ---------------------------------------------------------------------------

describe('DuckSink', () => {
  it('writes a capture and reads back exact values', async () => {
    const path = join(dir, 'values.duckdb');
    const sink = await DuckSink.open(path);
    try {
      expect(await sink.findCaptureByHash('ab'.repeat(32))).toBeNull();
      const id = await sink.beginCapture();
      expect(id).toBe(1);
      await sink.appendFlows(id, handBatch());
      await sink.finishCapture(id, record(), [{ kind: 'bad_ip_checksum', count: 3, firstOffset: 9000000000 }],
        [{ ethertype: 0x0800, name: 'ipv4', packets: 10, bytes: 3000 }, { ethertype: 0x86dd, name: 'ipv6', packets: 2, bytes: 456 }],
        { replaceId: null });
      expect(await sink.findCaptureByHash('ab'.repeat(32))).toBe(1);

      const f = await objects(sink, 'SELECT * FROM flows ORDER BY flow_id');
      expect(f).toHaveLength(3);
      expect(f[0]).toEqual({
        flow_id: 2 ** 32, capture_id: 1, proto: 6, ip_version: 4,
        orig_addr: '128.232.110.120', orig_port: 34855, resp_addr: '66.35.250.204', resp_port: 80,
        orig_addr_bin: '00000000000000000000ffff80e86e78', resp_addr_bin: '00000000000000000000ffff4223facc',
        first_ts: '2023-11-14T22:13:20.123456789Z', last_ts: '2023-11-14T22:13:22.000000500Z',
        duration_us: (2e9 + 500 - 123456789) / 1e3,
        orig_pkts: 5, resp_pkts: 4, orig_wire_bytes: 600, resp_wire_bytes: 2000,
        orig_ip_bytes: 586, resp_ip_bytes: 1986, orig_payload_bytes: 546, resp_payload_bytes: 1946,
        conn_state: 'SF', history: 'ShADadFf', end_reason: 'fin', orig_ttl: 64, resp_ttl: 57,
        syn_synack_us: 1234.5, synack_ack_us: 56.25, orig_mac: '01:23:45:67:89:ab', resp_mac: 'fe:dc:ba:98:76:54',
        vlan_outer: 100, vlan_inner: 200, mpls_label: 16001, orig_tcp_flags: 0x1b, resp_tcp_flags: 0x1a,
        community_id: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', fragments: 2, truncated_pkts: 1, tunnel: null,
        splt_sizes: [74, -74, 66], splt_gaps_us: [0, 1234.5, 56.25],
      });
      expect(f[1]).toMatchObject({
        flow_id: 2 ** 32 + 1, proto: 17, orig_addr: '192.168.1.52', resp_addr: '8.8.8.8', duration_us: 0,
        conn_state: 'OTH', history: null, end_reason: 'end_of_capture', orig_ttl: null, resp_ttl: null,
        syn_synack_us: null, synack_ack_us: null, orig_mac: null, resp_mac: null, vlan_outer: null, vlan_inner: null,
        mpls_label: null, orig_tcp_flags: null, resp_tcp_flags: null, community_id: '1:d/FP5EW3wiY1vCndhwleRRKHowQ=',
        tunnel: 'gre 10.0.0.1>10.0.0.2', splt_sizes: [], splt_gaps_us: [],
      });
      expect(f[2]).toMatchObject({
        proto: 58, ip_version: 6, orig_addr: 'fe80::200:86ff:fe05:80da', resp_addr: 'fe80::260:97ff:fe07:69ea',
        orig_port: 135, resp_port: 0, orig_addr_bin: 'fe80000000000000020086fffe0580da',
        first_ts: '2023-11-14T22:13:40.999999999Z', last_ts: '2023-11-14T22:13:41.000000001Z', duration_us: 0.002,
        orig_ttl: 255, resp_ttl: null, community_id: '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=',
        tunnel: 'teredo 2001:db8::1>2001:db8::2', splt_sizes: [32], splt_gaps_us: [0],
      });

      // Exact nanoseconds and binary order survive as SQL values, not only as text.
      expect(await scalar(sink, 'SELECT epoch_ns(first_ts)::VARCHAR FROM flows WHERE flow_id = 4294967296'))
        .toBe('1700000000123456789');
      expect(await scalar(sink, "SELECT list(orig_addr ORDER BY orig_addr_bin) FROM flows"))
        .toEqual(['128.232.110.120', '192.168.1.52', 'fe80::200:86ff:fe05:80da']);
      expect(await scalar(sink, 'SELECT octet_length(orig_addr_bin) FROM flows LIMIT 1')).toBe(16);

      const cap = (await objects(sink, 'SELECT * EXCLUDE (ingested_at) FROM captures'))[0];
      expect(cap).toEqual({
        capture_id: 1, path: 'samples/x.pcap', size: 4096, sha256: 'ab'.repeat(32), format: 'pcapng', linktypes: [1, 113],
        packets: 12, bytes: 3456, first_ts: '2023-11-14T22:13:20.123456789Z', last_ts: '2023-11-14T22:13:41.000000001Z',
        snaplen: 262144, status: 'complete', error: null, error_offset: null, isb_if_recv: 100, isb_if_drop: 0,
        isb_filter_accept: null, isb_os_drop: 3, isb_usr_deliv: null, flows: 3, tool_version: '0.1.0',
      });
      expect(await objects(sink, 'SELECT * FROM capture_files')).toEqual([{
        capture_id: 1, file_index: 0, path: 'samples/x.pcap', size: 4096, sha256: 'ab'.repeat(32), format: 'pcapng',
        linktypes: [1, 113], snaplen: 262144, stream_offset: 0, packets: 12, bytes: 3456,
        first_ts: '2023-11-14T22:13:20.123456789Z', last_ts: '2023-11-14T22:13:41.000000001Z',
        status: 'complete', error: null, error_offset: null,
      }]);
      const ingested = Date.parse(String(await scalar(sink, 'SELECT ingested_at FROM captures')));
      expect(Math.abs(ingested - Date.now())).toBeLessThan(60000);
      expect(await objects(sink, 'SELECT * FROM anomalies')).toEqual([
        { capture_id: 1, kind: 'bad_ip_checksum', count: 3, first_offset: 9000000000 },
      ]);
      expect(await objects(sink, 'SELECT * FROM l2 ORDER BY ethertype')).toEqual([
        { capture_id: 1, ethertype: 0x0800, name: 'ipv4', packets: 10, bytes: 3000 },
        { capture_id: 1, ethertype: 0x86dd, name: 'ipv6', packets: 2, bytes: 456 },
      ]);

      const types = await sink.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'flows' ORDER BY ordinal_position");
      expect(types.rows.slice(0, 4)).toEqual([['flow_id', 'BIGINT'], ['capture_id', 'INTEGER'], ['proto', 'UTINYINT'], ['ip_version', 'UTINYINT']]);
      expect(types.rows.at(-1)).toEqual(['splt_gaps_us', 'DOUBLE[]']);
    } finally {
      sink.close();
    }
  });

  it('keeps flow_id running across batches and chunk boundaries, NULLs per row', async () => {
    const sink = await DuckSink.open(join(dir, 'bulk.duckdb'));
    try {
      const id = await sink.beginCapture();
      await sink.appendFlows(id, bulkBatch(5000, 0));
      await sink.appendFlows(id, bulkBatch(3001, 5000));
      await sink.finishCapture(id, record({ flows: 8001 }), [], [], {});
      const r = await objects(sink, `SELECT count(*) AS n, count(DISTINCT flow_id) AS d, min(flow_id) AS lo, max(flow_id) AS hi,
        count(orig_ttl) AS ttl, count(vlan_outer) AS vlan, count(orig_mac) AS mac, count(*) FILTER (orig_ttl IS NULL AND r % 3 <> 0) AS wrong
        FROM (SELECT *, (flow_id - 4294967296) % 5000 AS r FROM flows WHERE flow_id < 4294967296 + 5000)`);
      expect(r[0]).toMatchObject({ n: 5000, d: 5000, lo: 2 ** 32, hi: 2 ** 32 + 4999, wrong: 0 });
      expect(r[0]!.ttl).toBe(5000 - 1667);
      expect(await scalar(sink, 'SELECT count(*) FROM flows')).toBe(8001);
      expect(await scalar(sink, 'SELECT max(flow_id) - min(flow_id) FROM flows')).toBe(8000);
      // Row 5000 is the second batch's row 0: NULLs there, and values in its neighbours.
      expect(await objects(sink, `SELECT orig_ttl, orig_mac, first_ts FROM flows WHERE flow_id IN (${2 ** 32 + 5000}, ${2 ** 32 + 5001}) ORDER BY flow_id`))
        .toEqual([
          { orig_ttl: null, orig_mac: null, first_ts: '2023-11-14T22:13:20.000000000Z' },
          { orig_ttl: 64, orig_mac: '00:00:00:00:00:01', first_ts: '2023-11-14T22:13:21.000000001Z' },
        ]);
    } finally {
      sink.close();
    }
  });

  it('caps DuckDB\'s memory at the limit it is opened with (--db-memory)', async () => {
    const path = join(dir, 'memlimit.duckdb');
    const capped = await DuckSink.open(path, { memoryLimit: '200MB' });
    try {
      expect(await scalar(capped, `SELECT current_setting('memory_limit')`)).toBe('190.7 MiB'); // 200 * 10^6 bytes
    } finally {
      capped.close();
    }
    const plain = await DuckSink.open(path);
    try {
      expect(await scalar(plain, `SELECT current_setting('memory_limit')`)).not.toBe('190.7 MiB');
    } finally {
      plain.close();
    }
  });

  it('appends a run of a batch (rows from..from+count) with flow_id running on from the rows before', async () => {
    const sink = await DuckSink.open(join(dir, 'runs.duckdb'));
    try {
      const id = await sink.beginCapture();
      const b = bulkBatch(5000, 0);
      await sink.appendFlows(id, b, 0, 10);
      await sink.appendFlows(id, b, 2500, 2100); // crosses the 2048-row chunk size
      await sink.appendFlows(id, b, 4999, 1);
      await sink.finishCapture(id, record({ flows: 2111 }), [], [], {});
      expect(await scalar(sink, 'SELECT count(*) FROM flows')).toBe(2111);
      // bulkBatch row r has first_ts = T0 + r s and orig port 1024 + r: flow_id index k holds row 0..9, 2500..4599, 4999.
      const rows = await objects(sink, `SELECT flow_id - ${2 ** 32} AS k, orig_port FROM flows WHERE flow_id - ${2 ** 32} IN (0, 9, 10, 2109, 2110) ORDER BY k`);
      expect(rows).toEqual([
        { k: 0, orig_port: 1024 }, { k: 9, orig_port: 1033 }, { k: 10, orig_port: 1024 + 2500 },
        { k: 2109, orig_port: 1024 + 4599 }, { k: 2110, orig_port: 1024 + 4999 },
      ]);
    } finally {
      sink.close();
    }
  });

  it('rolls back appended flows (past the appender flush threshold) and replaces captures', async () => {
    const path = join(dir, 'rollback.duckdb');
    let sink = await DuckSink.open(path);
    try {
      const first = await sink.beginCapture();
      await sink.appendFlows(first, handBatch());
      await sink.finishCapture(first, record(), [{ kind: 'x', count: 1, firstOffset: 0 }], [{ ethertype: 0x0800, name: 'ipv4', packets: 1, bytes: 1 }], {});

      const id = await sink.beginCapture();
      expect(id).toBe(2);
      for (let i = 0; i < 5; i++) await sink.appendFlows(id, bulkBatch(60000, i * 60000));
      // The appender has flushed most rows into the open transaction already (it
      // buffers ~204800 rows); queries there see those, not the still-buffered rest.
      expect(await scalar(sink, 'SELECT count(*) FROM flows')).toBeGreaterThan(200000);
      await sink.abortCapture();
      expect(await scalar(sink, 'SELECT count(*) FROM flows')).toBe(3);
      expect(await scalar(sink, 'SELECT count(*) FROM captures')).toBe(1);
      sink.close();

      sink = await DuckSink.open(path);
      expect(await scalar(sink, 'SELECT count(*) FROM flows')).toBe(3);

      // A failed finish (duplicate capture_id in `captures`) leaves nothing behind either.
      const again = await sink.beginCapture();
      expect(again).toBe(2);
      await sink.appendFlows(again, handBatch());
      await sink.query('INSERT INTO captures (capture_id) VALUES (2)');
      await expect(sink.finishCapture(again, record(), [], [], {})).rejects.toThrow();
      expect(await scalar(sink, 'SELECT count(*) FROM flows')).toBe(3);
      expect(await scalar(sink, 'SELECT count(*) FROM captures')).toBe(1);

      // Replacement: capture 1's rows go from every table when capture 2 commits.
      const next = await sink.beginCapture();
      await sink.appendFlows(next, bulkBatch(10, 0));
      await sink.finishCapture(next, record({ flows: 10 }), [], [], { replaceId: first });
      expect(await sink.query('SELECT capture_id, count(*) FROM flows GROUP BY ALL')).toMatchObject({ rows: [[2, 10]] });
      expect(await scalar(sink, 'SELECT list(capture_id) FROM captures')).toEqual([2]);
      expect(await scalar(sink, 'SELECT count(*) FROM anomalies')).toBe(0);
      expect(await scalar(sink, 'SELECT count(*) FROM l2')).toBe(0);
    } finally {
      sink.close();
    }
  }, 60000);

  it('deletes orphan rows on open', async () => {
    const path = join(dir, 'orphans.duckdb');
    let sink = await DuckSink.open(path);
    try {
      const id = await sink.beginCapture();
      await sink.appendFlows(id, handBatch());
      await sink.finishCapture(id, record(), [{ kind: 'x', count: 1, firstOffset: 0 }], [], {});
      await sink.query('INSERT INTO flows (flow_id, capture_id) VALUES (42949672960, 10), (42949672961, 10)');
      await sink.query("INSERT INTO anomalies VALUES (11, 'y', 1, 0)");
      await sink.query("INSERT INTO l2 VALUES (12, 2048, 'ipv4', 1, 1)");
      sink.close();
      sink = await DuckSink.open(path);
      expect(await sink.query('SELECT (SELECT count(*) FROM flows), (SELECT count(*) FROM anomalies), (SELECT count(*) FROM l2)'))
        .toMatchObject({ rows: [[3, 1, 0]] });
    } finally {
      sink.close();
    }
  });

  it('exports parquet and csv that read back with the same values and types', async () => {
    const sink = await DuckSink.open(join(dir, 'export.duckdb'));
    try {
      const id = await sink.beginCapture();
      await sink.appendFlows(id, handBatch());
      await sink.finishCapture(id, record(), [{ kind: 'x', count: 1, firstOffset: 5 }], [{ ethertype: 0x0806, name: 'arp', packets: 1, bytes: 60 }], {});
      const out = join(dir, "exp'ort");
      const pq = await sink.exportAll(out, 'parquet');
      expect(pq).toEqual(TABLES.map((t) => join(out, `${t}.parquet`)));
      expect(TABLES.slice(0, 5)).toEqual(['captures', 'capture_files', 'flows', 'anomalies', 'l2']);
      for (const [i, t] of TABLES.entries()) {
        const src = `read_parquet('${pq[i]!.replaceAll("'", "''")}')`;
        const dt = `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${'%'})`;
        expect((await sink.query(dt.replace('%', src))).rows).toEqual((await sink.query(dt.replace('%', t))).rows);
        expect(await scalar(sink, `SELECT count(*) FROM (SELECT * FROM ${t} EXCEPT ALL SELECT * FROM ${src})`)).toBe(0);
        expect(await scalar(sink, `SELECT count(*) FROM (SELECT * FROM ${src} EXCEPT ALL SELECT * FROM ${t})`)).toBe(0);
        expect(await scalar(sink, `SELECT count(*) FROM ${src}`)).toBe(await scalar(sink, `SELECT count(*) FROM ${t}`));
      }
      const flowsPq = `read_parquet('${pq[TABLES.indexOf('flows')]!.replaceAll("'", "''")}')`;
      expect(await scalar(sink, `SELECT epoch_ns(first_ts)::VARCHAR FROM ${flowsPq} ORDER BY flow_id LIMIT 1`)).toBe('1700000000123456789');

      const csv = await sink.exportAll(out, 'csv');
      const flowsCsv = csv[TABLES.indexOf('flows')]!;
      expect(flowsCsv).toBe(join(out, 'flows.csv'));
      const lines = readFileSync(flowsCsv, 'utf8').trim().split('\n');
      expect(lines[0]!.split(',').slice(0, 5)).toEqual(['flow_id', 'capture_id', 'proto', 'ip_version', 'orig_addr']);
      expect(lines).toHaveLength(4);
      expect(lines[1]).toContain('2023-11-14 22:13:20.123456789');
    } finally {
      sink.close();
    }
  });

  it('query() runs DDL and returns JSON-friendly values', async () => {
    const sink = await DuckSink.open(join(dir, 'query.duckdb'));
    try {
      await sink.query('CREATE TABLE t (a INTEGER)');
      await sink.query('INSERT INTO t VALUES (1), (2)');
      const r = await sink.query(`SELECT 9007199254740993::BIGINT AS big, 42::BIGINT AS small, 1::HUGEINT AS huge,
        '\\x01\\xAB'::BLOB AS b, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, TIMESTAMP_NS '1969-12-31 23:59:59.999999999' AS tsn,
        'infinity'::TIMESTAMP AS inf, 1.5::DECIMAL(4,2) AS d, DATE '2024-02-29' AS day, {'x': [1, NULL]} AS s,
        'NaN'::DOUBLE AS nan, (SELECT sum(a) FROM t) AS total`);
      expect(r.columns).toEqual(['big', 'small', 'huge', 'b', 'ts', 'tsn', 'inf', 'd', 'day', 's', 'nan', 'total']);
      expect(r.rows).toEqual([[
        '9007199254740993', 42, 1, '01ab', '2024-01-02T03:04:05.123456000Z', '1969-12-31T23:59:59.999999999Z',
        'infinity', '1.50', '2024-02-29', { x: [1, null] }, 'NaN', 3,
      ]]);
      expect((await sink.query('DROP TABLE t')).rows.length).toBeLessThanOrEqual(1);
    } finally {
      sink.close();
    }
  });

  it('holds no half-written capture after kill -9 mid-ingest', async () => {
    const path = join(dir, 'killed.duckdb');
    // A child process that loads the TypeScript sources through a transpiling loader hook.
    const hook = join(dir, 'ts-hook.mjs');
    writeFileSync(hook, `
      import { createRequire } from 'node:module';
      import { readFile, access } from 'node:fs/promises';
      import { fileURLToPath } from 'node:url';
      const ts = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('typescript');
      export async function resolve(spec, ctx, next) {
        if (spec.endsWith('.js') && ctx.parentURL?.endsWith('.ts')) {
          const url = new URL(spec.slice(0, -3) + '.ts', ctx.parentURL);
          try { await access(fileURLToPath(url)); return { url: url.href, shortCircuit: true }; } catch {}
        }
        return next(spec, ctx);
      }
      export async function load(url, ctx, next) {
        if (!url.endsWith('.ts')) return next(url, ctx);
        const src = await readFile(fileURLToPath(url), 'utf8');
        const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
        return { format: 'module', source: out.outputText, shortCircuit: true };
      }`);
    const register = join(dir, 'ts-register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hook).href)});`);
    const child = join(dir, 'child.mjs');
    const src = (f: string): string => JSON.stringify(pathToFileURL(join(ROOT, f)).href);
    writeFileSync(child, `
      const { DuckSink } = await import(${src('src/sink/duckdb.ts')});
      const { createBatch } = await import(${src('src/flow/batch.ts')});
      const batch = createBatch(50000, 4);
      const c = batch.cols;
      for (let r = 0; r < 50000; r++) {
        c.origAddr.set([0, 0, 0xffff, 0x0a000001 + r], r * 4); c.respAddr.set([0, 0, 0xffff, 0x0a000000], r * 4);
        c.ipVersion[r] = 4; c.proto[r] = 6; c.origPort[r] = r & 0xffff; c.respPort[r] = 443;
        c.firstSec[r] = 1700000000; c.lastSec[r] = 1700000001; c.origTtl[r] = -1; c.respTtl[r] = -1;
        c.vlanOuter[r] = -1; c.vlanInner[r] = -1; c.mplsLabel[r] = -1; c.origMac[r] = NaN; c.respMac[r] = NaN;
        c.synToSynAckUs[r] = NaN; c.synAckToAckUs[r] = NaN; c.spltLen[r] = 2; c.spltSize.set([60, -60], r * 4);
      }
      batch.n = 50000;
      const sink = await DuckSink.open(process.argv[2]);
      const rec = { path: 'a.pcap', size: 1, sha256: 'x', format: 'pcap', linktypes: [1], packets: 1, bytes: 1,
        firstSec: null, firstNs: 0, lastSec: null, lastNs: 0, snaplen: null, status: 'complete', error: null, errorOffset: null,
        isb: { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null }, flows: 50000, toolVersion: 't', files: [] };
      const a = await sink.beginCapture();
      await sink.appendFlows(a, batch);
      await sink.finishCapture(a, rec, [], [], {});
      const b = await sink.beginCapture();
      for (let i = 0; i < 8; i++) await sink.appendFlows(b, batch);
      process.stdout.write('READY\\n');
      setInterval(() => {}, 1000);`);
    const proc = spawn(process.execPath, ['--import', pathToFileURL(register).href, child, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    await new Promise<void>((ok, fail) => {
      proc.stdout.on('data', (d: Buffer) => { if (d.toString().includes('READY')) ok(); });
      proc.on('exit', (code) => fail(new Error(`child exited ${code}: ${stderr}`)));
    });
    const exited = new Promise((ok) => proc.on('exit', ok));
    proc.kill('SIGKILL');
    await exited;

    // Before DuckSink.open's orphan cleanup: the transaction alone kept capture 2 out.
    const raw = await DuckDBInstance.create(path);
    const conn = await raw.connect();
    const counts = (await conn.runAndReadAll('SELECT capture_id, count(*)::INTEGER FROM flows GROUP BY ALL')).getRows();
    conn.closeSync();
    raw.closeSync();
    expect(counts).toEqual([[1, 50000]]);

    const sink = await DuckSink.open(path);
    try {
      expect(await sink.query('SELECT capture_id, flows FROM captures')).toMatchObject({ rows: [[1, 50000]] });
      expect(await sink.query('SELECT capture_id, count(*) FROM flows GROUP BY ALL')).toMatchObject({ rows: [[1, 50000]] });
      const id = await sink.beginCapture();
      expect(id).toBe(2);
      await sink.abortCapture();
    } finally {
      sink.close();
    }
  }, 120000);
});
