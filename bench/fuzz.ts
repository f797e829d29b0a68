/**
 * npm run fuzz [-- --cases N] [-- --seed S] [-- --only name,name] [-- --corpus DIR] [-- --no-corpus]
 *              [-- --replay name:case] [-- --list]
 *
 * Fuzzes the inspection parsers with fast-check: random bytes, and real payloads from the shared
 * corpus (extracted with tshark at start, nothing is copied into the repository) that are mutated:
 * bytes set and bit-flipped, header fields and lengths set to extremes or nudged by a few, cut,
 * spliced with other seeds, ranges removed, inserted and duplicated. Stream parsers get the bytes in
 * random chunks (sometimes one byte at a time) with gaps; QUIC also gets Initial packets sealed
 * with the real Initial keys around fuzzed frames, so the code behind decryption is reached too.
 * The last target runs whole capture records (Ethernet, IPv4/IPv6, UDP/TCP, ICMP) built from the
 * same payloads through processRange, the path of an ingest with inspection.
 *
 * Every case must return without a throw, within SLOW_MS, with the invariants of its target held,
 * and the heap (sampled after a forced GC every SAMPLE_EVERY cases) must stay under HEAP_LIMIT_MB.
 * The cases run in a worker thread; the main thread kills it when one case runs past HANG_MS (an
 * endless loop) and reports the input. The run is deterministic for a given --seed and --cases
 * (timings aside); `--replay name:case` reruns one case (same --seed) and prints its input in full.
 * Exit code 1 when anything failed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as fc from 'fast-check';
import { parseDns, dnsNames, DnsTcpBuffer, DnsTransactions, type DnsFlavor } from '../src/inspect/dns.js';
import { dnsFlavorForPorts } from '../src/inspect/dns-session.js';
import {
  HandshakeBuffer, looksLikeTlsHello, parseCertificateMessage, parseClientHello, parseClientHelloMessage, parseServerHello,
  parseServerHelloMessage, parseTlsRecords, serverKeyExchangeCurve, type HandshakeMessage, type TlsAnomaly,
} from '../src/inspect/tls.js';
import { ja3, ja3s } from '../src/inspect/ja3.js';
import { ja4All } from '../src/inspect/ja4.js';
import { clientFields, serverFields } from '../src/inspect/hello-fields.js';
import { describeCert } from '../src/inspect/x509.js';
import { parseQuicDatagram, quickLooksLikeQuicInitial, QuicFlowContext, QUIC_ANOMALY, QUIC_V1, QUIC_V2 } from '../src/inspect/quic.js';
import { deriveInitialKeys, headerProtectionMask, packetNonce, quicVersionParams, type QuicPacketKeys } from '../src/inspect/quic-crypto.js';
import { HttpConnection, type HttpStreamOptions } from '../src/inspect/http.js';
import { TcpStreams } from '../src/inspect/tcp-stream.js';
import { looksLikeHttp } from '../src/inspect/inspector.js';
import { processRange } from '../src/pipeline/range-task.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';

/** A case slower than this is a failure. */
const SLOW_MS = 1000;
/** A case still running after this long is taken as an endless loop: the worker is stopped. */
const HANG_MS = 15_000;
/** Heap (after a forced GC) above this is a failure. */
const HEAP_LIMIT_MB = 512;
/** Cases between heap samples (and progress lines). */
const SAMPLE_EVERY = 50_000;
/** Bytes of an input shown in a report. */
const SHOW_BYTES = 200;
/** Bytes a soak case pushes through one stream reader, and the heap it may keep after them. */
const SOAK_BYTES = 4 << 20;
const SOAK_LIMIT_MB = 32;
/** Failures reported with their details per target and kind (all are counted). */
const KEEP_FAILURES = 5;

// ================================================================ options

interface Options {
  cases: number;
  seed: number;
  only: string[] | null;
  corpus: string | null;
  replay: { name: string; index: number } | null;
}

function readOptions(argv: string[]): Options {
  const arg = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const here = dirname(fileURLToPath(import.meta.url));
  // bench/fuzz.ts run from source, or dist/bench/fuzz.js
  const root = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');
  const replay = arg('--replay');
  const m = replay === undefined ? null : /^([\w.]+):(\d+)$/.exec(replay);
  if (replay !== undefined && m === null) throw new Error('--replay takes name:case, e.g. dns.udp:1234');
  return {
    cases: Math.max(0, Math.floor(Number(arg('--cases') ?? 1_000_000))),
    seed: Math.floor(Number(arg('--seed') ?? 1)) | 0,
    only: arg('--only')?.split(',').filter(Boolean) ?? (m ? [m[1]] : null),
    corpus: argv.includes('--no-corpus') ? null : (arg('--corpus') ?? join(root, '..', 'shared', 'corpus')),
    replay: m ? { name: m[1], index: Number(m[2]) } : null,
  };
}

// ================================================================ bytes

const EMPTY = new Uint8Array(0);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Bytes of an input shown: SHOW_BYTES, all of them in a --replay. */
let showBytes = SHOW_BYTES;

function hexOf(b: Uint8Array, max = showBytes): string {
  const hex = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, max)).toString('hex');
  return b.length > max ? `${hex}... (${b.length} bytes)` : hex;
}

const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const be24 = (v: number): number[] => [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** QUIC varint of `v` in `size` bytes (1, 2, 4, 8), or the smallest size that holds it. */
function varint(v: number, size = 0): number[] {
  const need = v < 64 ? 1 : v < 16384 ? 2 : v < 2 ** 30 ? 4 : 8;
  const n = Math.max(need, size);
  const max = (1n << 62n) - 1n;
  const value = BigInt(Math.max(0, Math.floor(v)));
  const big = (value > max ? max : value) | (BigInt([0, 0, 1, 0, 2, 0, 0, 0, 3][n]) << BigInt(n * 8 - 2));
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Number((big >> BigInt(i * 8)) & 0xffn));
  return out;
}

// ================================================================ seeds from the corpus

/** Real payloads, grouped by what reads them. Plain data: it goes to the worker as is. */
interface Seeds {
  note: string;
  /** DNS, mDNS and LLMNR over UDP. */
  dnsUdp: Uint8Array[];
  /** One direction of a DNS-over-TCP connection. */
  dnsTcp: Uint8Array[];
  /** One direction of a TLS connection (records). */
  tlsStreams: Uint8Array[];
  /** Handshake bodies (without the 4-byte header). */
  clientHellos: Uint8Array[];
  serverHellos: Uint8Array[];
  certificates: Uint8Array[];
  /** DER certificates. */
  certs: Uint8Array[];
  /** Whole handshake messages out of QUIC CRYPTO streams and TLS records (header included). */
  helloMessages: Uint8Array[];
  quicFlows: { grams: Uint8Array[]; fromClient: boolean[] }[];
  /** HTTP connections: [client to server, server to client]. */
  http: [Uint8Array, Uint8Array][];
  /** Whole flows for the pipeline target. */
  tcpFlows: { ports: [number, number]; dirs: [Uint8Array, Uint8Array] }[];
  udpFlows: { ports: [number, number]; grams: Uint8Array[]; fromClient: boolean[] }[];
}

const MAX_POOL = 400;
const MAX_STREAM = 64 * 1024;
const MAX_GRAMS = 12;

function emptySeeds(note: string): Seeds {
  return {
    note, dnsUdp: [], dnsTcp: [], tlsStreams: [], clientHellos: [], serverHellos: [], certificates: [], certs: [],
    helloMessages: [], quicFlows: [], http: [], tcpFlows: [], udpFlows: [],
  };
}

const poolKeys = new WeakMap<Uint8Array[], Set<string>>();

/** Adds `b` to `pool` unless it is empty, already there, or the pool is full. */
function addSeed(pool: Uint8Array[], b: Uint8Array | null): void {
  if (b === null || b.length === 0 || pool.length >= MAX_POOL) return;
  let seen = poolKeys.get(pool);
  if (seen === undefined) { seen = new Set(); poolKeys.set(pool, seen); }
  const key = Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
  if (seen.has(key)) return;
  seen.add(key);
  pool.push(b);
}

interface RawSegment { fromClient: boolean; seq: number; bytes: Uint8Array }

/** tshark's field output for a capture (what it read before an error, if any). */
function tsharkFields(file: string, fields: string[]): Promise<string> {
  const args = ['-n', '-r', file, '-Y', '(udp or tcp) and not icmp and not icmpv6', '-T', 'fields', '-E', 'occurrence=l', ...fields.flatMap((x) => ['-e', x])];
  return new Promise((resolve) => {
    execFile('tshark', args, { encoding: 'utf8', maxBuffer: 512 << 20 }, (_err, stdout) => resolve(stdout ?? ''));
  });
}

