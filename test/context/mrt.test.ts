import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MrtError, readMrt, type MrtEntry, type MrtReadOptions, type MrtSummary } from '../../src/context/mrt.js';
import { bgpdumpIpv6, mrtEntryLines, type MrtTextStyle } from '../../src/context/mrt-text.js';

const IXP = join(import.meta.dirname, '../../../shared/ixp');
const haveIxp = existsSync(join(IXP, 'MANIFEST.tsv'));
const fixture = (f: string): string => join(IXP, f);

let tmp = '';
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'onpath-mrt-')); });
afterAll(() => { if (tmp !== '') rmSync(tmp, { recursive: true, force: true }); });

interface Run { entries: MrtEntry[]; lines: string[]; summary: MrtSummary }

async function run(path: string, style: MrtTextStyle = 'bgpdump', opts: MrtReadOptions = {}): Promise<Run> {
  const entries: MrtEntry[] = [];
  const summary = await readMrt(path, (e) => { entries.push(e); }, opts);
  return { entries, lines: entries.flatMap((e) => mrtEntryLines(e, style)), summary };
}

function refLines(file: string): string[] {
  let b = readFileSync(fixture(file));
  if (file.endsWith('.gz')) b = gunzipSync(b);
  return b.toString('utf8').split('\n').filter((l) => l !== '');
}

const ROUTE_FIELDS = ['type', 'time', 'kind', 'peer_ip', 'peer_as', 'prefix', 'as_path', 'origin', 'next_hop', 'local_pref', 'med', 'communities', 'atomic_aggregate', 'aggregator', ''];
const STATE_FIELDS = ['type', 'time', 'kind', 'peer_ip', 'peer_as', 'old_state', 'new_state'];

function fieldNames(line: string): string[] {
  const f = line.split('|');
  const names = f[2] === 'STATE' ? STATE_FIELDS : [...ROUTE_FIELDS];
  if (f[0]!.endsWith('_AP')) names.splice(6, 0, 'path_id');
  return names;
}

/** Line by line, field by field: "line N field NAME: mine X, ref Y" for each difference (lines in file order). */
function fieldDiffs(mine: string[], ref: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(mine.length, ref.length) && out.length < 20; i++) {
    const a = mine[i], b = ref[i];
    if (a === b) continue;
    if (a === undefined || b === undefined) { out.push(`line ${i + 1}: mine ${a ?? '(none)'}, ref ${b ?? '(none)'}`); continue; }
    const fa = a.split('|'), fb = b.split('|');
    const names = fieldNames(b);
    for (let k = 0; k < Math.max(fa.length, fb.length); k++) {
      if (fa[k] !== fb[k]) out.push(`line ${i + 1} field ${names[k] ?? k}: mine ${fa[k]}, ref ${fb[k]}`);
    }
  }
  return out;
}

const sorted = (l: readonly string[]): string[] => [...l].sort();

/** The reference comparisons: file, reference, dialect, reference lines we do not make (with the reason in the test name). */
const CASES: { file: string; ref: string; style: MrtTextStyle; lines: number }[] = [
  { file: 'bgpdump-updates-20100722-2015.gz', ref: 'bgpdump-updates-20100722-2015.gz.ref.txt.gz', style: 'bgpdump', lines: 5654 },
  { file: 'bgpdump-updates-20100722-2015.gz', ref: 'bgpdump-updates-20100722-2015.gz.mrtparse.txt.gz', style: 'mrtparse', lines: 5682 },
  { file: 'bgpdump-updates-nlri-mask-trailing-bits.gz', ref: 'bgpdump-updates-nlri-mask-trailing-bits.gz.ref.txt.gz', style: 'bgpdump', lines: 1 },
  { file: 'bgpdump-bview-ipv4-addpath.gz', ref: 'bgpdump-bview-ipv4-addpath.gz.ref.txt.gz', style: 'bgpdump', lines: 62 },
  { file: 'bgpdump-bview-ipv6-addpath.gz', ref: 'bgpdump-bview-ipv6-addpath.gz.ref.txt.gz', style: 'bgpdump', lines: 62 },
  { file: 'bgpdump-bview-64k-stream-overflow.gz', ref: 'bgpdump-bview-64k-stream-overflow.gz.ref.txt.gz', style: 'bgpdump', lines: 23 },
  { file: 'mrtparse-quagga-rib.mrt', ref: 'mrtparse-quagga-rib.mrt.ref.txt', style: 'mrtparse', lines: 12 },
  { file: 'mrtparse-openbgpd-rib-v2.mrt', ref: 'mrtparse-openbgpd-rib-v2.mrt.ref.txt', style: 'mrtparse', lines: 31 },
];

