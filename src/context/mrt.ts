/**
 * MRT routing dumps (RFC 6396), read as a stream of chunks (plain, gzip or bzip2, told apart by
 * their first bytes). Record headers are walked in place like pcap records; a record that spans
 * chunks is gathered into one buffer (records may exceed 64 KiB). The BGP content is read with
 * bgp-message.ts.
 *
 * Read: TABLE_DUMP_V2 (13) PEER_INDEX_TABLE, RIB_IPV4_UNICAST, RIB_IPV6_UNICAST and their ADD-PATH
 * forms (RFC 8050); BGP4MP (16) and BGP4MP_ET (17) STATE_CHANGE(_AS4), MESSAGE(_AS4) and the
 * LOCAL / ADDPATH forms; the old TABLE_DUMP (12). Multicast RIBs, RIB_GENERIC and the non-BGP MRT
 * types are skipped by length and counted in `skipped`; unknown types and subtypes are counted as
 * anomalies. A record cut short at the end stops reading with an error that names the file and
 * the byte offset (in the decompressed stream); everything before it has been delivered.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import unbzip2 from 'unbzip2-stream';
import {
  AFI_IPV4, AFI_IPV6, BGP_UPDATE, ipv4At, ipv6At, originAs, parseBgpAttributes, parseBgpMessage, prefixText,
  type BgpAggregator, type BgpAttributes, type BgpMessage, type BgpOrigin,
} from './bgp-message.js';

export const MRT_HEADER_LEN = 12;
/** Longest record accepted; a longer length field is taken for corruption. */
export const MRT_MAX_RECORD_LEN = 64 * 1024 * 1024;

export const MRT_TABLE_DUMP = 12;
export const MRT_TABLE_DUMP_V2 = 13;
export const MRT_BGP4MP = 16;
export const MRT_BGP4MP_ET = 17;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  11: 'OSPFv2', 12: 'TABLE_DUMP', 13: 'TABLE_DUMP_V2', 16: 'BGP4MP', 17: 'BGP4MP_ET',
  32: 'ISIS', 33: 'ISIS_ET', 48: 'OSPFv3', 49: 'OSPFv3_ET',
};

const TD2_SUBTYPES: Readonly<Record<number, string>> = {
  1: 'PEER_INDEX_TABLE', 2: 'RIB_IPV4_UNICAST', 3: 'RIB_IPV4_MULTICAST', 4: 'RIB_IPV6_UNICAST',
  5: 'RIB_IPV6_MULTICAST', 6: 'RIB_GENERIC', 7: 'GEO_PEER_TABLE', 8: 'RIB_IPV4_UNICAST_ADDPATH',
  9: 'RIB_IPV4_MULTICAST_ADDPATH', 10: 'RIB_IPV6_UNICAST_ADDPATH', 11: 'RIB_IPV6_MULTICAST_ADDPATH',
  12: 'RIB_GENERIC_ADDPATH',
};

const BGP4MP_SUBTYPES: Readonly<Record<number, string>> = {
  0: 'STATE_CHANGE', 1: 'MESSAGE', 2: 'ENTRY', 3: 'SNAPSHOT', 4: 'MESSAGE_AS4', 5: 'STATE_CHANGE_AS4',
  6: 'MESSAGE_LOCAL', 7: 'MESSAGE_AS4_LOCAL', 8: 'MESSAGE_ADDPATH', 9: 'MESSAGE_AS4_ADDPATH',
  10: 'MESSAGE_LOCAL_ADDPATH', 11: 'MESSAGE_AS4_LOCAL_ADDPATH',
};

const TD1_SUBTYPES: Readonly<Record<number, string>> = { 1: 'AFI_IPv4', 2: 'AFI_IPv6' };

/** "TYPE/SUBTYPE" names as in RFC 6396 / RFC 8050, or numbers when unknown. */
export function mrtRecordName(type: number, subtype: number): string {
  const t = TYPE_NAMES[type];
  const table = type === 13 ? TD2_SUBTYPES : type === 16 || type === 17 ? BGP4MP_SUBTYPES : type === 12 ? TD1_SUBTYPES : null;
  const s = table?.[subtype];
  return `${t ?? `type ${type}`}/${s ?? `subtype ${subtype}`}`;
}