/** Payloads of every UDP and TCP packet of the captures, grouped into flows, by tshark. */
async function extractSeeds(dir: string | null): Promise<Seeds> {
  if (dir === null) return emptySeeds('random only (--no-corpus)');
  if (spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status !== 0) return emptySeeds('random only: tshark not found');
  if (!existsSync(dir)) return emptySeeds(`random only: no corpus at ${dir}`);
  const files = readdirSync(dir).filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(f)).sort();
  const udp = new Map<string, { client: string; ports: [number, number]; grams: Uint8Array[]; fromClient: boolean[] }>();
  const tcp = new Map<string, { client: string; ports: [number, number]; segs: RawSegment[] }>();
  const fields = ['ip.src', 'ipv6.src', 'udp.stream', 'udp.srcport', 'udp.dstport', 'udp.payload',
    'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.payload'];
  // A few tshark at a time; the outputs are read in file order, so the seeds do not depend on timing.
  const outputs: string[] = [];
  const parallel = Math.max(2, Math.min(8, cpus().length));
  for (let i = 0; i < files.length; i += parallel) {
    outputs.push(...await Promise.all(files.slice(i, i + parallel).map((f) => tsharkFields(join(dir, f), fields))));
  }
  for (const [k, f] of files.entries()) {
    for (const line of outputs[k].split('\n')) {
      const [ip4, ip6, us, usp, udst, upay, ts, tsp, tdp, tseq, tpay] = line.split('\t');
      if (tpay === undefined) continue;
      // TCP first: a TCP connection inside a UDP tunnel is the TCP one.
      if (ts) {
        const src = `${ip4 || ip6}/${tsp}`;
        const key = `${f}#${ts}`;
        let fl = tcp.get(key);
        if (fl === undefined) { fl = { client: src, ports: [Number(tsp), Number(tdp)], segs: [] }; tcp.set(key, fl); }
        if (tpay) fl.segs.push({ fromClient: src === fl.client, seq: Number(tseq), bytes: fromHex(tpay) });
      } else if (us) {
        const src = `${ip4 || ip6}/${usp}`;
        const key = `${f}#${us}`;
        let fl = udp.get(key);
        if (fl === undefined) { fl = { client: src, ports: [Number(usp), Number(udst)], grams: [], fromClient: [] }; udp.set(key, fl); }
        if (upay && fl.grams.length < MAX_GRAMS) { fl.grams.push(fromHex(upay)); fl.fromClient.push(src === fl.client); }
      }
    }
  }

  const s = emptySeeds(`${files.length} captures in ${dir}`);
  // UDP: DNS by port, QUIC by a long header of version 1 or 2.
  for (const fl of udp.values()) {
    if (fl.grams.length === 0) continue;
    const flavor = dnsFlavorForPorts(fl.ports[0], fl.ports[1]);
    const quic = fl.grams.some((g) => g.length > 5 && (g[0] & 0x80) !== 0 && [QUIC_V1, QUIC_V2].includes(((g[1] << 24) | (g[2] << 16) | (g[3] << 8) | g[4]) >>> 0));
    if (flavor !== null) {
      for (const g of fl.grams) addSeed(s.dnsUdp, g);
    } else if (quic && s.quicFlows.length < MAX_POOL) s.quicFlows.push({ grams: fl.grams, fromClient: fl.fromClient });
    if ((flavor !== null || quic) && s.udpFlows.length < MAX_POOL) s.udpFlows.push(fl);
  }
  // TCP: each direction in sequence order (retransmitted bytes dropped, holes closed up).
  for (const fl of tcp.values()) {
    const dirs: [Uint8Array, Uint8Array] = [EMPTY, EMPTY];
    for (let d = 0; d < 2; d++) {
      const parts: Uint8Array[] = [];
      let next = -1, size = 0;
      for (const seg of fl.segs) {
        if (seg.fromClient !== (d === 0) || size >= MAX_STREAM) continue;
        let b = seg.bytes;
        if (next >= 0 && seg.seq < next) b = b.subarray(Math.min(b.length, next - seg.seq));
        if (b.length === 0) continue;
        parts.push(b);
        size += b.length;
        next = Math.max(next, seg.seq + seg.bytes.length);
      }
      dirs[d] = concat(parts).subarray(0, MAX_STREAM);
    }
    if (dirs[0].length + dirs[1].length === 0) continue;
    const tls = dirs.some((b) => looksLikeTlsHello(b, 0, b.length));
    const http = dirs.some((b) => looksLikeHttp(b, 0, b.length));
    if (dnsFlavorForPorts(fl.ports[0], fl.ports[1]) !== null) for (const b of dirs) addSeed(s.dnsTcp, b);
    else if (tls) for (const b of dirs) addSeed(s.tlsStreams, b);
    else if (http && s.http.length < MAX_POOL) s.http.push(dirs);
    else continue;
    if (s.tcpFlows.length < MAX_POOL) s.tcpFlows.push({ ports: fl.ports, dirs });
  }
  // Handshake messages, out of the TLS streams and the QUIC flows, with the project's own readers.
  const takeMessage = (m: HandshakeMessage | null): void => {
    if (m === null) return;
    if (m.type === 1) addSeed(s.clientHellos, m.body);
    else if (m.type === 2) addSeed(s.serverHellos, m.body);
    else if (m.type === 11) {
      addSeed(s.certificates, m.body);
      for (const c of parseCertificateMessage(m.body)?.certs ?? []) addSeed(s.certs, c);
    }
    if (m.type === 1 || m.type === 2) addSeed(s.helloMessages, concat([Uint8Array.of(m.type, ...be24(m.body.length)), m.body]));
  };
  for (const b of s.tlsStreams) {
    const hb = new HandshakeBuffer();
    for (const m of hb.push(b)) takeMessage(m);
    takeMessage(hb.end());
  }
  for (const fl of s.quicFlows) {
    const ctx = new QuicFlowContext();
    fl.grams.forEach((g, i) => parseQuicDatagram(g, 0, g.length, ctx, fl.fromClient[i]));
    for (const m of [ctx.clientHello(), ctx.serverHello()]) {
      if (m === null) continue;
      addSeed(s.helloMessages, m.slice());
      addSeed(m[0] === 1 ? s.clientHellos : s.serverHellos, m.slice(4));
    }
  }
  return s;
}

function seedSummary(s: Seeds): string {
  return `seeds: ${s.note}; DNS datagrams ${s.dnsUdp.length}, DNS/TCP streams ${s.dnsTcp.length}, TLS streams ${s.tlsStreams.length}, `
    + `ClientHello ${s.clientHellos.length}, ServerHello ${s.serverHellos.length}, Certificate ${s.certificates.length} `
    + `(DER ${s.certs.length}), QUIC flows ${s.quicFlows.length}, HTTP connections ${s.http.length}`;
}

// ================================================================ mutations

/** `arb` once in `n` cases, else null. */
const rare = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

type Mutation =
  | { op: 'set'; at: number; value: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'extreme'; at: number; width: number; pattern: number }
  | { op: 'nudge'; at: number; delta: number }
  | { op: 'truncate'; at: number }
  | { op: 'remove'; at: number; n: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'duplicate'; at: number; n: number; to: number }
  | { op: 'splice'; at: number; other: number; from: number };

/** First byte and filler of the values written over a field: 0, all ones, high bit, largest signed, QUIC varint prefixes. */
const EXTREME_FIRST = [0x00, 0xff, 0x80, 0x7f, 0x40, 0xc0];
const EXTREME_REST = [0x00, 0xff, 0x00, 0xff, 0x00, 0xff];

/** Positions: the first bytes (where the headers and their lengths are) more often than their share. */
const position = fc.oneof(fc.integer({ min: 0, max: 15 }), fc.nat({ max: 0xffff }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('extreme' as const), at: position, width: fc.integer({ min: 1, max: 4 }), pattern: fc.nat({ max: EXTREME_FIRST.length - 1 }) }),
  fc.record({ op: fc.constant('nudge' as const), at: position, delta: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('remove' as const), at: position, n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, n: fc.integer({ min: 1, max: 256 }), to: position }),
  fc.record({ op: fc.constant('splice' as const), at: position, other: fc.nat(), from: position }),
);

/** A changed copy of `seed` (`pool` gives the other half of a splice). */
function mutate(seed: Uint8Array, ops: readonly Mutation[], pool: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = seed.slice();
  for (const m of ops) {
    const at = m.at % (b.length + 1); // an insertion point; in-place edits need at < length
    switch (m.op) {
      case 'set': if (at < b.length) b[at] = m.value; break;
      case 'flip': if (at < b.length) b[at] ^= 1 << m.bit; break;
      case 'extreme':
        for (let i = 0; i < m.width && at + i < b.length; i++) b[at + i] = i === 0 ? EXTREME_FIRST[m.pattern] : EXTREME_REST[m.pattern];
        break;
      case 'nudge': // a big-endian u16 (a length, usually) off by a few
        if (at + 1 < b.length) { const v = ((b[at] << 8) | b[at + 1]) + m.delta; b[at] = (v >>> 8) & 0xff; b[at + 1] = v & 0xff; }
        break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'remove': b = concat([b.subarray(0, at), b.subarray(at + m.n)]); break;
      case 'insert': b = concat([b.subarray(0, at), m.bytes, b.subarray(at)]); break;
      case 'duplicate': { const to = m.to % (b.length + 1); b = concat([b.subarray(0, to), b.slice(at, at + m.n), b.subarray(to)]); break; }
      case 'splice': {
        const o = pool.length > 0 ? pool[m.other % pool.length] : EMPTY;
        b = concat([b.subarray(0, at), o.subarray(o.length > 0 ? m.from % o.length : 0)]);
        break;
      }
    }
  }
  return b.byteOffset === 0 && b.length === b.buffer.byteLength ? b : b.slice();
}

/** Byte values that are edges for lengths, varints and flags. */
const EDGE_BYTES = [0x00, 0x01, 0x02, 0x03, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];

/**
 * `n` bytes from a small PRNG (xorshift32) that fast-check seeds: uniform bytes, small ones (0..3)
 * or edge values. One draw per byte from fast-check would cost most of the run.
 */
function noise(n: number, seed: number, kind: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = kind === 0 ? x & 0xff : kind === 1 ? x & 0x03 : EDGE_BYTES[(x >>> 8) % EDGE_BYTES.length];
  }
  return out;
}

const randomBytes = (max = 1500): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat({ max }), fc.integer(), fc.constantFrom(0, 0, 0, 1, 2)).map(([n, seed, kind]) => noise(n, seed, kind));