describe.skipIf(!haveIxp)('MRT files against bgpdump / mrtparse references', () => {
  for (const c of CASES) {
    test(`${c.file} (${c.style} -m lines): the same lines, in the same order`, async () => {
      const ref = refLines(c.ref);
      expect(ref).toHaveLength(c.lines);
      const { lines, summary } = await run(fixture(c.file), c.style);
      expect(summary.error).toBeNull();
      expect(fieldDiffs(lines, ref)).toEqual([]);
      expect(sorted(lines)).toEqual(sorted(ref));
      expect(lines).toEqual(ref);
    });
  }

  test('mrtparse-quagga-bgp.mrt: every line but the 16 VPNv4 (SAFI 128) announcements, which are not read', async () => {
    const ref = refLines('mrtparse-quagga-bgp.mrt.ref.txt');
    expect(ref).toHaveLength(60);
    // mrtparse prints VPNv4 NLRI as address/(label + RD + prefix bits), e.g. 10.1.0.0/112.
    const vpn = (l: string): boolean => { const p = l.split('|')[5] ?? ''; return !p.includes(':') && Number(p.split('/')[1]) > 32; };
    const wanted = ref.filter((l) => !vpn(l));
    expect(ref.length - wanted.length).toBe(16);
    const { lines, summary } = await run(fixture('mrtparse-quagga-bgp.mrt'), 'mrtparse');
    expect(fieldDiffs(lines, wanted)).toEqual([]);
    expect(lines).toEqual(wanted);
    expect(summary.skipped).toEqual({ 'MP_REACH_NLRI afi 1 safi 128': 4, 'MP_UNREACH_NLRI afi 1 safi 128': 2 });
    expect(summary.recordTypes).toEqual({ 'BGP4MP/STATE_CHANGE_AS4': 20, 'BGP4MP/MESSAGE': 4, 'BGP4MP/MESSAGE_AS4': 43 });
    expect(summary.anomalies).toEqual({});
  });

  test('updates file: record counts of the manifest; 2-byte messages with AS4_PATH are merged; no anomalies', async () => {
    const { entries, summary } = await run(fixture('bgpdump-updates-20100722-2015.gz'));
    expect(summary.records).toBe(2193);
    expect(summary.recordTypes).toEqual({ 'BGP4MP/MESSAGE_AS4': 1364, 'BGP4MP/MESSAGE': 789, 'BGP4MP/STATE_CHANGE_AS4': 40 });
    expect(summary.entries).toEqual({ rib: 0, announce: 5067, withdraw: 547, state: 40, message: 331, peers: 0 }); // 331 KEEPALIVEs
    expect(summary.anomalies).toEqual({});
    expect(summary.compression).toBe('gzip');
    // Announcements from 2-byte sessions whose path came through AS4_PATH: their lines matched bgpdump above.
    const merged = entries.filter((e) => e.kind === 'announce' && e.subtype === 1 && e.attrs.attrTypes.includes(17));
    expect(merged).toHaveLength(10);
    expect(merged.filter((e) => e.kind === 'announce' && e.asPath.includes(23456))).toEqual([]);
    expect(merged[0]).toMatchObject({ prefix: '187.120.32.0/20', asPathText: '5385 3356 2914 4230 262685', originAs: 262685 });
  });

  test('openbgpd RIB: RIB_GENERIC (VPNv4) records are skipped and counted; empty AS paths of local routes', async () => {
    const { entries, summary } = await run(fixture('mrtparse-openbgpd-rib-v2.mrt'));
    expect(summary.skipped).toEqual({ 'TABLE_DUMP_V2/RIB_GENERIC': 2 });
    const local = entries.find((e) => e.kind === 'rib' && e.prefix === '192.168.0.10/32');
    expect(local).toMatchObject({ asPath: [], asPathText: '', originAs: null, origin: 'INCOMPLETE', nextHop: '192.168.1.10' });
    const peers = entries.find((e) => e.kind === 'peers');
    expect(peers?.kind === 'peers' && peers.peers.map((p) => p.ip)).toEqual(['192.168.1.10', '2001:db8:0:1::10', '0.0.0.0']);
  });

  test('NLRI with bits past the prefix length: masked like bgpdump (11.8.0.0/13) and counted', async () => {
    const { entries, summary } = await run(fixture('bgpdump-updates-nlri-mask-trailing-bits.gz'));
    expect(entries.map((e) => e.kind === 'announce' && e.prefix)).toEqual(['11.8.0.0/13']);
    // The NLRI field ends with a lone length byte (/11 without its address bytes): bgpdump ignores it silently.
    expect(summary.anomalies).toEqual({ bgp_nlri_trailing_bits: 1, bgp_nlri_truncated: 1 });
  });

  test('ADD-PATH RIBs carry the path identifier (RFC 8050: 8 IPv4 unicast, 10 IPv6 unicast)', async () => {
    const v4 = await run(fixture('bgpdump-bview-ipv4-addpath.gz'));
    expect(v4.summary.recordTypes).toEqual({ 'TABLE_DUMP_V2/PEER_INDEX_TABLE': 1, 'TABLE_DUMP_V2/RIB_IPV4_UNICAST_ADDPATH': 31 });
    const e = v4.entries.find((x) => x.kind === 'rib')!;
    expect(e).toMatchObject({ kind: 'rib', prefix: '10.0.10.0/24', pathId: 36, peerAs: 65015, originAs: 65011, localPref: 100 });
    const v6 = await run(fixture('bgpdump-bview-ipv6-addpath.gz'));
    expect(v6.summary.recordTypes).toEqual({ 'TABLE_DUMP_V2/PEER_INDEX_TABLE': 1, 'TABLE_DUMP_V2/RIB_IPV6_UNICAST_ADDPATH': 31 });
  });
});