// ---------------------------------------------------------------------------------------------
// Entries

interface MrtEntryBase {
  /** Seconds (the record header's timestamp). */
  time: number;
  /** Microseconds of the _ET types, else 0. */
  micros: number;
  /** MRT type and subtype of the record. */
  type: number;
  subtype: number;
  /** Offset of the record in the (decompressed) file. */
  offset: number;
}

/** Route fields of a RIB entry or an announcement. Entries made from one record share the arrays: do not change them. */
export interface MrtRouteFields {
  peerIp: string;
  peerAs: number;
  prefix: string;
  /** ADD-PATH path identifier, else null. */
  pathId: number | null;
  asPath: number[];
  asPathText: string;
  originAs: number | null;
  origin: BgpOrigin | null;
  /** The next hop for this prefix (for IPv6 the global address); null when none was given. */
  nextHop: string | null;
  /** All next hops given (IPv6: global, then link-local). */
  nextHops: string[];
  localPref: number | null;
  med: number | null;
  communities: string[];
  largeCommunities: string[];
  atomicAggregate: boolean;
  aggregator: BgpAggregator | null;
  attrs: BgpAttributes;
  anomalies: string[];
}

/** One RIB entry of a TABLE_DUMP_V2 RIB record (or one TABLE_DUMP record). */
export interface MrtRibEntry extends MrtEntryBase, MrtRouteFields {
  kind: 'rib';
  /** Index into the PEER_INDEX_TABLE (-1 for TABLE_DUMP). */
  peerIndex: number;
  peerBgpId: string;
  originatedTime: number;
  /** The record's sequence number. */
  seq: number;
}

/** One prefix announced by a BGP4MP UPDATE. */
export interface MrtAnnounce extends MrtEntryBase, MrtRouteFields {
  kind: 'announce';
  localIp: string;
  localAs: number;
  /** The UPDATE was sent by the collector (the _LOCAL subtypes). */
  local: boolean;
}

/** One prefix withdrawn by a BGP4MP UPDATE. */
export interface MrtWithdraw extends MrtEntryBase {
  kind: 'withdraw';
  peerIp: string;
  peerAs: number;
  localIp: string;
  localAs: number;
  local: boolean;
  prefix: string;
  pathId: number | null;
  anomalies: string[];
}

export interface MrtStateChange extends MrtEntryBase {
  kind: 'state';
  peerIp: string;
  peerAs: number;
  localIp: string;
  localAs: number;
  /** BGP FSM states (RFC 6396 4.4.1): 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established. */
  oldState: number;
  newState: number;
}

/** A BGP4MP message other than an UPDATE (OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH). */
export interface MrtOtherMessage extends MrtEntryBase {
  kind: 'message';
  peerIp: string;
  peerAs: number;
  localIp: string;
  localAs: number;
  local: boolean;
  message: BgpMessage;
}

export interface MrtPeer {
  bgpId: string;
  ip: string;
  asn: number;
}

/** A TABLE_DUMP_V2 PEER_INDEX_TABLE. */
export interface MrtPeerTable extends MrtEntryBase {
  kind: 'peers';
  collectorId: string;
  viewName: string;
  peers: MrtPeer[];
}

export type MrtEntry = MrtRibEntry | MrtAnnounce | MrtWithdraw | MrtStateChange | MrtOtherMessage | MrtPeerTable;

export interface MrtSummary {
  path: string;
  compression: 'none' | 'gzip' | 'bzip2';
  /** Bytes read (decompressed). */
  bytes: number;
  records: number;
  /** Records by "TYPE/SUBTYPE" name. */
  recordTypes: Record<string, number>;
  /** Entries delivered by kind. */
  entries: Record<MrtEntry['kind'], number>;
  /** Anomalies by kind, each occurrence counted. */
  anomalies: Record<string, number>;
  /** What was passed over on purpose, by name (record types, MP families not read). */
  skipped: Record<string, number>;
  /** Why reading stopped early, or null. */
  error: string | null;
  errorOffset: number | null;
}

/** Bad MRT input: names the file and the byte offset (in the decompressed stream). */
export class MrtError extends Error {
  constructor(readonly path: string, readonly offset: number, readonly reason: string) {
    super(`${path}: at byte ${offset}: ${reason}`);
    this.name = 'MrtError';
  }
}