/** Mostly one or two mutations (the structure around them stays readable), sometimes none or up to six. */
const mutationsArb = fc.oneof(
  { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.array(mutationArb, { maxLength: 6 }) },
);

/** A seed of `pool`, changed by a few mutations. */
function mutated(pool: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: pool.length - 1 }), mutationsArb).map(([i, ops]) => mutate(pool[i], ops, pool));
}

/** Mostly mutated seeds of `pool`, some random bytes (only random bytes when the pool is empty). */
function bytesFrom(pool: readonly Uint8Array[], extra: fc.Arbitrary<Uint8Array>[] = [], maxRandom = 1500): fc.Arbitrary<Uint8Array> {
  const arbs: fc.WeightedArbitrary<Uint8Array>[] = [{ weight: 1, arbitrary: randomBytes(maxRandom) }];
  if (pool.length > 0) arbs.push({ weight: 4, arbitrary: mutated(pool) });
  for (const e of extra) arbs.push({ weight: 2, arbitrary: e });
  return fc.oneof(...arbs);
}

/** Where a stream is cut into the chunks it is pushed in: sorted cut points, or byte by byte (first 2 KiB). */
type Cuts = number[] | 'bytes';
const cutsArb: fc.Arbitrary<Cuts> = fc.oneof(
  { weight: 9, arbitrary: fc.array(fc.nat({ max: 0xffff }), { maxLength: 16 }) },
  { weight: 1, arbitrary: fc.constant('bytes' as const) },
);

function chunksOf(data: Uint8Array, cuts: Cuts): Uint8Array[] {
  let at: number[];
  if (cuts === 'bytes') at = Array.from({ length: Math.min(data.length, 2048) }, (_, i) => i + 1);
  else at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, data.length]) { if (c > prev) out.push(data.subarray(prev, c)); prev = Math.max(prev, c); }
  return out;
}

/** Offsets and lengths beside the usual (0, length): inside, past the end, negative, not numbers. */
const oddNumber = fc.oneof(fc.integer({ min: -8, max: 2000 }), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53));
/** The data placed at an offset inside a larger buffer (junk around it), read with (buf, off, len). */
const embedArb = rare(fc.tuple(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 })), 3);

function embed(data: Uint8Array, e: [Uint8Array, Uint8Array] | null): [Uint8Array, number, number] {
  return e === null ? [data, 0, data.length] : [concat([e[0], data, e[1]]), e[0].length, data.length];
}

// ================================================================ targets

class InvariantError extends Error {}

/** Throws an InvariantError (reported as a failure, apart from throws) when `ok` is false. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new InvariantError(what);
}

interface Target<T> {
  name: string;
  /** Share of --cases. */
  weight: number;
  arb: fc.Arbitrary<T>;
  /** The main bytes of an input (cheap: no copy), for the report of a hang. */
  show(x: T): Uint8Array;
  /** The whole input, for the report of a failure. */
  describe(x: T): string;
  /** Runs one case; true when the parser got somewhere (a message, a record, a hello). */
  run(x: T): boolean;
}

const target = <T>(t: Target<T>): Target<unknown> => t as unknown as Target<unknown>;

/** Heap used after a full GC, in MiB; NaN when `gc` is not exposed. */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return NaN;
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** One case in a thousand of the stream readers: the same bytes pushed again and again into one reader. */
const soakArb = rare(fc.constant(true as const), 1000);

/**
 * Pushes `chunks` through `push` again and again (SOAK_BYTES in all, 100k pushes at most), into
 * one reader, and checks that the heap it holds afterwards stays under SOAK_LIMIT_MB: its memory
 * is bounded, whatever the length of the stream. What the reader hands back is dropped unread:
 * the time is the reader's own.
 */
function soak(chunks: readonly Uint8Array[], push: (c: Uint8Array) => unknown): void {
  const size = chunks.reduce((a, c) => a + c.length, 0);
  if (size === 0) return;
  const before = heapAfterGc();
  for (let done = 0, calls = 0; done < SOAK_BYTES && calls < 100_000; done += size, calls += chunks.length) for (const c of chunks) push(c);
  const grown = heapAfterGc() - before;
  push(EMPTY); // the reader stays alive until after the measure
  check(!(grown > SOAK_LIMIT_MB), `the reader holds ${grown.toFixed(1)} MiB more after ${SOAK_BYTES >> 20} MiB of stream`);
}
const hexList = (bs: readonly Uint8Array[]): string => bs.map((b) => hexOf(b)).join(' | ');
/** A chunk as (the whole buffer it is a view of, offset, length): a stream reader must keep to the range. */
const wide = (c: Uint8Array): [Uint8Array, number, number] => [new Uint8Array(c.buffer), c.byteOffset, c.length];