// ---- chunking, compression, bad input ----

/** Record start offsets of a plain MRT image. */
function recordOffsets(raw: Uint8Array): number[] {
  const offs: number[] = [];
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let p = 0; p + 12 <= raw.length; p += 12 + dv.getUint32(p + 8)) offs.push(p);
  return offs;
}

describe.skipIf(!haveIxp)('reading', () => {
  test('records spanning reads: the same entries for every read size (the 69,700-byte record included)', async () => {
    const plain = join(tmp, '64k.mrt');
    writeFileSync(plain, gunzipSync(readFileSync(fixture('bgpdump-bview-64k-stream-overflow.gz'))));
    const want = refLines('bgpdump-bview-64k-stream-overflow.gz.ref.txt.gz');
    for (const chunkSize of [7, 12, 13, 4096, 65536]) {
      const { lines, summary } = await run(plain, 'bgpdump', { chunkSize });
      expect(summary.error).toBeNull();
      expect(summary.compression).toBe('none');
      expect(lines).toEqual(want);
    }
    const upd = join(tmp, 'updates.mrt');
    writeFileSync(upd, gunzipSync(readFileSync(fixture('bgpdump-updates-20100722-2015.gz'))));
    const full = (await run(fixture('bgpdump-updates-20100722-2015.gz'))).lines;
    for (const chunkSize of [333, 4099]) expect((await run(upd, 'bgpdump', { chunkSize })).lines).toEqual(full);
  });

  test('a record cut short: error naming the file and the record offset; every earlier entry delivered', async () => {
    const raw = gunzipSync(readFileSync(fixture('bgpdump-updates-20100722-2015.gz')));
    const offs = recordOffsets(raw);
    expect(offs).toHaveLength(2193);
    const full = await run(fixture('bgpdump-updates-20100722-2015.gz'));
    const k = 1500;
    const at = offs[k]!;
    const recLen = 12 + raw.readUInt32BE(at + 8);
    const before = full.entries.filter((e) => e.offset < at).flatMap((e) => mrtEntryLines(e));
    expect(before.length).toBeGreaterThan(3000);

    const cut = join(tmp, 'cut.mrt');
    writeFileSync(cut, raw.subarray(0, at + 20));
    for (const chunkSize of [1 << 20, 100]) {
      const r = await run(cut, 'bgpdump', { chunkSize });
      expect(r.summary.error).toBe(`${cut}: at byte ${at}: MRT record cut short: 20 of ${recLen} bytes (BGP4MP/MESSAGE_AS4)`);
      expect(r.summary.errorOffset).toBe(at);
      expect(r.summary.records).toBe(k);
      expect(r.lines).toEqual(before);
    }

    const cutHead = join(tmp, 'cut-head.mrt');
    writeFileSync(cutHead, raw.subarray(0, at + 5));
    const h = await run(cutHead);
    expect(h.summary.error).toBe(`${cutHead}: at byte ${at}: MRT record cut short: header has 5 of 12 bytes`);
    expect(h.lines).toEqual(before);

    // The same cut inside a gzip stream, and strict mode.
    const cutGz = join(tmp, 'cut.mrt.gz');
    writeFileSync(cutGz, gzipSync(raw.subarray(0, at + 20)));
    const g = await run(cutGz);
    expect(g.summary.errorOffset).toBe(at);
    expect(g.lines).toEqual(before);
    const seen: MrtEntry[] = [];
    const err = await readMrt(cut, (e) => { seen.push(e); }, { strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MrtError);
    expect((err as MrtError).offset).toBe(at);
    expect((err as MrtError).message).toMatch(new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: at byte ${at}: MRT record cut short`));
    expect(seen.flatMap((e) => mrtEntryLines(e))).toEqual(before);
  });

  test('a gzip file cut short: the decompressor\'s error with a byte offset; the entries before it', async () => {
    const gz = readFileSync(fixture('bgpdump-updates-20100722-2015.gz'));
    const cut = join(tmp, 'cut-compressed.gz');
    writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    const full = (await run(fixture('bgpdump-updates-20100722-2015.gz'))).lines;
    const r = await run(cut);
    expect(r.summary.error).toMatch(new RegExp(`: at byte \\d+: gzip: `));
    expect(r.summary.error!.startsWith(`${cut}: at byte `)).toBe(true);
    expect(r.lines.length).toBeGreaterThan(1000);
    expect(r.lines).toEqual(full.slice(0, r.lines.length));
  });

  test('bzip2 reads the same as plain', async () => {
    const bz = spawnSync('bzip2', ['--help'], { encoding: 'utf8' });
    if (bz.error !== undefined) {
      console.warn('skipped: no bzip2 command to make a .bz2 file with');
      return;
    }
    for (const f of ['bgpdump-updates-20100722-2015.gz', 'bgpdump-bview-64k-stream-overflow.gz']) {
      const plain = join(tmp, `${f}.mrt`);
      writeFileSync(plain, gunzipSync(readFileSync(fixture(f))));
      const made = spawnSync('bzip2', ['-k', '-f', plain]);
      expect(made.status).toBe(0);
      const a = await run(plain);
      const b = await run(`${plain}.bz2`);
      expect(b.summary.compression).toBe('bzip2');
      expect(b.summary.error).toBeNull();
      expect(b.summary.bytes).toBe(a.summary.bytes);
      expect(b.lines).toEqual(a.lines);
      expect(b.lines.length).toBeGreaterThan(20);
    }
    // A cut .bz2: the error names the file and offset; the whole bzip2 blocks before the cut (100 kB
    // each with -1) are read, a prefix of the whole.
    const plain = join(tmp, 'bgpdump-updates-20100722-2015.gz.mrt');
    const small = spawnSync('bzip2', ['-1', '-c', plain]);
    const cut = join(tmp, 'cut.mrt.bz2');
    writeFileSync(cut, small.stdout.subarray(0, small.stdout.length >> 1));
    const full = (await run(plain)).lines;
    const c = await run(cut);
    expect(c.summary.error).toMatch(/: at byte \d+: bzip2: data cut short or corrupt/);
    expect(c.summary.error!.startsWith(`${cut}: at byte `)).toBe(true);
    expect(c.lines.length).toBeGreaterThan(1000);
    expect(c.lines).toEqual(full.slice(0, c.lines.length));
  });

  test('unknown types and subtypes are counted and skipped by length', async () => {
    const raw = readFileSync(fixture('mrtparse-quagga-rib.mrt'));
    const offs = recordOffsets(raw);
    const junk = Buffer.concat([
      rec(1, 99, 0, [1, 2, 3, 4, 5]), // unknown type
      rec(1, 13, 77, [0, 0]), // TABLE_DUMP_V2, unknown subtype
      rec(1, 16, 42, []), // BGP4MP, unknown subtype
      rec(1, 11, 0, [9, 9, 9]), // OSPFv2: known, not read
    ]);
    const file = join(tmp, 'unknown.mrt');
    writeFileSync(file, Buffer.concat([raw.subarray(0, offs[1]), junk, raw.subarray(offs[1])]));
    const want = await run(fixture('mrtparse-quagga-rib.mrt'), 'mrtparse');
    const r = await run(file, 'mrtparse');
    expect(r.summary.error).toBeNull();
    expect(r.lines).toEqual(want.lines);
    expect(r.summary.anomalies).toEqual({ mrt_unknown_type: 1, mrt_unknown_subtype: 2 });
    expect(r.summary.skipped).toEqual({ 'OSPFv2/subtype 0': 1 });
    expect(r.summary.records).toBe(want.summary.records + 4);
  });

  test('an empty file is no records and no error; a missing file throws', async () => {
    const empty = join(tmp, 'empty.mrt');
    writeFileSync(empty, '');
    const r = await run(empty);
    expect(r.summary).toMatchObject({ records: 0, error: null, bytes: 0 });
    await expect(readMrt(join(tmp, 'nope.mrt'), () => {})).rejects.toThrow(/ENOENT/);
  });

  test('an async onEntry is awaited before the next record', async () => {
    const order: string[] = [];
    let busy = false;
    await readMrt(fixture('mrtparse-quagga-rib.mrt'), async (e) => {
      expect(busy).toBe(false);
      busy = true;
      await new Promise((res) => setTimeout(res, 1));
      order.push(e.kind);
      busy = false;
    });
    expect(order[0]).toBe('peers');
    expect(order).toHaveLength(1 + 9);
  });
});

// ---- hand-made records ----

const be16 = (n: number): number[] => [(n >> 8) & 255, n & 255];
const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

function rec(time: number, type: number, subtype: number, body: number[]): Buffer {
  return Buffer.from([...be32(time), ...be16(type), ...be16(subtype), ...be32(body.length), ...body]);
}

function bgp(type: number, body: number[]): number[] {
  return [...new Array<number>(16).fill(0xff), ...be16(19 + body.length), type, ...body];
}

function update(attrs: number[], nlri: number[], withdrawn: number[] = []): number[] {
  return bgp(2, [...be16(withdrawn.length), ...withdrawn, ...be16(attrs.length), ...attrs, ...nlri]);
}

/** BGP4MP MESSAGE_AS4-style header (4-byte ASes), IPv4 peer 192.0.2.1 / local 192.0.2.2. */
function bgp4mpAs4(peerAs: number, message: number[]): number[] {
  return [...be32(peerAs), ...be32(65000), ...be16(0), ...be16(1), 192, 0, 2, 1, 192, 0, 2, 2, ...message];
}

const ATTRS4 = [0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, ...be32(4200000000), 0x40, 3, 4, 192, 0, 2, 1];

async function runBytes(name: string, bytes: Buffer, style: MrtTextStyle = 'bgpdump'): Promise<Run> {
  const f = join(tmp, name);
  writeFileSync(f, bytes);
  return run(f, style);
}

describe('hand-made records', () => {
  test('prefix length over 32 and over 128: anomaly, the rest of the NLRI skipped', async () => {
    const v6reach = [0x80, 14, 0, ...be16(2), 1, 16, 0x20, 1, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1, 0, 32, 0x20, 1, 0x0d, 0xb8, 129, 1, 2];
    v6reach[2] = v6reach.length - 3;
    const r = await runBytes('badlen.mrt', Buffer.concat([
      rec(100, 16, 4, bgp4mpAs4(64500, update(ATTRS4, [24, 10, 0, 0, 33, 1, 2, 3, 4, 5, 8, 10]))),
      rec(101, 16, 4, bgp4mpAs4(64500, update([...ATTRS4.slice(0, 13), ...v6reach], []))),
      rec(102, 13, 2, [...be32(0), 33, 1, 2, 3, 4, 5, ...be16(0)]), // RIB_IPV4_UNICAST with a /33
    ]));
    expect(r.lines).toEqual([
      'BGP4MP|100|A|192.0.2.1|64500|10.0.0.0/24|4200000000|IGP|192.0.2.1|0|0||NAG||',
      'BGP4MP|101|A|192.0.2.1|64500|2001:db8::/32|4200000000|IGP|2001:db8::1|0|0||NAG||',
    ]);
    expect(r.summary.anomalies).toEqual({ bgp_bad_prefix_length: 3 });
  });

  test('BGP4MP_ET (microseconds counted in the length), ADD-PATH messages, STATE_CHANGE, OPEN and NOTIFICATION', async () => {
    const state = [...be16(64500), ...be16(65000), ...be16(0), ...be16(1), 192, 0, 2, 1, 192, 0, 2, 2, ...be16(3), ...be16(6)];
    const open = bgp(1, [4, ...be16(64500), ...be16(90), 192, 0, 2, 1, 0]);
    const addPathUpdate = update(ATTRS4, [...be32(9), 24, 10, 0, 0], [...be32(4), 16, 10, 1]);
    const r = await runBytes('et.mrt', Buffer.concat([
      rec(200, 17, 0, [...be32(123), ...state]),
      rec(201, 17, 4, [...be32(5), ...bgp4mpAs4(64500, update(ATTRS4, [8, 10]))]),
      rec(202, 16, 9, bgp4mpAs4(64500, addPathUpdate)), // MESSAGE_AS4_ADDPATH
      rec(203, 16, 4, bgp4mpAs4(64500, open)),
      rec(204, 16, 4, bgp4mpAs4(64500, bgp(3, [6, 2, 0]))),
    ]));
    expect(r.summary.error).toBeNull();
    expect(r.summary.anomalies).toEqual({});
    expect(r.lines).toEqual([
      'BGP4MP_ET|200.000123|STATE|192.0.2.1|64500|3|6',
      'BGP4MP_ET|201.000005|A|192.0.2.1|64500|10.0.0.0/8|4200000000|IGP|192.0.2.1|0|0||NAG||',
      'BGP4MP_AP|202|W|192.0.2.1|64500|10.1.0.0/16|4',
      'BGP4MP_AP|202|A|192.0.2.1|64500|10.0.0.0/24|9|4200000000|IGP|192.0.2.1|0|0||NAG||',
    ]);
    const msgs = r.entries.filter((e) => e.kind === 'message');
    expect(msgs.map((e) => e.kind === 'message' && e.message.typeName)).toEqual(['OPEN', 'NOTIFICATION']);
    const st = r.entries[0]!;
    expect(st).toMatchObject({ kind: 'state', time: 200, micros: 123, oldState: 3, newState: 6, localIp: '192.0.2.2', localAs: 65000 });
  });

  test('old TABLE_DUMP (type 12) with 2-byte ASNs', async () => {
    const attrs = [0x40, 1, 1, 0, 0x40, 2, 6, 2, 2, ...be16(65001), ...be16(65002), 0x40, 3, 4, 192, 0, 2, 1];
    const body = [...be16(0), ...be16(5), 10, 1, 2, 0, 24, 1, ...be32(99), 192, 0, 2, 1, ...be16(65001), ...be16(attrs.length), ...attrs];
    const r = await runBytes('td1.mrt', rec(300, 12, 1, body));
    expect(r.lines).toEqual(['TABLE_DUMP|300|B|192.0.2.1|65001|10.1.2.0/24|65001 65002|IGP|192.0.2.1|0|0||NAG||']);
    expect(r.entries[0]).toMatchObject({ kind: 'rib', originAs: 65002, originatedTime: 99, seq: 5 });
  });

  test('a RIB entry naming a peer the index table does not have', async () => {
    const r = await runBytes('peerless.mrt', rec(1, 13, 2, [...be32(0), 8, 10, ...be16(1), ...be16(3), ...be32(0), ...be16(0)]));
    expect(r.entries).toEqual([]);
    expect(r.summary.anomalies).toEqual({ mrt_bad_peer_index: 1 });
  });

  test('never throws on random records', async () => {
    const parts: Buffer[] = [];
    let seed = 12345;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    for (let i = 0; i < 400; i++) {
      const type = [12, 13, 16, 17][rnd(4)]!;
      const body = Array.from({ length: rnd(120) }, () => rnd(256));
      parts.push(rec(i, type, rnd(13), body));
    }
    const r = await runBytes('random.mrt', Buffer.concat(parts));
    expect(r.summary.error).toBeNull();
    expect(r.summary.records).toBe(400);
  });
});

describe('bgpdump IPv6 text', () => {
  test('a single zero group is compressed too; the first longest run wins', () => {
    expect(bgpdumpIpv6('2001:7f8:30:0:2:1:0:8447')).toBe('2001:7f8:30::2:1:0:8447');
    expect(bgpdumpIpv6('2001:db8::1')).toBe('2001:db8::1');
    expect(bgpdumpIpv6('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4');
    expect(bgpdumpIpv6('::ffff:193.0.0.56')).toBe('::ffff:193.0.0.56');
    expect(bgpdumpIpv6('10.0.0.1')).toBe('10.0.0.1');
  });
});