export interface MrtReadOptions {
  /** Throw the MrtError (after delivering everything before it) instead of returning it in the summary. */
  strict?: boolean;
  /** Bytes per read from the file (default 1 MiB); small values exercise records that span reads. */
  chunkSize?: number;
}

// ---------------------------------------------------------------------------------------------
// Reading

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

async function sniff(path: string): Promise<MrtSummary['compression']> {
  const fh = await open(path, 'r');
  try {
    const b = new Uint8Array(3);
    const { bytesRead } = await fh.read(b, 0, 3, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (bytesRead === 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** The file's (decompressed) bytes as a stream, and a way to close every stream of the chain. */
function chunks(path: string, compression: MrtSummary['compression'], chunkSize: number): { stream: Readable; close: () => void; failed?: () => Error | null } {
  const src = createReadStream(path, { highWaterMark: chunkSize });
  if (compression === 'none') return { stream: src, close: () => src.destroy() };
  if (compression === 'gzip') {
    const gz = createGunzip();
    src.on('error', (e) => gz.destroy(e));
    src.pipe(gz);
    return { stream: gz, close: () => { src.destroy(); gz.destroy(); } };
  }
  // unbzip2-stream is an old-style stream; a PassThrough makes it async-iterable with backpressure.
  // A decoder error ends the output after what it already gave (whole blocks before the damage are
  // kept, as with gzip); the error is then reported once those bytes were read.
  const bz = unbzip2();
  const out = new PassThrough();
  let failed: Error | null = null;
  src.on('error', (e) => out.destroy(e));
  bz.on('error', (e: Error) => { failed ??= e; out.end(); });
  src.pipe(bz).pipe(out);
  return { stream: out, close: () => { src.destroy(); bz.destroy(); out.destroy(); }, failed: () => failed };
}

type Deliver = (e: MrtEntry) => void | Promise<void>;

/**
 * Reads the MRT file at `path`, calling `onEntry` for each entry in file order (a returned promise
 * is awaited before the next entry). Bad content never throws (unless `strict`): the summary's
 * error says where reading stopped. A file that cannot be opened throws.
 */
export async function readMrt(path: string, onEntry: Deliver, opts: MrtReadOptions = {}): Promise<MrtSummary> {
  const compression = await sniff(path);
  const w = new MrtWalker(path, compression, onEntry);
  const { stream, close, failed } = chunks(path, compression, Math.max(1, Math.floor(opts.chunkSize ?? 1 << 20)));
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await it.next();
      } catch (e) {
        const why = (e as Error).message;
        // unbzip2-stream reports a cut or corrupt stream as whatever its decoder tripped on.
        w.fail(w.position(), compression === 'bzip2' ? `bzip2: data cut short or corrupt (${why})` : `${compression === 'none' ? 'read' : compression}: ${why}`);
        break;
      }
      if (next.done) {
        const bad = failed?.() ?? null;
        if (bad !== null) w.fail(w.position(), `bzip2: data cut short or corrupt${bad instanceof TypeError ? '' : ` (${bad.message})`}; the whole blocks before it are kept`);
        else w.finish();
        break;
      }
      if (!(await w.chunk(next.value))) break;
    }
  } finally {
    close();
  }
  const s = w.summary;
  if (opts.strict && s.error !== null) throw new MrtError(path, s.errorOffset ?? 0, w.reason ?? s.error);
  return s;
}

/** Per-record fields shared by the entries it makes. */
interface Rec {
  time: number;
  micros: number;
  type: number;
  subtype: number;
  offset: number;
}

class MrtWalker {
  readonly summary: MrtSummary;
  reason: string | null = null;
  private carry = new Uint8Array(0);
  private carryLen = 0;
  private carryStart = 0;
  private base = 0;
  private peers: MrtPeer[] = [];
  /** Entries of the record being read, delivered when it is done. */
  private batch: MrtEntry[] = [];

  constructor(readonly path: string, compression: MrtSummary['compression'], private readonly onEntry: Deliver) {
    this.summary = {
      path, compression, bytes: 0, records: 0, recordTypes: {},
      entries: { rib: 0, announce: 0, withdraw: 0, state: 0, message: 0, peers: 0 },
      anomalies: {}, skipped: {}, error: null, errorOffset: null,
    };
  }

  /** Bytes consumed so far (the stream position). */
  position(): number { return this.base; }

  fail(offset: number, reason: string): void {
    if (this.summary.error !== null) return;
    this.reason = reason;
    this.summary.error = new MrtError(this.path, offset, reason).message;
    this.summary.errorOffset = offset;
  }

  /** End of stream: a partial record left over is the error. */
  finish(): void {
    this.summary.bytes = this.base;
    if (this.carryLen === 0) return;
    if (this.carryLen < MRT_HEADER_LEN) {
      this.fail(this.carryStart, `MRT record cut short: header has ${this.carryLen} of ${MRT_HEADER_LEN} bytes`);
    } else {
      const total = MRT_HEADER_LEN + u32(this.carry, 8);
      this.fail(this.carryStart, `MRT record cut short: ${this.carryLen} of ${total} bytes (${mrtRecordName(u16(this.carry, 4), u16(this.carry, 6))})`);
    }
  }

  private ensureCarry(n: number): void {
    if (this.carry.length >= n) return;
    const b = new Uint8Array(Math.max(n, this.carry.length * 2, 4096));
    b.set(this.carry.subarray(0, this.carryLen));
    this.carry = b;
  }

  private tooLong(len: number, at: number): boolean {
    if (len <= MRT_MAX_RECORD_LEN - MRT_HEADER_LEN) return false;
    this.fail(at, `MRT record length ${len} over the limit of ${MRT_MAX_RECORD_LEN} bytes`);
    return true;
  }

  /** One chunk of the stream; false when reading must stop. */
  async chunk(buf: Uint8Array): Promise<boolean> {
    const n = buf.length;
    let p = 0;
    if (this.carryLen > 0) {
      if (this.carryLen < MRT_HEADER_LEN) {
        const k = Math.min(MRT_HEADER_LEN - this.carryLen, n);
        this.ensureCarry(MRT_HEADER_LEN);
        this.carry.set(buf.subarray(0, k), this.carryLen);
        this.carryLen += k;
        p = k;
        if (this.carryLen < MRT_HEADER_LEN) { this.advance(n); return true; }
      }
      const len = u32(this.carry, 8);
      if (this.tooLong(len, this.carryStart)) return false;
      const total = MRT_HEADER_LEN + len;
      this.ensureCarry(total);
      const k = Math.min(total - this.carryLen, n - p);
      this.carry.set(buf.subarray(p, p + k), this.carryLen);
      this.carryLen += k;
      p += k;
      if (this.carryLen < total) { this.advance(n); return true; }
      this.carryLen = 0;
      this.record(this.carry, 0, this.carryStart);
      if (this.batch.length > 0) await this.deliver();
    }
    while (n - p >= MRT_HEADER_LEN) {
      const len = u32(buf, p + 8);
      if (this.tooLong(len, this.base + p)) return false;
      if (n - p < MRT_HEADER_LEN + len) break;
      this.record(buf, p, this.base + p);
      p += MRT_HEADER_LEN + len;
      if (this.batch.length > 0) await this.deliver();
    }
    if (p < n) {
      this.carryStart = this.base + p;
      this.carryLen = 0;
      this.ensureCarry(n - p >= MRT_HEADER_LEN ? MRT_HEADER_LEN + u32(buf, p + 8) : MRT_HEADER_LEN);
      this.carry.set(buf.subarray(p, n), 0);
      this.carryLen = n - p;
    }
    this.advance(n);
    return true;
  }

  private advance(n: number): void {
    this.base += n;
    this.summary.bytes = this.base;
  }

  /** Hands the record's entries on, one at a time: a returned promise is awaited before the next. */
  private async deliver(): Promise<void> {
    const b = this.batch;
    this.batch = [];
    for (const e of b) {
      const r = this.onEntry(e);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
    }
  }

  private emit(e: MrtEntry): void {
    this.summary.entries[e.kind]++;
    this.batch.push(e);
  }

  private anomaly(kind: string): void {
    bump(this.summary.anomalies, kind);
  }

  private anomalies(list: readonly string[], from = 0): void {
    for (let i = from; i < list.length; i++) this.anomaly(list[i]!);
  }

  /** The whole record (header included) at buf[off..]. */
  private record(buf: Uint8Array, off: number, at: number): void {
    const s = this.summary;
    s.records++;
    const time = u32(buf, off);
    const type = u16(buf, off + 4);
    const subtype = u16(buf, off + 6);
    const len = u32(buf, off + 8);
    let p = off + MRT_HEADER_LEN;
    const end = p + len;
    const name = mrtRecordName(type, subtype);
    bump(s.recordTypes, name);
    let micros = 0;
    if (type === MRT_BGP4MP_ET || type === 33 || type === 49) {
      // RFC 6396 3: the microsecond field follows the header and is counted in its length.
      if (len < 4) { this.anomaly('mrt_record_malformed'); return; }
      micros = u32(buf, p);
      p += 4;
    }
    const rec: Rec = { time, micros, type, subtype, offset: at };
    switch (type) {
      case MRT_TABLE_DUMP_V2: this.tableDumpV2(buf, p, end, rec, name); break;
      case MRT_BGP4MP:
      case MRT_BGP4MP_ET: this.bgp4mp(buf, p, end, rec, name); break;
      case MRT_TABLE_DUMP: this.tableDump(buf, p, end, rec); break;
      default:
        if (TYPE_NAMES[type] !== undefined) bump(s.skipped, name);
        else this.anomaly('mrt_unknown_type');
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // TABLE_DUMP_V2

  private tableDumpV2(buf: Uint8Array, p: number, end: number, rec: Rec, name: string): void {
    switch (rec.subtype) {
      case 1: this.peerIndexTable(buf, p, end, rec); break;
      case 2: this.rib(buf, p, end, rec, false, false); break;
      case 4: this.rib(buf, p, end, rec, true, false); break;
      // RFC 8050 numbers the ADD-PATH forms in the order of 2..6: 8 IPv4 unicast, 9 IPv4
      // multicast, 10 IPv6 unicast, 11 IPv6 multicast, 12 generic.
      case 8: this.rib(buf, p, end, rec, false, true); break;
      case 10: this.rib(buf, p, end, rec, true, true); break;
      case 3: case 5: case 6: case 7: case 9: case 11: case 12:
        bump(this.summary.skipped, name);
        break;
      default: this.anomaly('mrt_unknown_subtype'); break;
    }
  }

  private peerIndexTable(buf: Uint8Array, p: number, end: number, rec: Rec): void {
    if (end - p < 6) { this.anomaly('mrt_record_malformed'); return; }
    const collectorId = ipv4At(buf, p);
    const vl = u16(buf, p + 4);
    p += 6;
    if (end - p < vl + 2) { this.anomaly('mrt_record_malformed'); return; }
    const viewName = new TextDecoder().decode(buf.subarray(p, p + vl));
    p += vl;
    const count = u16(buf, p);
    p += 2;
    const peers: MrtPeer[] = [];
    for (let i = 0; i < count; i++) {
      if (end - p < 1) { this.anomaly('mrt_record_malformed'); break; }
      const t = buf[p]!;
      const ipLen = (t & 1) !== 0 ? 16 : 4;
      const asLen = (t & 2) !== 0 ? 4 : 2;
      if (end - p < 1 + 4 + ipLen + asLen) { this.anomaly('mrt_record_malformed'); break; }
      const bgpId = ipv4At(buf, p + 1);
      const ip = ipLen === 16 ? ipv6At(buf, p + 5) : ipv4At(buf, p + 5);
      const q = p + 5 + ipLen;
      const asn = asLen === 4 ? u32(buf, q) : u16(buf, q);
      peers.push({ bgpId, ip, asn });
      p = q + asLen;
    }
    this.peers = peers;
    this.emit({ kind: 'peers', ...rec, collectorId, viewName, peers });
  }

  private rib(buf: Uint8Array, p: number, end: number, rec: Rec, v6: boolean, addPath: boolean): void {
    if (end - p < 5) { this.anomaly('mrt_record_malformed'); return; }
    const seq = u32(buf, p);
    const bits = buf[p + 4]!;
    p += 5;
    const prefixAn: string[] = [];
    const nb = (bits + 7) >> 3;
    if (bits > (v6 ? 128 : 32) || end - p < nb) {
      if (bits > (v6 ? 128 : 32)) this.anomaly('bgp_bad_prefix_length');
      else this.anomaly('mrt_record_malformed');
      return;
    }
    const prefix = prefixText(buf, p, bits, v6, prefixAn)!;
    this.anomalies(prefixAn);
    p += nb;
    if (end - p < 2) { this.anomaly('mrt_record_malformed'); return; }
    const count = u16(buf, p);
    p += 2;
    const fixed = addPath ? 12 : 8;
    for (let i = 0; i < count; i++) {
      if (end - p < fixed) { this.anomaly('mrt_rib_entry_truncated'); return; }
      const peerIndex = u16(buf, p);
      const originatedTime = u32(buf, p + 2);
      const pathId = addPath ? u32(buf, p + 6) : null;
      const al = u16(buf, p + fixed - 2);
      p += fixed;
      if (end - p < al) { this.anomaly('mrt_rib_entry_truncated'); return; }
      const an = prefixAn.slice();
      const attrs = parseBgpAttributes(buf, p, al, { as4: true, ribAfi: v6 ? AFI_IPV6 : AFI_IPV4 }, an);
      this.anomalies(an, prefixAn.length);
      p += al;
      const peer = this.peers[peerIndex];
      if (peer === undefined) { this.anomaly('mrt_bad_peer_index'); continue; }
      this.noteMp(attrs);
      this.emit({
        kind: 'rib', ...rec, ...route(peer.ip, peer.asn, prefix, pathId, attrs, v6), peerIndex, peerBgpId: peer.bgpId, originatedTime, seq,
      });
    }
    if (p < end) this.anomaly('mrt_record_trailing_bytes');
  }

  // -------------------------------------------------------------------------------------------
  // TABLE_DUMP (RFC 6396 4.2)

  private tableDump(buf: Uint8Array, p: number, end: number, rec: Rec): void {
    if (rec.subtype !== 1 && rec.subtype !== 2) { this.anomaly('mrt_unknown_subtype'); return; }
    const v6 = rec.subtype === 2;
    const il = v6 ? 16 : 4;
    if (end - p < 4 + il + 1 + 1 + 4 + il + 2 + 2) { this.anomaly('mrt_record_malformed'); return; }
    const seq = u16(buf, p + 2);
    const pa = p + 4;
    const bits = buf[pa + il]!;
    const an: string[] = [];
    const prefix = prefixText(buf, pa, bits, v6, an);
    if (prefix === null) { this.anomalies(an); return; }
    let q = pa + il + 2;
    const originatedTime = u32(buf, q);
    q += 4;
    const peerIp = v6 ? ipv6At(buf, q) : ipv4At(buf, q);
    q += il;
    const peerAs = u16(buf, q);
    const al = u16(buf, q + 2);
    q += 4;
    if (end - q < al) { this.anomaly('mrt_record_malformed'); return; }
    const attrs = parseBgpAttributes(buf, q, al, { as4: false, ribAfi: v6 ? AFI_IPV6 : AFI_IPV4 }, an);
    this.anomalies(an);
    this.noteMp(attrs);
    this.emit({ kind: 'rib', ...rec, ...route(peerIp, peerAs, prefix, null, attrs, v6), peerIndex: -1, peerBgpId: '', originatedTime, seq });
  }

  // -------------------------------------------------------------------------------------------
  // BGP4MP

  private bgp4mp(buf: Uint8Array, p: number, end: number, rec: Rec, name: string): void {
    const st = rec.subtype;
    if (st === 2 || st === 3) { bump(this.summary.skipped, name); return; }
    if (st > 11) { this.anomaly('mrt_unknown_subtype'); return; }
    const as4 = st === 4 || st === 5 || st === 7 || st === 9 || st === 11;
    const asLen = as4 ? 4 : 2;
    if (end - p < 2 * asLen + 4) { this.anomaly('mrt_record_malformed'); return; }
    const peerAs = as4 ? u32(buf, p) : u16(buf, p);
    const localAs = as4 ? u32(buf, p + asLen) : u16(buf, p + asLen);
    p += 2 * asLen + 2; // the interface index is not kept
    const afi = u16(buf, p);
    p += 2;
    const il = afi === AFI_IPV4 ? 4 : afi === AFI_IPV6 ? 16 : 0;
    if (il === 0) { this.anomaly('mrt_bad_afi'); return; }
    if (end - p < 2 * il) { this.anomaly('mrt_record_malformed'); return; }
    const peerIp = il === 16 ? ipv6At(buf, p) : ipv4At(buf, p);
    const localIp = il === 16 ? ipv6At(buf, p + il) : ipv4At(buf, p + il);
    p += 2 * il;
    if (st === 0 || st === 5) {
      if (end - p < 4) { this.anomaly('mrt_record_malformed'); return; }
      this.emit({ kind: 'state', ...rec, peerIp, peerAs, localIp, localAs, oldState: u16(buf, p), newState: u16(buf, p + 2) });
      return;
    }
    const local = st === 6 || st === 7 || st === 10 || st === 11;
    const addPath = st >= 8;
    const m = parseBgpMessage(buf, p, end - p, { as4, addPath });
    if (m === null) { this.anomaly('mrt_bad_bgp_message'); return; }
    this.anomalies(m.anomalies);
    const u = m.update;
    if (m.type !== BGP_UPDATE || u === null) {
      this.emit({ kind: 'message', ...rec, peerIp, peerAs, localIp, localAs, local, message: m });
      return;
    }
    this.noteMp(u);
    const who = { peerIp, peerAs, localIp, localAs, local };
    const wd = (prefix: string, pathId: number | null): void => {
      this.emit({ kind: 'withdraw', ...rec, ...who, prefix, pathId, anomalies: u.anomalies });
    };
    for (let i = 0; i < u.withdrawn.length; i++) wd(u.withdrawn[i]!, u.withdrawnPathIds?.[i] ?? null);
    const mu = u.mpUnreach;
    if (mu !== null) for (let i = 0; i < mu.withdrawn.length; i++) wd(mu.withdrawn[i]!, mu.pathIds?.[i] ?? null);
    for (let i = 0; i < u.nlri.length; i++) {
      this.emit({ kind: 'announce', ...rec, ...route(peerIp, peerAs, u.nlri[i]!, u.nlriPathIds?.[i] ?? null, u, false), localIp, localAs, local });
    }
    const mr = u.mpReach;
    if (mr !== null) {
      const v6 = mr.afi === AFI_IPV6;
      for (let i = 0; i < mr.nlri.length; i++) {
        this.emit({ kind: 'announce', ...rec, ...route(peerIp, peerAs, mr.nlri[i]!, mr.pathIds?.[i] ?? null, u, v6, true), localIp, localAs, local });
      }
    }
  }

  /** MP_REACH / MP_UNREACH of families not read are counted as skipped. */
  private noteMp(a: BgpAttributes): void {
    if (a.mpReach !== null && !a.mpReach.supported) bump(this.summary.skipped, `MP_REACH_NLRI afi ${a.mpReach.afi} safi ${a.mpReach.safi}`);
    if (a.mpUnreach !== null && !a.mpUnreach.supported) bump(this.summary.skipped, `MP_UNREACH_NLRI afi ${a.mpUnreach.afi} safi ${a.mpUnreach.safi}`);
  }
}

/**
 * The route fields of one prefix. The next hop: for a prefix of MP_REACH_NLRI (or an IPv6 RIB
 * entry) the attribute's next hops; for an IPv4 prefix NEXT_HOP, or MP_REACH_NLRI's when only that
 * is there (RFC 8950).
 */
function route(peerIp: string, peerAs: number, prefix: string, pathId: number | null, a: BgpAttributes, v6: boolean, fromMp = false): MrtRouteFields {
  let nextHops: string[];
  if (v6 || fromMp) nextHops = a.mpReach?.nextHop ?? [];
  else if (a.nextHop !== null) nextHops = [a.nextHop];
  else nextHops = a.mpReach?.nextHop ?? [];
  return {
    peerIp, peerAs, prefix, pathId,
    asPath: a.asPath, asPathText: a.asPathText, originAs: originAs(a.asPathSegments), origin: a.origin,
    nextHop: nextHops[0] ?? null, nextHops,
    localPref: a.localPref, med: a.med, communities: a.communities, largeCommunities: a.largeCommunities,
    atomicAggregate: a.atomicAggregate, aggregator: a.aggregator, attrs: a, anomalies: a.anomalies,
  };
}