function buildTargets(s: Seeds): Target<unknown>[] {
  const dnsPool = s.dnsUdp;
  const flavorArb = fc.constantFrom<DnsFlavor>('dns', 'mdns', 'llmnr');
  const helloMsgs = s.helloMessages;
  const clientMsgs = s.clientHellos.map((b) => concat([Uint8Array.of(1, ...be24(b.length)), b]));
  const serverMsgs = s.serverHellos.map((b) => concat([Uint8Array.of(2, ...be24(b.length)), b]));

  // --------------------------------------------------------------- DNS over UDP
  const dnsUdp = target({
    name: 'dns.udp', weight: 14,
    arb: fc.record({
      msgs: fc.array(bytesFrom(dnsPool), { minLength: 1, maxLength: 3 }),
      flavor: flavorArb,
      embed: embedArb,
      odd: rare(fc.tuple(oddNumber, oddNumber), 10),
      questionsOnly: fc.boolean(),
      maxRecords: rare(fc.integer({ min: 0, max: 8 }), 4),
      maxOutstanding: fc.integer({ min: 1, max: 4 }),
    }),
    show: (x) => x.msgs[0],
    describe: (x) => `flavor=${x.flavor} questionsOnly=${x.questionsOnly} maxRecords=${x.maxRecords} odd=${x.odd} msgs=${hexList(x.msgs)}`,
    run: (x) => {
      const tx = new DnsTransactions({ maxOutstanding: x.maxOutstanding });
      let got = false;
      x.msgs.forEach((m, i) => {
        const [buf, off, len] = embed(m, x.embed);
        const opts = { flavor: x.flavor, questionsOnly: x.questionsOnly, maxRecords: x.maxRecords ?? undefined };
        const msg = i === 0 && x.odd !== null ? parseDns(buf, x.odd[0], x.odd[1], opts) : parseDns(buf, off, len, opts);
        if (msg === null) return;
        got = true;
        check(msg.parsedBytes <= len || (i === 0 && x.odd !== null), 'parsedBytes past the message');
        dnsNames(msg);
        tx.observe(msg, i, 0);
      });
      tx.drain();
      return got;
    },
  });

  // --------------------------------------------------------------- DNS over TCP
  /** 1 to 3 DNS messages each behind a 2-byte length, the length sometimes off. */
  const framedDns = fc.array(fc.tuple(bytesFrom(dnsPool, [], 600), fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) })),
    { minLength: 1, maxLength: 3 }).map((ms) => concat(ms.flatMap(([m, d]) => [Uint8Array.of(...be16(m.length + d)), m])));
  const dnsTcp = target({
    name: 'dns.tcp', weight: 7,
    arb: fc.record({
      data: bytesFrom(s.dnsTcp, [framedDns]),
      cuts: cutsArb,
      gapBefore: rare(fc.nat({ max: 20 }), 5),
      maxPerPush: rare(fc.integer({ min: 1, max: 4 }), 4),
      flavor: flavorArb,
      soak: soakArb,
    }),
    show: (x) => x.data,
    describe: (x) => `flavor=${x.flavor} cuts=${JSON.stringify(x.cuts)} gapBefore=${x.gapBefore} maxPerPush=${x.maxPerPush} soak=${x.soak} data=${hexOf(x.data)}`,
    run: (x) => {
      const b = new DnsTcpBuffer({ maxMessagesPerPush: x.maxPerPush ?? undefined });
      let got = false;
      chunksOf(x.data, x.cuts).forEach((c, i) => {
        if (i === x.gapBefore) b.gap();
        for (const m of (i % 2 === 0 ? b.push(c) : b.push(...wide(c)))) {
          check(m.length >= 12 && m.length <= 65535, `message of ${m.length} bytes handed back`);
          got = parseDns(m, 0, m.length, { flavor: x.flavor }) !== null || got;
        }
        check(b.pending <= 2 + 65535, `${b.pending} bytes pending`);
      });
      if (x.soak) soak(chunksOf(x.data, x.cuts), (c) => b.push(c));
      return got;
    },
  });

  // --------------------------------------------------------------- TLS hellos and certificates
  const fingerprints = (ch: ReturnType<typeof parseClientHello>): void => {
    if (ch === null) return;
    ja3(ch);
    for (const t of ['t', 'q', 'd'] as const) ja4All(ch, t);
  };
  /** A hello body (for parse*Hello), or a whole message with its 4-byte header (for parse*HelloMessage). */
  const helloInput = (bodies: Uint8Array[], messages: Uint8Array[]): fc.Arbitrary<{ message: boolean; body: Uint8Array }> => fc.oneof(
    bytesFrom(bodies).map((body) => ({ message: false, body })),
    bytesFrom(messages).map((body) => ({ message: true, body })),
  );
  const tlsClient = target({
    name: 'tls.client_hello', weight: 11,
    arb: fc.record({
      hello: helloInput(s.clientHellos, clientMsgs), dtls: rare(fc.constant(true), 8), truncated: fc.boolean(),
      embed: embedArb, odd: rare(fc.tuple(oddNumber, oddNumber), 20),
    }).map(({ hello, ...x }) => ({ ...x, ...hello })),
    show: (x) => x.body,
    describe: (x) => `message=${x.message} dtls=${x.dtls} truncated=${x.truncated} odd=${x.odd} bytes=${hexOf(x.body)}`,
    run: (x) => {
      const notes: TlsAnomaly[] = [];
      const [buf, off, len] = embed(x.body, x.embed);
      const o = x.odd ?? [off, len];
      const opts = { dtls: x.dtls === true, truncated: x.truncated, notes };
      const ch = x.message ? parseClientHelloMessage(buf, o[0], o[1], opts) : parseClientHello(buf, o[0], o[1], opts);
      fingerprints(ch);
      if (!x.message && !x.dtls) clientFields(x.body, x.truncated, 'q', []);
      return ch !== null;
    },
  });
  const tlsServer = target({
    name: 'tls.server_hello', weight: 6,
    arb: fc.record({ hello: helloInput(s.serverHellos, serverMsgs), truncated: fc.boolean(), embed: embedArb })
      .map(({ hello, ...x }) => ({ ...x, ...hello })),
    show: (x) => x.body,
    describe: (x) => `message=${x.message} truncated=${x.truncated} bytes=${hexOf(x.body)}`,
    run: (x) => {
      const [buf, off, len] = embed(x.body, x.embed);
      const opts = { truncated: x.truncated, notes: [] as TlsAnomaly[] };
      const sh = x.message ? parseServerHelloMessage(buf, off, len, opts) : parseServerHello(buf, off, len, opts);
      if (sh !== null) ja3s(sh);
      if (!x.message) serverFields(x.body, x.truncated, []);
      return sh !== null;
    },
  });
  /** A Certificate body around DER certificates (real ones, mutated, or random), lengths sometimes off. */
  const certList = fc.tuple(fc.array(bytesFrom(s.certs, [], 300), { minLength: 0, maxLength: 4 }), fc.boolean(), fc.integer({ min: -3, max: 3 }))
    .map(([certs, tls13, d]) => {
      const entries = certs.map((c) => concat([Uint8Array.of(...be24(c.length)), c, tls13 ? Uint8Array.of(0, 0) : EMPTY]));
      const list = concat(entries);
      return concat([tls13 ? Uint8Array.of(0) : EMPTY, Uint8Array.of(...be24(Math.max(0, list.length + d))), list]);
    });
  const tlsCert = target({
    name: 'tls.certificate', weight: 6,
    arb: fc.record({ body: bytesFrom(s.certificates, [certList]), tls13: fc.boolean(), truncated: fc.boolean(), embed: embedArb, describe: fc.boolean() }),
    show: (x) => x.body,
    describe: (x) => `tls13=${x.tls13} truncated=${x.truncated} bytes=${hexOf(x.body)}`,
    run: (x) => {
      const [buf, off, len] = embed(x.body, x.embed);
      const list = parseCertificateMessage(buf, off, len, { tls13: x.tls13, truncated: x.truncated, notes: [] });
      serverKeyExchangeCurve(buf, off, len, []);
      if (list !== null && x.describe) for (const c of list.certs.slice(0, 2)) describeCert(c);
      return list !== null && list.certs.length > 0;
    },
  });
  const x509 = target({
    name: 'x509.describe', weight: 3,
    arb: bytesFrom(s.certs, [], 600),
    show: (x) => x,
    describe: (x) => hexOf(x),
    run: (x) => describeCert(x) !== null,
  });

  // --------------------------------------------------------------- TLS over TCP: records and handshake reassembly
  /** A handshake message of a common type around random bytes (its length sometimes off). */
  const handshakeMsg = fc.tuple(fc.constantFrom(1, 2, 4, 11, 12, 14, 20, 99), randomBytes(300), rare(fc.integer({ min: -3, max: 3 }), 6))
    .map(([type, body, d]) => concat([Uint8Array.of(type, ...be24(Math.max(0, body.length + (d ?? 0)))), body]));
  /** A run of records of any content type and version around hellos or random bytes, lengths sometimes off. */
  const records = fc.array(fc.record({
    type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(20, 21, 22, 23, 24) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    version: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0x0301, 0x0303, 0x0304, 0x0300) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    body: bytesFrom(helloMsgs, [handshakeMsg, fc.constant(Uint8Array.of(1)), fc.constant(Uint8Array.of(2, 0))], 200),
    delta: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(0xffff, 16384 + 2049) }),
  }), { minLength: 1, maxLength: 6 }).map((rs) => concat(rs.flatMap((r) => {
    const len = r.delta > 255 ? r.delta : Math.max(0, Math.min(0xffff, r.body.length + r.delta));
    return [Uint8Array.of(r.type, ...be16(r.version), ...be16(len)), r.body];
  })));
  const tlsStream = target({
    name: 'tls.handshake_buffer', weight: 10,
    arb: fc.record({
      data: bytesFrom(s.tlsStreams, [records]),
      cuts: cutsArb,
      maxMessage: rare(fc.oneof(fc.integer({ min: -1, max: 64 }), fc.constant(16384)), 3),
      end: fc.boolean(),
      soak: soakArb,
    }),
    show: (x) => x.data,
    describe: (x) => `maxMessage=${x.maxMessage} cuts=${JSON.stringify(x.cuts)} end=${x.end} soak=${x.soak} data=${hexOf(x.data)}`,
    run: (x) => {
      const hb = new HandshakeBuffer(x.maxMessage ?? undefined);
      let got = false;
      const take = (m: HandshakeMessage | null): void => {
        if (m === null) return;
        got = true;
        check(m.body.length <= hb.maxMessage, `message body of ${m.body.length} bytes over the bound ${hb.maxMessage}`);
        const notes: TlsAnomaly[] = [];
        // What the TLS session does with each message, and the other readings of the same bytes.
        if (m.type === 1) {
          clientFields(m.body, m.truncated, 't', notes);
          fingerprints(parseClientHello(m.body, 0, m.body.length, { truncated: true }));
        } else if (m.type === 2) serverFields(m.body, m.truncated, notes);
        else if (m.type === 11) {
          parseCertificateMessage(m.body, 0, m.body.length, { truncated: m.truncated, notes });
          parseCertificateMessage(m.body, 0, m.body.length, { tls13: true });
        } else if (m.type === 12) serverKeyExchangeCurve(m.body, 0, m.body.length, notes);
      };
      chunksOf(x.data, x.cuts).forEach((c, i) => { for (const m of (i % 2 === 0 ? hb.push(c) : hb.push(...wide(c)))) take(m); });
      if (x.soak) soak(chunksOf(x.data, x.cuts), (c) => hb.push(c));
      if (x.end) take(hb.end());
      parseTlsRecords(x.data);
      looksLikeTlsHello(x.data);
      return got;
    },
  });

  // --------------------------------------------------------------- QUIC: datagrams as captured, mutated
  const rawQuic = s.quicFlows.length === 0
    ? fc.array(randomBytes(1400), { minLength: 1, maxLength: 3 }).map((grams) => ({ grams, fromClient: grams.map(() => true) }))
    : fc.tuple(fc.nat({ max: s.quicFlows.length - 1 }), fc.array(fc.array(mutationArb, { maxLength: 3 }), { maxLength: MAX_GRAMS }), fc.nat({ max: MAX_GRAMS }))
      .map(([i, opsList, keep]) => {
        const fl = s.quicFlows[i];
        const n = Math.max(1, Math.min(fl.grams.length, keep || fl.grams.length));
        return { grams: fl.grams.slice(0, n).map((g, k) => mutate(g, opsList[k] ?? [], fl.grams)), fromClient: fl.fromClient.slice(0, n) };
      });
  const quicRun = (grams: readonly Uint8Array[], hints: readonly (boolean | undefined)[], maxCrypto?: number): { decrypted: number } => {
    const ctx = new QuicFlowContext({ maxCryptoBytes: maxCrypto });
    for (let i = 0; i < grams.length; i++) {
      quickLooksLikeQuicInitial(grams[i], 0, grams[i].length);
      for (const info of parseQuicDatagram(grams[i], 0, grams[i].length, ctx, hints[i])) {
        check(info.packetOffset >= 0 && info.packetOffset + info.packetLength <= grams[i].length, 'packet outside its datagram');
      }
    }
    check(ctx.anomalies[QUIC_ANOMALY.quic_internal_error] === 0, 'quic_internal_error: parseQuicDatagram caught a throw');
    const ch = ctx.clientHello();
    if (ch !== null) { const notes: TlsAnomaly[] = []; fingerprints(parseClientHelloMessage(ch, 0, ch.length, { notes })); clientFields(ch.subarray(4), false, 'q', notes); }
    const sh = ctx.serverHello();
    if (sh !== null) { const p = parseServerHelloMessage(sh, 0, sh.length); if (p !== null) ja3s(p); }
    ctx.anomalyRecords();
    return { decrypted: ctx.decryptedPackets[0] + ctx.decryptedPackets[1] };
  };
  const quicRaw = target({
    name: 'quic.datagram', weight: 9,
    arb: fc.record({ flow: rawQuic, hinted: fc.boolean(), embed: embedArb, odd: rare(fc.tuple(oddNumber, oddNumber), 20) }),
    show: (x) => x.flow.grams[0],
    describe: (x) => `hinted=${x.hinted} odd=${x.odd} datagrams=${hexList(x.flow.grams)}`,
    run: (x) => {
      if (x.odd !== null) {
        const g = x.flow.grams[0];
        quickLooksLikeQuicInitial(g, x.odd[0], x.odd[1]);
        const ctx = new QuicFlowContext();
        parseQuicDatagram(g, x.odd[0], x.odd[1], ctx);
        check(ctx.anomalies[QUIC_ANOMALY.quic_internal_error] === 0, 'quic_internal_error with odd offset/length');
      }
      const [buf, off, len] = embed(x.flow.grams[0], x.embed);
      const ctx = new QuicFlowContext();
      parseQuicDatagram(buf, off, len, ctx);
      check(ctx.anomalies[QUIC_ANOMALY.quic_internal_error] === 0, 'quic_internal_error on an embedded datagram');
      return quicRun(x.flow.grams, x.hinted ? x.flow.fromClient : []).decrypted > 0;
    },
  });

  // --------------------------------------------------------------- QUIC: fuzzed frames sealed in real Initial packets
  const varintValue = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 63 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 20000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 31 }) },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 62 - 1, 2 ** 62 - 300, 2 ** 53, 2 ** 32, 16383, 16384) },
  );
  const vsize = fc.constantFrom(0, 0, 0, 2, 4, 8);
  const helloOrRandom = bytesFrom(helloMsgs, [], 300);
  const frameArb: fc.Arbitrary<number[] | Uint8Array> = fc.oneof(
    fc.integer({ min: 1, max: 40 }).map((n) => new Array<number>(n).fill(0)), // PADDING
    fc.constant<number[]>([0x01]), // PING
    fc.record({ ecn: fc.boolean(), largest: varintValue, delay: varintValue, ranges: fc.array(fc.tuple(varintValue, varintValue), { maxLength: 4 }), lie: rare(varintValue, 5), first: varintValue })
      .map((a) => [a.ecn ? 3 : 2, ...varint(a.largest), ...varint(a.delay), ...varint(a.lie ?? a.ranges.length), ...varint(a.first),
        ...a.ranges.flatMap(([g, l]) => [...varint(g), ...varint(l)]), ...(a.ecn ? [...varint(1), ...varint(2), ...varint(3)] : [])]),
    fc.record({ msg: helloOrRandom, from: fc.nat(), to: fc.nat(), offset: rare(varintValue, 3), size: vsize, lenDelta: rare(fc.integer({ min: -3, max: 3 }), 5) })
      .map((c) => { // CRYPTO: a piece of a handshake message, at its own offset or elsewhere
        const a = c.msg.length > 0 ? c.from % c.msg.length : 0;
        const b = a + (c.msg.length > 0 ? c.to % (c.msg.length - a + 1) : 0);
        const data = c.msg.subarray(a, b);
        return concat([Uint8Array.of(0x06, ...varint(c.offset ?? a, c.size), ...varint(Math.max(0, data.length + (c.lenDelta ?? 0)), c.size)), data]);
      }),
    fc.record({ app: fc.boolean(), code: varintValue, trigger: varintValue, reason: fc.uint8Array({ maxLength: 40 }), lenDelta: fc.integer({ min: -2, max: 2 }) })
      .map((c) => concat([Uint8Array.of(c.app ? 0x1d : 0x1c, ...varint(c.code), ...(c.app ? [] : varint(c.trigger)), ...varint(Math.max(0, c.reason.length + c.lenDelta))), c.reason])),
    fc.integer({ min: 0, max: 255 }).map((t) => [t]), // any type byte
  );
  /** Frames that carry a whole hello, split in two CRYPTO frames in either order, then padding. */
  const wholeHello = fc.tuple(fc.nat({ max: Math.max(0, helloMsgs.length - 1) }), fc.nat(), fc.boolean()).map(([i, cut, swap]) => {
    const m = helloMsgs[i] ?? Uint8Array.of(1, 0, 0, 0);
    const k = cut % (m.length + 1);
    const f1 = concat([Uint8Array.of(0x06, ...varint(0), ...varint(k)), m.subarray(0, k)]);
    const f2 = concat([Uint8Array.of(0x06, ...varint(k), ...varint(m.length - k)), m.subarray(k)]);
    return concat([...(swap ? [f2, f1] : [f1, f2]), new Uint8Array(4)]);
  });
  const plaintextArb = fc.oneof(
    { weight: 3, arbitrary: fc.array(frameArb, { minLength: 1, maxLength: 8 }).map((fs) => concat(fs.map((f) => (f instanceof Uint8Array ? f : Uint8Array.from(f))))) },
    { weight: 3, arbitrary: fc.tuple(wholeHello, mutationsArb).map(([p, ops]) => mutate(p, ops, helloMsgs)) },
    { weight: 1, arbitrary: randomBytes(1200) },
  );
  const quicSealed = target({
    name: 'quic.sealed', weight: 8,
    arb: fc.record({
      version: fc.constantFrom(QUIC_V1, QUIC_V2),
      dcid: fc.uint8Array({ minLength: 0, maxLength: 20 }),
      scids: fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })),
      packets: fc.array(fc.record({
        server: fc.boolean(), pn: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.nat()), pnLen: fc.integer({ min: 1, max: 4 }),
        reserved: rare(fc.integer({ min: 1, max: 3 }), 10), token: rare(fc.uint8Array({ maxLength: 24 }), 5),
        plaintext: plaintextArb, coalesce: fc.boolean(), pad: fc.boolean(), lenDelta: rare(fc.integer({ min: -20, max: 20 }), 10),
      }), { minLength: 1, maxLength: 4 }),
      hinted: fc.boolean(),
      maxCrypto: rare(fc.integer({ min: 0, max: 600 }), 5),
    }).map((x) => ({ ...x, ...sealDatagrams(x) })),
    show: (x) => x.grams[0],
    describe: (x) => `version=${x.version.toString(16)} dcid=${hexOf(x.dcid)} maxCrypto=${x.maxCrypto} datagrams=${hexList(x.grams)}`,
    run: (x) => quicRun(x.grams, x.hinted ? x.fromClient : [], x.maxCrypto ?? undefined).decrypted > 0,
  });

  // --------------------------------------------------------------- HTTP/1.x connections
  const token = fc.array(fc.constantFrom(...'ABCXYZabcxyz0189!#$%&\'*+.^_`|~-'), { maxLength: 12 }).map((cs) => cs.join(''));
  /** Any bytes, as latin1 text. */
  const text = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('latin1'));
  const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r');
  const headerArb = fc.tuple(
    fc.oneof(fc.constantFrom('Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Upgrade', 'Content-Type', 'User-Agent', 'Server',
      'host', 'CONTENT-LENGTH', ' Host', 'Host ', 'Content-Length '), token),
    fc.oneof(fc.constantFrom('chunked', 'gzip, chunked', 'chunked, gzip', 'identity', '0', '5', '-1', '+5', ' 5 ', '0x10', '00000000000000000005',
      '99999999999999999999', '9007199254740993', '5, 5', '5, 6', '', 'upgrade', 'close', 'keep-alive, Upgrade', 'websocket', 'h2c',
      '[::1]:8080', '[::1', 'example.com:99999', 'example.com:', 'ex ample', 'a.b:0'), text),
  );
  const chunkedBody = fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 40 }).map((n) => n.toString(16)), fc.constantFrom('ffffffffffffffff', '-1', 'x', '', '5;ext=1', '5 ', '10000000000000')), fc.uint8Array({ maxLength: 40 })), { maxLength: 4 })
    .map((cs) => cs.map(([size, data]) => `${size}\r\n${Buffer.from(data).toString('latin1')}\r\n`).join('') + '0\r\n\r\n');
  const headArb = fc.record({
    start: fc.oneof(
      fc.tuple(fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'M-SEARCH', 'PRI', 'get'), token),
        fc.oneof(fc.constantFrom('/', '/a?b=c', '*', 'http://h.example:8080/x', 'https://[::1]/', 'example.com:443', ''), text),
        fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.9', 'HTTP/2.0', 'http/1.1', 'HTTP/1.', '')).map(([m, p, v]) => `${m} ${p} ${v}`),
      fc.tuple(fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.x'), fc.oneof(fc.constantFrom('100', '101', '200', '204', '304', '404', '999', '20', '2000', 'abc'), fc.integer({ min: 0, max: 999 }).map(String)), text)
        .map(([v, c, r]) => `${v} ${c} ${r}`),
    ),
    headers: fc.array(headerArb, { maxLength: 10 }),
    eol,
    folded: fc.boolean(),
    body: fc.oneof(fc.constant(''), chunkedBody, text),
  }).map((h) => h.start + h.eol + h.headers.map(([n, v], i) => (h.folded && i === 1 ? ` ${v}` : `${n}:${v}`) + h.eol).join('') + h.eol + h.body);
  const httpConversation = fc.array(headArb, { minLength: 1, maxLength: 4 }).map((hs) => latin1(hs.join('')));
  const httpSides = s.http.length === 0
    ? fc.tuple(bytesFrom([], [httpConversation]), bytesFrom([], [httpConversation]))
    : fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.nat({ max: s.http.length - 1 }), mutationsArb, mutationsArb).map(([i, a, b]) => [mutate(s.http[i][0], a, []), mutate(s.http[i][1], b, [])] as [Uint8Array, Uint8Array]) },
      { weight: 3, arbitrary: fc.tuple(httpConversation, httpConversation) },
      { weight: 1, arbitrary: fc.tuple(randomBytes(), randomBytes()) },
    );
  const http = target({
    name: 'http', weight: 12,
    arb: fc.record({
      sides: httpSides,
      cuts: fc.tuple(cutsArb, cutsArb),
      order: fc.array(fc.boolean(), { maxLength: 24 }),
      gaps: fc.array(fc.record({ dir: fc.constantFrom<0 | 1>(0, 1), at: fc.nat({ max: 24 }), n: fc.oneof(fc.integer({ min: -1, max: 100 }), fc.constantFrom(NaN, 2 ** 40, 65536)) }), { maxLength: 2 }),
      ends: fc.tuple(fc.boolean(), fc.boolean()),
      soak: soakArb,
      opts: rare(fc.record({ maxHead: fc.integer({ min: 0, max: 300 }), maxHeaders: fc.integer({ min: 0, max: 5 }), maxPath: fc.integer({ min: 0, max: 20 }), maxValue: fc.integer({ min: 0, max: 20 }) }), 5),
    }),
    show: (x) => x.sides[0],
    describe: (x) => `cuts=${JSON.stringify(x.cuts)} order=${x.order.map(Number).join('')} gaps=${JSON.stringify(x.gaps)} ends=${x.ends} soak=${x.soak} opts=${JSON.stringify(x.opts)} `
      + `dir0=${hexOf(x.sides[0])} dir1=${hexOf(x.sides[1])}`,
    run: (x) => {
      const conn = new HttpConnection((x.opts ?? {}) as HttpStreamOptions);
      const queues = [chunksOf(x.sides[0], x.cuts[0]), chunksOf(x.sides[1], x.cuts[1])];
      let records = 0, step = 0;
      while (queues[0].length + queues[1].length > 0) {
        const want: 0 | 1 = x.order[step % Math.max(1, x.order.length)] ? 1 : 0;
        const dir: 0 | 1 = queues[want].length > 0 ? want : want === 0 ? 1 : 0;
        for (const g of x.gaps) if (g.at === step && g.dir === dir) conn.gap(dir, g.n);
        const c = queues[dir].shift()!;
        records += (step % 2 === 0 ? conn.push(dir, c) : conn.push(dir, ...wide(c))).length;
        step++;
      }
      if (x.soak) soak(chunksOf(x.sides[0], x.cuts[0]), (c) => conn.push(0, c));
      if (x.ends[0]) records += conn.end(0).length;
      if (x.ends[1]) records += conn.end(1).length;
      return records > 0;
    },
  });

  // --------------------------------------------------------------- TCP reassembly
  const tcp = target({
    name: 'tcp.reassembly', weight: 8,
    arb: fc.record({
      isn: fc.tuple(fc.oneof(fc.nat(), fc.constantFrom(0, 0xffffffff, 0xfffffff0, 0x7fffffff)).map((v) => v >>> 0), fc.nat().map((v) => v >>> 0)),
      segments: fc.array(fc.record({
        dir: fc.constantFrom(0, 1), syn: rare(fc.integer({ min: -2, max: 2 }), 12),
        at: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: -3000, max: 3000 }) }, { weight: 1, arbitrary: fc.nat().map((v) => v >>> 0) }),
        len: fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 40000 })),
        capCut: rare(fc.nat({ max: 1500 }), 4), wireExtra: rare(fc.integer({ min: -10, max: 100000 }), 6),
        off: fc.nat({ max: 8 }),
      }), { maxLength: 40 }),
      finish: fc.boolean(),
    }),
    show: (x) => Uint8Array.from(x.segments.flatMap((g) => [g.dir, ...be32(g.at >>> 0), ...be16(g.len)])).subarray(0, SHOW_BYTES),
    describe: (x) => JSON.stringify(x),
    run: (x) => {
      const got = [0, 0];
      const streams = new TcpStreams({
        data: (dir, buf, off, len) => {
          check(len > 0 && off >= 0 && off + len <= buf.length, `data(${dir}, off ${off}, len ${len}) outside a buffer of ${buf.length}`);
          got[dir] += len;
        },
        gap: (dir, n) => { check(n > 0 && Number.isInteger(n), `gap(${dir}, ${n})`); got[dir] += n; },
      });
      const next = [x.isn[0], x.isn[1]];
      for (const g of x.segments) {
        if (g.syn !== null) { streams.syn(g.dir, (x.isn[g.dir] + g.syn) >>> 0); next[g.dir] = (x.isn[g.dir] + 1) >>> 0; continue; }
        const seq = (next[g.dir] + g.at) >>> 0;
        const cap = g.capCut === null ? g.len : Math.min(g.len, g.capCut);
        const wire = g.wireExtra === null ? g.len : Math.max(0, g.len + g.wireExtra);
        const buf = new Uint8Array(g.off + cap);
        streams.segment(g.dir, seq, buf, g.off, cap, wire);
        if (g.at === 0) next[g.dir] = (seq + wire) >>> 0;
      }
      if (x.finish) streams.finish();
      for (let d = 0; d < 2; d++) check(streams.delivered(d) === got[d], `delivered(${d}) ${streams.delivered(d)} but the consumer got ${got[d]}`);
      return got[0] + got[1] > 0;
    },
  });

  // --------------------------------------------------------------- the whole path: capture records through processRange
  const anyPayload = bytesFrom([...dnsPool, ...s.tlsStreams.map((b) => b.subarray(0, 1400)), ...s.http.flatMap((h) => h.map((b) => b.subarray(0, 1400)))], [], 1400);
  const portArb = fc.oneof(fc.constantFrom(53, 5353, 5355, 443, 80, 8080, 853), fc.integer({ min: 1, max: 65535 }));
  const flowArb: fc.Arbitrary<WireFlow> = fc.oneof(
    // a real TCP connection, cut into segments, some mutated
    ...(s.tcpFlows.length === 0 ? [] : [fc.record({
      i: fc.nat({ max: s.tcpFlows.length - 1 }), cuts: fc.tuple(fc.array(fc.nat({ max: 0xffff }), { maxLength: 8 }), fc.array(fc.nat({ max: 0xffff }), { maxLength: 8 })),
      ops: fc.array(rare(mutationsArb, 3), { maxLength: 6 }), swap: rare(fc.nat(), 4), syn: fc.boolean(), fin: fc.boolean(), port: rare(portArb, 6), v6: fc.boolean(),
    }).map((f): WireFlow => {
      const fl = s.tcpFlows[f.i];
      const segs = [chunksOf(fl.dirs[0].subarray(0, 8192), f.cuts[0]), chunksOf(fl.dirs[1].subarray(0, 8192), f.cuts[1])];
      const pkts: WirePacket[] = [];
      if (f.syn) pkts.push({ fromServer: false, payload: EMPTY, flags: 0x02, jitter: 0, snap: null }, { fromServer: true, payload: EMPTY, flags: 0x12, jitter: 0, snap: null });
      for (let k = 0; k < Math.max(segs[0].length, segs[1].length); k++) {
        for (const d of [0, 1]) {
          const c = segs[d][k];
          if (c === undefined) continue;
          const ops = f.ops[pkts.length] ?? null;
          pkts.push({ fromServer: d === 1, payload: ops === null ? c : mutate(c, ops, []), flags: 0x18, jitter: 0, snap: null });
        }
      }
      if (f.swap !== null && pkts.length > 1) { // one pair out of order
        const k = f.swap % (pkts.length - 1);
        [pkts[k], pkts[k + 1]] = [pkts[k + 1], pkts[k]];
      }
      if (f.fin) pkts.push({ fromServer: false, payload: EMPTY, flags: 0x11, jitter: 0, snap: null });
      return { proto: 6, v6: f.v6, ports: [fl.ports[0], f.port ?? fl.ports[1]], packets: pkts };
    })]),
    // a real UDP flow (DNS, QUIC), some datagrams mutated
    ...(s.udpFlows.length === 0 ? [] : [fc.record({
      i: fc.nat({ max: s.udpFlows.length - 1 }), ops: fc.array(rare(mutationsArb, 3), { maxLength: MAX_GRAMS }), v6: fc.boolean(), port: rare(portArb, 8),
    }).map((f): WireFlow => {
      const fl = s.udpFlows[f.i];
      return {
        proto: 17, v6: f.v6, ports: [fl.ports[0], f.port ?? fl.ports[1]],
        packets: fl.grams.map((g, k) => ({ fromServer: !fl.fromClient[k], payload: mutate(g, f.ops[k] ?? [], fl.grams), flags: 0, jitter: 0, snap: null })),
      };
    })]),
    // anything: random ports, flags, sequence jitter, snaplen cuts, ICMP errors quoting a DNS query
    fc.record({
      proto: fc.constantFrom(6, 17, 1), v6: fc.boolean(), ports: fc.tuple(fc.integer({ min: 1024, max: 65535 }), portArb),
      packets: fc.array(fc.record({
        fromServer: fc.boolean(), payload: anyPayload, flags: fc.oneof(fc.constant(0x18), fc.integer({ min: 0, max: 0xff })),
        jitter: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2000, max: 2000 }) }, { weight: 1, arbitrary: fc.nat() }),
        snap: rare(fc.integer({ min: 14, max: 300 }), 4),
      }), { minLength: 1, maxLength: 8 }),
    }),
  );
  const pipeline = target({
    name: 'pipeline', weight: 2,
    arb: fc.tuple(fc.array(flowArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat({ max: 3 }), { maxLength: 64 }), rare(fc.integer({ min: 14, max: 200 }), 6))
      .map(([flows, order, snap]) => buildPcap(flows, order, snap)),
    show: (x) => x,
    describe: (x) => `pcap records (no file header: little-endian, µs, Ethernet) ${hexOf(x)}`,
    run: (x) => {
      const task = {
        index: 0, buffer: x.buffer as ArrayBuffer, length: x.length, baseOffset: 0,
        state: { kind: 'pcap' as const, headerDone: true, le: true, nsPerFrac: 1000, snap: 65535, linktype: 1, fcsBytes: 0, format: 'pcap' },
        flow: { ...DEFAULT_FLOW_OPTIONS, maxFlows: 64 }, inspect: true, sflowPort: 0,
      };
      const r = processRange(task);
      check(r.error === null, `processRange error: ${r.error}`);
      const internal = r.inspect?.anomalies.filter(([k]) => k.endsWith('internal_error')) ?? [];
      check(internal.length === 0, `inspection caught a throw: ${JSON.stringify(internal)}`);
      const o = r.inspect;
      return o !== null && o.dns.length + o.tls.length + o.quic.length + o.http.length > 0;
    },
  });

  return [dnsUdp, dnsTcp, tlsClient, tlsServer, tlsCert, x509, tlsStream, quicRaw, quicSealed, http, tcp, pipeline];
}

// ================================================================ QUIC sealing

interface SealSpec {
  version: number;
  dcid: Uint8Array;
  scids: [Uint8Array, Uint8Array];
  packets: { server: boolean; pn: number; pnLen: number; reserved: number | null; token: Uint8Array | null; plaintext: Uint8Array;
    coalesce: boolean; pad: boolean; lenDelta: number | null }[];
}

/**
 * Initial packets as the endpoints would send them (RFC 9001 5): keys from the client's first
 * DCID, AES-128-GCM over the frames, header protection; coalesced into datagrams as asked.
 */
function sealDatagrams(x: SealSpec): { grams: Uint8Array[]; fromClient: boolean[] } {
  const keys = deriveInitialKeys(x.version, x.dcid)!;
  const params = quicVersionParams(x.version)!;
  const grams: Uint8Array[] = [];
  const fromClient: boolean[] = [];
  for (const p of x.packets) {
    const k: QuicPacketKeys = p.server ? keys.server : keys.client;
    // The server addresses the client's SCID; the client its first DCID.
    const dcid = p.server ? x.scids[0] : x.dcid;
    const scid = p.server ? x.scids[1] : x.scids[0];
    let plain = p.plaintext;
    if (plain.length < 4) plain = concat([plain, new Uint8Array(4 - plain.length)]); // room for the header-protection sample
    const length = p.pnLen + plain.length + 16;
    const b0 = 0xc0 | (params.initialType << 4) | ((p.reserved ?? 0) << 2) | (p.pnLen - 1);
    const token = p.server ? EMPTY : (p.token ?? EMPTY);
    const header = Uint8Array.of(b0, ...be32(x.version), dcid.length, ...dcid, scid.length, ...scid, ...varint(token.length), ...token,
      ...varint(Math.max(0, length + (p.lenDelta ?? 0)), 2), ...be32(p.pn).slice(4 - p.pnLen));
    const pnOff = header.length - p.pnLen;
    const c = createCipheriv('aes-128-gcm', k.key, packetNonce(k.iv, p.pn), { authTagLength: 16 });
    c.setAAD(header);
    const sealed = concat([header, c.update(plain), c.final(), c.getAuthTag()]);
    const mask = headerProtectionMask(k, sealed, pnOff + 4);
    sealed[0] ^= mask[0] & 0x0f;
    for (let i = 0; i < p.pnLen; i++) sealed[pnOff + i] ^= mask[1 + i];
    const packet = p.pad ? concat([sealed, new Uint8Array(Math.max(0, 1200 - sealed.length))]) : sealed;
    if (p.coalesce && grams.length > 0 && fromClient[fromClient.length - 1] === !p.server) grams[grams.length - 1] = concat([grams[grams.length - 1], packet]);
    else { grams.push(packet); fromClient.push(!p.server); }
  }
  return { grams, fromClient };
}

// ================================================================ capture records for the pipeline target

interface WirePacket { fromServer: boolean; payload: Uint8Array; flags: number; jitter: number; snap: number | null }
interface WireFlow { proto: number; v6: boolean; ports: [number, number]; packets: WirePacket[] }

/**
 * Classic pcap records (little-endian, µs, Ethernet; the file header is left out: the range starts
 * after it) of the flows' packets, the flows interleaved in `order`. TCP sequence numbers follow
 * the payloads, plus each packet's jitter; `snap` cuts every record (and a packet's own snap, it).
 */
function buildPcap(flows: WireFlow[], order: number[], snap: number | null): Uint8Array {
  const records: Uint8Array[] = [];
  const nextSeq = flows.map((_, i) => [1000 + i * 7919, 5_000_000 + i * 104729]);
  const at = flows.map(() => 0);
  let time = 0;
  const emit = (f: WireFlow, i: number, p: WirePacket): void => {
    const d = p.fromServer ? 1 : 0;
    const [sport, dport] = p.fromServer ? [f.ports[1], f.ports[0]] : f.ports;
    let l4: Uint8Array;
    if (f.proto === 6) {
      const seq = (nextSeq[i][d] + p.jitter) >>> 0;
      nextSeq[i][d] += p.payload.length + ((p.flags & 0x03) !== 0 ? 1 : 0);
      l4 = concat([Uint8Array.of(...be16(sport), ...be16(dport), ...be32(seq), ...be32(nextSeq[i][1 - d] >>> 0), 0x50, p.flags, 0xff, 0xff, 0, 0, 0, 0), p.payload]);
    } else if (f.proto === 17) {
      l4 = concat([Uint8Array.of(...be16(sport), ...be16(dport), ...be16(8 + p.payload.length), 0, 0), p.payload]);
    } else {
      // ICMP port unreachable quoting a UDP datagram to port 53 (IPv4 only).
      const quoted = concat([ipv4(17, 8 + p.payload.length, true, i), Uint8Array.of(...be16(sport), 0, 53, ...be16(8 + p.payload.length), 0, 0), p.payload]);
      l4 = concat([Uint8Array.of(3, 3, 0, 0, 0, 0, 0, 0), quoted]);
    }
    const v6 = f.v6 && f.proto !== 1;
    const ip = v6 ? ipv6(f.proto, l4.length, p.fromServer, i) : ipv4(f.proto, l4.length, p.fromServer, i);
    const frame = concat([Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ...(v6 ? [0x86, 0xdd] : [0x08, 0x00])), ip, l4]);
    const cut = Math.min(frame.length, p.snap ?? frame.length, snap ?? frame.length);
    time += 1000;
    records.push(Uint8Array.of(...le32(Math.floor(time / 1e6)), ...le32(time % 1e6), ...le32(cut), ...le32(frame.length)), frame.subarray(0, cut));
  };
  // Take the next packet of the flow `order` names (wrapping), then whatever is left, flow by flow.
  for (const o of order) { const i = o % flows.length; const p = flows[i].packets[at[i]]; if (p !== undefined) { emit(flows[i], i, p); at[i]++; } }
  flows.forEach((f, i) => { for (; at[i] < f.packets.length; at[i]++) emit(f, i, f.packets[at[i]]); });
  return concat(records);
}

const le32 = (v: number): number[] => be32(v).reverse();

function ipv4(proto: number, l4len: number, fromServer: boolean, flow: number): Uint8Array {
  const a = [10, 0, 0, 1], b = [10, 0, 1, 1 + flow];
  const [src, dst] = fromServer ? [b, a] : [a, b];
  return Uint8Array.of(0x45, 0, ...be16(20 + l4len), 0, 0, 0x40, 0, 64, proto, 0, 0, ...src, ...dst);
}

function ipv6(proto: number, l4len: number, fromServer: boolean, flow: number): Uint8Array {
  const a = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1], b = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 0x10 + flow];
  const [src, dst] = fromServer ? [b, a] : [a, b];
  return Uint8Array.of(0x60, 0, 0, 0, ...be16(l4len), proto, 64, ...src, ...dst);
}

// ================================================================ the worker: runs the cases

interface Failure { target: string; caseIndex: number; kind: 'throw' | 'invariant' | 'slow' | 'memory' | 'hang'; message: string; stack: string; input: string }

interface TargetResult {
  name: string;
  cases: number;
  failures: number;
  accepted: number;
  slowestMs: number;
  slowestCase: number;
  slowestInput: string;
  ms: number;
}

interface WorkerInput { opts: Options; seeds: Seeds; shared: SharedArrayBuffer }

type FromWorker =
  | { type: 'progress'; line: string }
  | { type: 'target'; result: TargetResult }
  | { type: 'failure'; failure: Failure }
  | { type: 'done'; heapMaxMb: number; rssMaxMb: number; gc: boolean; samples: number };

/** Shared with the main thread: [target index, case index, input length, busy] + case start time + input head. */
function sharedViews(sab: SharedArrayBuffer): { ctl: Int32Array; started: Float64Array; input: Uint8Array } {
  return { ctl: new Int32Array(sab, 0, 4), started: new Float64Array(sab, 16, 1), input: new Uint8Array(sab, 24, SHOW_BYTES) };
}

/** Seed of one target: from --seed and its name, so that --only and --cases leave the other targets' cases as they were. */
function targetSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

function shares(targets: Target<unknown>[], total: number): number[] {
  const sum = targets.reduce((a, t) => a + t.weight, 0);
  const n = targets.map((t) => Math.floor((total * t.weight) / sum));
  n[0] += total - n.reduce((a, b) => a + b, 0);
  return n;
}

function runWorker(w: WorkerInput): void {
  const post = (m: FromWorker): void => parentPort!.postMessage(m);
  const { ctl, started, input } = sharedViews(w.shared);
  const all = buildTargets(w.seeds);
  const targets = all.filter((t) => w.opts.only === null || w.opts.only.includes(t.name));
  const counts = shares(targets, w.opts.cases);
  const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
  let heapMaxMb = 0, rssMaxMb = 0, samples = 0, total = 0;

  targets.forEach((t, ti) => {
    const r: TargetResult = { name: t.name, cases: 0, failures: 0, accepted: 0, slowestMs: 0, slowestCase: -1, slowestInput: '', ms: 0 };
    const perKind = new Map<string, number>();
    const fail = (f: Omit<Failure, 'target' | 'caseIndex'>, i: number): void => {
      r.failures++;
      // Sent at once, so that they are not lost if a later case hangs the worker.
      const n = perKind.get(f.kind) ?? 0;
      perKind.set(f.kind, n + 1);
      if (n < KEEP_FAILURES) post({ type: 'failure', failure: { target: t.name, caseIndex: i, ...f } });
    };
    const index = all.indexOf(t);
    const t0 = performance.now();
    fc.assert(fc.property(t.arb, (x) => {
      const i = r.cases++;
      const head = t.show(x);
      input.set(head.subarray(0, SHOW_BYTES));
      ctl[0] = index; ctl[1] = i; ctl[2] = head.length;
      started[0] = Date.now();
      Atomics.store(ctl, 3, 1);
      const c0 = performance.now();
      const cpu0 = process.cpuUsage();
      try {
        if (t.run(x)) r.accepted++;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        fail({ kind: e instanceof InvariantError ? 'invariant' : 'throw', message: err.message, stack: err.stack ?? '', input: t.describe(x) }, i);
      }
      const ms = performance.now() - c0;
      Atomics.store(ctl, 3, 0);
      if (ms > r.slowestMs) { r.slowestMs = ms; r.slowestCase = i; r.slowestInput = hexOf(head, 64); }
      if (ms > SLOW_MS) {
        // Slow by the clock, and by CPU time too (so that a busy machine alone does not fail a case).
        const cpu = process.cpuUsage(cpu0);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        if (cpuMs > SLOW_MS) fail({ kind: 'slow', message: `${ms.toFixed(0)} ms, ${cpuMs.toFixed(0)} ms CPU (limit ${SLOW_MS})`, stack: '', input: t.describe(x) }, i);
      }
      if (++total % SAMPLE_EVERY === 0) {
        const heap = gcExposed ? heapAfterGc() : process.memoryUsage().heapUsed / 2 ** 20;
        rssMaxMb = Math.max(rssMaxMb, process.memoryUsage.rss() / 2 ** 20);
        heapMaxMb = Math.max(heapMaxMb, heap);
        samples++;
        if (heap > HEAP_LIMIT_MB) fail({ kind: 'memory', message: `heap ${heap.toFixed(0)} MiB after GC (limit ${HEAP_LIMIT_MB})`, stack: '', input: '' }, i);
        post({ type: 'progress', line: `${total} cases (${t.name} ${r.cases}/${counts[ti]}), heap ${heap.toFixed(1)} MiB` });
      }
    }), { seed: targetSeed(w.opts.seed, t.name), numRuns: counts[ti] });
    r.ms = performance.now() - t0;
    post({ type: 'target', result: r });
  });
  heapMaxMb = Math.max(heapMaxMb, gcExposed ? heapAfterGc() : process.memoryUsage().heapUsed / 2 ** 20);
  rssMaxMb = Math.max(rssMaxMb, process.memoryUsage.rss() / 2 ** 20);
  samples++;
  post({ type: 'done', heapMaxMb, rssMaxMb, gc: gcExposed, samples });
}

/** Runs case `index` of one target again, in this thread, and prints its input and what happened. */
function replay(opts: Options, seeds: Seeds): number {
  const t = buildTargets(seeds).find((x) => x.name === opts.replay!.name);
  if (t === undefined) { console.error(`no target ${opts.replay!.name}`); return 2; }
  let rc = 0;
  showBytes = Infinity;
  fc.assert(fc.property(t.arb, (x) => {
    console.log(`${t.name} case ${opts.replay!.index} (seed ${opts.seed}):\n${t.describe(x)}`);
    const t0 = performance.now();
    try {
      console.log(`returned ${t.run(x)} in ${(performance.now() - t0).toFixed(2)} ms`);
    } catch (e) {
      console.log(`threw after ${(performance.now() - t0).toFixed(2)} ms:`, e);
      rc = 1;
    }
  }), { seed: targetSeed(opts.seed, t.name), path: String(opts.replay!.index), numRuns: 1, endOnFailure: true });
  return rc;
}

// ================================================================ the main thread: seeds, watchdog, report

function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

async function main(): Promise<number> {
  const opts = readOptions(process.argv.slice(2));
  const t0 = performance.now();
  const seeds = await extractSeeds(opts.corpus);
  console.log(`${seedSummary(seeds)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  if (process.argv.includes('--list')) { for (const t of buildTargets(seeds)) console.log(`${t.name} (weight ${t.weight})`); return 0; }
  if (opts.replay !== null) return replay(opts, seeds);
  const names = buildTargets(seeds).map((t) => t.name);
  const unknown = (opts.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0) { console.error(`unknown target(s) ${unknown.join(', ')}; targets: ${names.join(', ')}`); return 2; }

  // A forced GC before each heap sample: the worker's isolate is made after this, so it gets `gc`.
  setFlagsFromString('--expose-gc');
  const shared = new SharedArrayBuffer(24 + SHOW_BYTES);
  const { ctl, started, input } = sharedViews(shared);
  const results: TargetResult[] = [];
  const failed: Failure[] = [];
  let done: Extract<FromWorker, { type: 'done' }> | null = null;
  const fuzzStart = performance.now();
  console.log(`fuzzing ${opts.cases} cases, seed ${opts.seed}${opts.only ? `, only ${opts.only.join(',')}` : ''}`);

  const worker = new Worker(new URL(import.meta.url), {
    workerData: { opts, seeds, shared } satisfies WorkerInput,
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  const current = (): Omit<Failure, 'kind' | 'message' | 'stack'> => ({
    target: names[ctl[0]] ?? '?', caseIndex: ctl[1], input: hexOf(input.slice(0, Math.min(ctl[2], SHOW_BYTES))) + (ctl[2] > SHOW_BYTES ? `... (${ctl[2]} bytes)` : ''),
  });
  await new Promise<void>((resolve) => {
    const watchdog = setInterval(() => {
      if (Atomics.load(ctl, 3) === 1 && Date.now() - started[0] > HANG_MS) {
        failed.push({ ...current(), kind: 'hang', message: `still running after ${HANG_MS} ms: stopped`, stack: '' });
        void worker.terminate();
      }
    }, 500);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') console.error(`  ${m.line}`);
      else if (m.type === 'failure') failed.push(m.failure);
      else if (m.type === 'target') { results.push(m.result); console.error(`  ${m.result.name}: ${m.result.cases} cases, ${m.result.failures} failures`); }
      else done = m;
    });
    worker.on('error', (e) => {
      failed.push({ ...current(), kind: e.message.includes('memory') ? 'memory' : 'throw', message: `worker died: ${e.message}`, stack: e.stack ?? '' });
    });
    worker.on('exit', () => { clearInterval(watchdog); resolve(); });
  });
  const seconds = (performance.now() - fuzzStart) / 1000;

  // The report.
  const line = (name: string, cases: number, failures: number | string, accepted: string, slow: string, ms: number): string =>
    `${pad(name, 22, true)}${pad(cases, 10)}${pad(failures, 10)}${pad(accepted, 10)}${pad(slow, 12)}${pad((ms / 1000).toFixed(1), 9)}${pad(ms > 0 ? Math.round(cases / (ms / 1000)) : '-', 10)}`;
  console.log(`\n${pad('parser', 22, true)}${pad('cases', 10)}${pad('failures', 10)}${pad('accepted', 10)}${pad('slowest ms', 12)}${pad('time s', 9)}${pad('cases/s', 10)}`);
  for (const r of results) console.log(line(r.name, r.cases, r.failures, `${((100 * r.accepted) / Math.max(1, r.cases)).toFixed(1)}%`, r.slowestMs.toFixed(2), r.ms));
  const cases = results.reduce((a, r) => a + r.cases, 0);
  const failures = results.reduce((a, r) => a + r.failures, 0) + failed.filter((f) => f.kind === 'hang' || f.message.startsWith('worker died')).length;
  console.log(line('total', cases, failures, '', Math.max(0, ...results.map((r) => r.slowestMs)).toFixed(2), seconds * 1000));
  const d = done as Extract<FromWorker, { type: 'done' }> | null;
  if (d !== null) {
    console.log(`heap: max ${d.heapMaxMb.toFixed(1)} MiB ${d.gc ? 'after forced GC' : '(no forced GC)'} over ${d.samples} samples (limit ${HEAP_LIMIT_MB} MiB); process RSS max ${d.rssMaxMb.toFixed(0)} MiB`);
  } else console.log('the worker did not finish: results above are of the targets it completed');
  console.log(`"accepted": cases where the parser produced a result (a message, a hello, a record, a decrypted packet). Slow limit ${SLOW_MS} ms per case.`);
  for (const r of results) {
    if (r.slowestCase >= 0) console.log(`slowest ${r.name}: case ${r.slowestCase}, ${r.slowestMs.toFixed(1)} ms, input ${r.slowestInput}`);
  }
  for (const f of failed) {
    console.log(`\nFAIL ${f.kind} in ${f.target}, case ${f.caseIndex} (replay: --seed ${opts.seed} --replay ${f.target}:${f.caseIndex}): ${f.message}`);
    if (f.input) console.log(`  input: ${f.input}`);
    // The stack down to the fuzzer's own frames (fast-check's below them say nothing).
    const stack = f.stack.split('\n');
    const cut = stack.findIndex((l) => l.includes('node_modules/fast-check'));
    if (f.stack) console.log(stack.slice(0, cut > 0 ? cut : 12).map((l) => `  ${l}`).join('\n'));
  }
  if (seeds.note.startsWith('random only')) console.log(`\nnote: ${seeds.note}`);
  return failures > 0 || d === null ? 1 : 0;
}

if (isMainThread) process.exitCode = await main();
else runWorker(workerData as WorkerInput);
