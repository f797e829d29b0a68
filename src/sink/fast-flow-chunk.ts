/**
 * The bulk path from FlowBatch rows to a `flows` data chunk: the same values as
 * `fillFlowChunk` (flow-chunk.ts, the reference), written column by column
 * through the DuckDB C API (@duckdb/node-bindings) instead of one wrapped value
 * at a time.
 *
 * - Fixed-width columns are built in a scratch buffer and copied into the
 *   vector with one memcpy (`copy_data_to_vector`); NULLs go in as one
 *   validity mask per column.
 * - Text and blobs are written as bytes, never as JS strings. A DuckDB string
 *   slot (duckdb_string_t, 16 bytes) holds strings of up to 12 bytes inline;
 *   longer ones point at their bytes. All long strings of a column are stored
 *   into the vector's own string heap with ONE call (as one string, in slot 0),
 *   then every slot is written to point into that copy. The heap lives until
 *   the chunk is reset, and the appender copies the strings when it takes the
 *   chunk, so the pointers stay valid for as long as they are read.
 * - LIST columns: (offset, length) entries plus one copy of the child values.
 *
 * Little-endian hosts only (the slot and mask layouts are written as native
 * words); `fastFlowChunkSupported` says when this path may be used.
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import { endianness } from 'node:os';
import {
  CONN_STATE_NAMES, END_REASON_NAMES, HISTORY_MAX, TUNNEL_NAMES, type FlowBatch,
} from '../flow/batch.js';
import { writeAddr, writeAddrBytes, writeAnyAddr, writeMac } from './addr.js';
import { writeCommunityId } from './community-id.js';
import { FLOW_TABLE_COLUMNS, type FlowColumnName } from './schema.js';

/** Rows per data chunk (DuckDB's standard vector size). */
const ROWS = 2048;
const TCP = 6;
const INT32_MAX = 2147483647;
const TWO32 = 4294967296;
/** Seconds below this take the exact two-word path for TIMESTAMP_NS (sec * 1e9 + ns < 2^63). */
const SEC_FAST_MAX = 2 ** 33;
const NS_PER_S = 1000000000n;
/** Most bytes one row can add to a text column's heap (tunnel text: name + 2 addresses). */
const ROW_TEXT_MAX = 128;

const COL = Object.fromEntries(FLOW_TABLE_COLUMNS.map(([name], i) => [name, i])) as Record<FlowColumnName, number>;

/*
 * Values a column cannot hold are refused as the reference refuses them (node-api's
 * setItem checks): an error, never a wrapped value. BigInt() itself refuses fractions.
 */
function int64(x: bigint): bigint {
  if (BigInt.asIntN(64, x) !== x) throw new Error('bigint out of int64 range');
  return x;
}

function int32(x: number): number {
  if (!Number.isInteger(x)) throw new Error('number is not an integer');
  if (x < -2147483648 || x > INT32_MAX) throw new Error('number out of int32 range');
  return x;
}

/** True when the chunk columns are the `flows` table's and the host is little-endian. */
export function fastFlowChunkSupported(types: readonly DuckDBType[]): boolean {
  if (endianness() !== 'LE' || duckdb.vector_size() !== ROWS) return false;
  if (types.length !== FLOW_TABLE_COLUMNS.length) return false;
  return FLOW_TABLE_COLUMNS.every(([, sql], i) => String(types[i]) === sql);
}

/** ASCII (or Latin-1 as UTF-8) bytes of a fixed string. */
function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

const CONN_STATE_BYTES = CONN_STATE_NAMES.map(utf8);
const END_REASON_BYTES = END_REASON_NAMES.map(utf8);
/** Tunnel text up to the first address ("gre "), by kind 1..255. */
const TUNNEL_PREFIX = Array.from({ length: 256 }, (_, k) => utf8(`${TUNNEL_NAMES[k] ?? `tunnel-${k}`} `));
const GT = 0x3e;

/**
 * One VARCHAR or BLOB column being filled: the 16-byte slots, and the bytes of
 * the long strings, in order, in `heap`. A row's bytes are written at heap[pos]
 * and then committed; short ones are moved into their slot.
 */
class TextColumn {
  private readonly slots = new ArrayBuffer(ROWS * 16);
  private readonly s8 = new Uint8Array(this.slots);
  private readonly s32 = new Uint32Array(this.slots);
  heap = new Uint8Array(ROWS * 64);
  /** Where the next row's bytes go. */
  pos = 0;
  private longs = 0;
  private readonly longRow = new Int32Array(ROWS);
  private readonly longAt = new Int32Array(ROWS);

  begin(count: number): void {
    this.s32.fill(0, 0, count * 4);
    this.pos = 0;
    this.longs = 0;
  }

  /** Makes room for a row's bytes at `pos`; returns the heap to write into. */
  room(): Uint8Array {
    if (this.pos + ROW_TEXT_MAX > this.heap.length) {
      const grown = new Uint8Array(this.heap.length * 2);
      grown.set(this.heap.subarray(0, this.pos));
      this.heap = grown;
    }
    return this.heap;
  }

  /** The value of slot i is heap[pos, end). */
  commit(i: number, end: number): void {
    const at = this.pos, len = end - at, s = i * 16;
    const heap = this.heap, s8 = this.s8;
    this.s32[i * 4] = len;
    if (len <= 12) {
      for (let k = 0; k < len; k++) s8[s + 4 + k] = heap[at + k]!;
      return;
    }
    s8[s + 4] = heap[at]!; s8[s + 5] = heap[at + 1]!; s8[s + 6] = heap[at + 2]!; s8[s + 7] = heap[at + 3]!;
    this.longRow[this.longs] = i;
    this.longAt[this.longs++] = at;
    this.pos = end;
  }

  /** Copies `bytes` as slot i's value. */
  put(i: number, bytes: Uint8Array): void {
    const len = bytes.length;
    if (len <= 12) {
      const s8 = this.s8, at = i * 16 + 4;
      this.s32[i * 4] = len;
      for (let k = 0; k < len; k++) s8[at + k] = bytes[k]!;
      return;
    }
    const heap = this.room(), at = this.pos;
    for (let k = 0; k < len; k++) heap[at + k] = bytes[k]!;
    this.commit(i, at + len);
  }

  /** Writes the slots (and the long strings' bytes) of rows [0, count) into the vector. */
  flush(vector: duckdb.Vector, count: number): void {
    if (this.longs > 0) {
      duckdb.vector_assign_string_element_len(vector, 0, this.heap.subarray(0, this.pos));
      const slot0 = duckdb.vector_get_data(vector, 16);
      const v = new DataView(slot0.buffer, slot0.byteOffset, 16);
      // DuckDB refuses (leaves the slot as it was) text that is not UTF-8; ours always is.
      if (v.getUint32(0, true) !== this.pos) throw new Error('flow chunk: string heap was not stored');
      const baseLo = v.getUint32(8, true), baseHi = v.getUint32(12, true);
      const s32 = this.s32;
      for (let k = 0; k < this.longs; k++) {
        const p = baseLo + this.longAt[k]!;
        const s = this.longRow[k]! * 4;
        s32[s + 2] = p; // stored mod 2^32
        s32[s + 3] = p >= TWO32 ? baseHi + 1 : baseHi;
      }
    }
    duckdb.copy_data_to_vector(vector, 0, this.slots, 0, count * 16);
  }
}

/** The first min(spltLen, spltN) values of rows [s, s + n), one row after the other. */
function packInt32(child: Int32Array, data: Int32Array, spltLen: Uint8Array, spltN: number, s: number, n: number): void {
  let off = 0;
  for (let r = s; r < s + n; r++) {
    const len = Math.min(spltLen[r]!, spltN), at = r * spltN;
    for (let k = 0; k < len; k++) child[off + k] = data[at + k]!;
    off += len;
  }
}

function packFloat64(child: Float64Array, data: Float64Array, spltLen: Uint8Array, spltN: number, s: number, n: number): void {
  let off = 0;
  for (let r = s; r < s + n; r++) {
    const len = Math.min(spltLen[r]!, spltN), at = r * spltN;
    for (let k = 0; k < len; k++) child[off + k] = data[at + k]!;
    off += len;
  }
}

/** Fills `flows` data chunks from FlowBatch rows; one per sink, reused for every chunk. */
export class FastFlowChunkWriter {
  private readonly fixed = new ArrayBuffer(ROWS * 8);
  private readonly f64 = new Float64Array(this.fixed);
  private readonly i64 = new BigInt64Array(this.fixed);
  private readonly u32 = new Uint32Array(this.fixed);
  private readonly i32 = new Int32Array(this.fixed);
  private readonly u16 = new Uint16Array(this.fixed);
  private readonly i16 = new Int16Array(this.fixed);
  private readonly u8 = new Uint8Array(this.fixed);
  /** Validity bits of the column being filled: 1 = value, 0 = NULL. */
  private readonly valid = new Uint32Array(ROWS / 32);
  private readonly text = new TextColumn();
  /** LIST entries: (offset u64, length u64) per row. */
  private readonly listEntries = new ArrayBuffer(ROWS * 16);
  private readonly le32 = new Uint32Array(this.listEntries);
  private childBuf = new ArrayBuffer(ROWS * 8);
  /** Whether the column being filled has a NULL (a bit cleared in `valid`). */
  private nulls = false;
  private chunk: duckdb.DataChunk | null = null;
  private count = 0;

  /**
   * Resets `chunk` and fills it with batch rows [start, start + count) (count <= 2048),
   * flow ids continuing from `firstIndex`: the same values as `fillFlowChunk`.
   */
  fill(chunk: DuckDBDataChunk, batch: FlowBatch, start: number, count: number, captureId: number, firstIndex: number): void {
    chunk.reset();
    chunk.rowCount = count;
    this.chunk = chunk.chunk;
    this.count = count;
    const c = batch.cols;
    const n = count, s = start;
    const { f64, u32, i32, u16, i16, u8 } = this;

    // flow_id: (capture_id << 32) + running index.
    if (Number.isInteger(captureId) && captureId >= 0 && captureId <= INT32_MAX
      && Number.isInteger(firstIndex) && firstIndex >= 0 && firstIndex + n <= TWO32) {
      for (let i = 0; i < n; i++) { u32[2 * i] = firstIndex + i; u32[2 * i + 1] = captureId; }
    } else {
      const base = (BigInt(captureId) << 32n) + BigInt(firstIndex);
      for (let i = 0; i < n; i++) this.i64[i] = int64(base + BigInt(i));
    }
    this.putFixed(COL.flow_id, 8);

    i32.fill(int32(captureId), 0, n);
    this.putFixed(COL.capture_id, 4);

    u8.set(c.proto.subarray(s, s + n));
    this.putFixed(COL.proto, 1);
    u8.set(c.ipVersion.subarray(s, s + n));
    this.putFixed(COL.ip_version, 1);
    u16.set(c.origPort.subarray(s, s + n));
    this.putFixed(COL.orig_port, 2);
    u16.set(c.respPort.subarray(s, s + n));
    this.putFixed(COL.resp_port, 2);

    this.addrColumn(COL.orig_addr, c.origAddr, c.ipVersion, s);
    this.addrColumn(COL.resp_addr, c.respAddr, c.ipVersion, s);
    this.addrBinColumn(COL.orig_addr_bin, c.origAddr, s);
    this.addrBinColumn(COL.resp_addr_bin, c.respAddr, s);

    this.timestamps(COL.first_ts, c.firstSec, c.firstNs, s);
    this.timestamps(COL.last_ts, c.lastSec, c.lastNs, s);

    for (let i = 0, r = s; i < n; i++, r++) {
      // Whole nanoseconds first (exact below ~104 days), one rounding at the end (as the reference).
      f64[i] = ((c.lastSec[r]! - c.firstSec[r]!) * 1e9 + (c.lastNs[r]! - c.firstNs[r]!)) / 1e3;
    }
    this.putFixed(COL.duration_us, 8);

    this.bigints(COL.orig_pkts, c.origPkts, s);
    this.bigints(COL.resp_pkts, c.respPkts, s);
    this.bigints(COL.orig_wire_bytes, c.origWireBytes, s);
    this.bigints(COL.resp_wire_bytes, c.respWireBytes, s);
    this.bigints(COL.orig_ip_bytes, c.origIpBytes, s);
    this.bigints(COL.resp_ip_bytes, c.respIpBytes, s);
    this.bigints(COL.orig_payload_bytes, c.origPayloadBytes, s);
    this.bigints(COL.resp_payload_bytes, c.respPayloadBytes, s);

    this.namedColumn(COL.conn_state, c.connState, CONN_STATE_BYTES, s);
    this.historyColumn(batch, s);
    this.namedColumn(COL.end_reason, c.endReason, END_REASON_BYTES, s);

    this.int16NoneIfNeg(COL.orig_ttl, c.origTtl, s);
    this.int16NoneIfNeg(COL.resp_ttl, c.respTtl, s);
    this.doubleNoneIfNaN(COL.syn_synack_us, c.synToSynAckUs, s);
    this.doubleNoneIfNaN(COL.synack_ack_us, c.synAckToAckUs, s);
    this.macColumn(COL.orig_mac, c.origMac, s);
    this.macColumn(COL.resp_mac, c.respMac, s);
    this.int16NoneIfNeg(COL.vlan_outer, c.vlanOuter, s);
    this.int16NoneIfNeg(COL.vlan_inner, c.vlanInner, s);

    this.allValid();
    for (let i = 0, r = s; i < n; i++, r++) {
      const x = c.mplsLabel[r]!;
      if (x < 0) this.setNull(i);
      else i32[i] = x;
    }
    this.putFixed(COL.mpls_label, 4, true);

    this.tcpFlags(COL.orig_tcp_flags, c.origTcpFlags, c.proto, s);
    this.tcpFlags(COL.resp_tcp_flags, c.respTcpFlags, c.proto, s);

    this.communityIdColumn(batch, s);

    for (let i = 0, r = s; i < n; i++, r++) i32[i] = Math.min(c.fragments[r]!, INT32_MAX);
    this.putFixed(COL.fragments, 4);
    for (let i = 0, r = s; i < n; i++, r++) i32[i] = Math.min(c.truncatedPkts[r]!, INT32_MAX);
    this.putFixed(COL.truncated_pkts, 4);

    this.tunnelColumn(batch, s);
    this.listColumn(COL.splt_sizes, batch, c.spltSize, s);
    this.listColumn(COL.splt_gaps_us, batch, c.spltGapUs, s);
    this.chunk = null;
  }

  private vector(col: number): duckdb.Vector {
    return duckdb.data_chunk_get_vector(this.chunk!, col);
  }

  /** Starts the validity mask of a nullable column: every row a value. */
  private allValid(): void {
    this.valid.fill(0xffffffff);
    this.nulls = false;
  }

  private setNull(i: number): void {
    this.valid[i >>> 5] &= ~(1 << (i & 31));
    this.nulls = true;
  }

  /**
   * The mask into the vector, when it has a NULL. Without one the vector keeps no mask,
   * as the reference leaves it (a reset chunk's vectors have none).
   */
  private putValidity(vector: duckdb.Vector): void {
    if (!this.nulls) return;
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, this.valid.buffer, 0, Math.ceil(this.count / 64) * 8);
  }

  /** Copies the scratch's first count values (`width` bytes each) into column `col`, with the validity mask if `nullable`. */
  private putFixed(col: number, width: number, nullable = false): void {
    const vector = this.vector(col);
    duckdb.copy_data_to_vector(vector, 0, this.fixed, 0, this.count * width);
    if (nullable) this.putValidity(vector);
  }

  /** BIGINT from whole-number doubles (BigInt(x) of the reference: exact, throws on fractions and NaN). */
  private bigints(col: number, data: Float64Array, s: number): void {
    const u32 = this.u32;
    for (let i = 0; i < this.count; i++) {
      const x = data[s + i]!;
      // 0 <= x < 2^53: the quotient is below 2^21, so >>> 0 floors it; a fraction shows in lo.
      const hi = (x / TWO32) >>> 0, lo = x - hi * TWO32;
      if (x >= 0 && x <= Number.MAX_SAFE_INTEGER && lo === lo >>> 0) {
        u32[2 * i] = lo;
        u32[2 * i + 1] = hi;
      } else {
        this.i64[i] = int64(BigInt(x));
      }
    }
    this.putFixed(col, 8);
  }

  /** TIMESTAMP_NS = sec * 1e9 + ns, exact: two 32-bit words without BigInt while sec < 2^33. */
  private timestamps(col: number, sec: Float64Array, ns: Uint32Array, s: number): void {
    const u32 = this.u32;
    for (let i = 0; i < this.count; i++) {
      const x = sec[s + i]!, nsx = ns[s + i]!;
      // x = xh * 2^16 + xl; x * 1e9 + ns = (xh * 1e9) * 2^16 + (xl * 1e9 + ns), every product below 2^53.
      // Divisions by powers of two are exact and every quotient here is below 2^32, so >>> 0 floors them.
      const xh = (x / 65536) >>> 0, xl = x - xh * 65536;
      if (x >= 0 && x < SEC_FAST_MAX && xl === (xl | 0)) {
        const a = xl * 1e9 + nsx;
        const b = xh * 1e9;
        const bh = (b / 65536) >>> 0, bl = b - bh * 65536; // b * 2^16 = bh * 2^32 + bl * 2^16
        const low = a + bl * 65536;
        const carry = (low / TWO32) >>> 0;
        u32[2 * i] = low - carry * TWO32;
        u32[2 * i + 1] = bh + carry;
      } else {
        this.i64[i] = int64(BigInt(x) * NS_PER_S + BigInt(nsx));
      }
    }
    this.putFixed(col, 8);
  }

  private int16NoneIfNeg(col: number, data: Int32Array, s: number): void {
    const i16 = this.i16;
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      const x = data[s + i]!;
      if (x < 0) this.setNull(i);
      else if (x > 32767) throw new Error('number out of int16 range');
      else i16[i] = x;
    }
    this.putFixed(col, 2, true);
  }

  private doubleNoneIfNaN(col: number, data: Float64Array, s: number): void {
    const f64 = this.f64;
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      const x = data[s + i]!;
      if (Number.isNaN(x)) this.setNull(i);
      else f64[i] = x;
    }
    this.putFixed(col, 8, true);
  }

  private tcpFlags(col: number, flags: Uint16Array, proto: Uint8Array, s: number): void {
    const u16 = this.u16;
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      if (proto[s + i] === TCP) u16[i] = flags[s + i]!;
      else this.setNull(i);
    }
    this.putFixed(col, 2, true);
  }

  /** Finishes a text column: slots, heap and validity. */
  private putText(col: number, nullable: boolean): void {
    const vector = this.vector(col);
    this.text.flush(vector, this.count);
    if (nullable) this.putValidity(vector);
  }

  private addrColumn(col: number, words: Uint32Array, ipVersion: Uint8Array, s: number): void {
    const t = this.text;
    t.begin(this.count);
    for (let i = 0; i < this.count; i++) {
      const r = s + i;
      t.commit(i, writeAddr(t.room(), t.pos, words, r * 4, ipVersion[r]!));
    }
    this.putText(col, false);
  }

  private addrBinColumn(col: number, words: Uint32Array, s: number): void {
    const t = this.text;
    t.begin(this.count);
    for (let i = 0; i < this.count; i++) t.commit(i, writeAddrBytes(t.room(), t.pos, words, (s + i) * 4));
    this.putText(col, false);
  }

  /** A code column shown by name: NULL where the code has none. */
  private namedColumn(col: number, codes: Uint8Array, names: readonly Uint8Array[], s: number): void {
    const t = this.text;
    t.begin(this.count);
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      const name = names[codes[s + i]!];
      if (name === undefined) this.setNull(i);
      else t.put(i, name);
    }
    this.putText(col, true);
  }

  /** History letters; NULL when empty. Bytes above 0x7f are Latin-1 code points (String.fromCharCode), so UTF-8 pairs. */
  private historyColumn(batch: FlowBatch, s: number): void {
    const { history, historyLen } = batch.cols;
    const t = this.text;
    t.begin(this.count);
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      const r = s + i;
      const len = historyLen[r]!;
      if (len === 0) { this.setNull(i); continue; }
      const heap = t.room();
      let p = t.pos;
      const at = r * HISTORY_MAX, end = at + Math.min(len, HISTORY_MAX);
      for (let k = at; k < end; k++) {
        const b = history[k]!;
        if (b < 0x80) heap[p++] = b;
        else { heap[p++] = 0xc0 | (b >>> 6); heap[p++] = 0x80 | (b & 0x3f); }
      }
      t.commit(i, p);
    }
    this.putText(COL.history, true);
  }

  private macColumn(col: number, macs: Float64Array, s: number): void {
    const t = this.text;
    t.begin(this.count);
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      const mac = macs[s + i]!;
      if (Number.isNaN(mac)) this.setNull(i);
      else t.commit(i, writeMac(t.room(), t.pos, mac));
    }
    this.putText(col, true);
  }

  private communityIdColumn(batch: FlowBatch, s: number): void {
    const c = batch.cols;
    const t = this.text;
    t.begin(this.count);
    for (let i = 0; i < this.count; i++) {
      const r = s + i;
      t.commit(i, writeCommunityId(
        t.room(), t.pos, c.proto[r]!, c.ipVersion[r] === 4, c.origAddr, r * 4, c.respAddr, r * 4, c.origPort[r]!, c.respPort[r]!,
      ));
    }
    this.putText(COL.community_id, false);
  }

  /** "<kind> <src>><dst>"; NULL without a tunnel. */
  private tunnelColumn(batch: FlowBatch, s: number): void {
    const c = batch.cols;
    const t = this.text;
    t.begin(this.count);
    this.allValid();
    for (let i = 0; i < this.count; i++) {
      const r = s + i;
      const kind = c.tunnelKind[r]!;
      if (kind === 0) { this.setNull(i); continue; }
      const heap = t.room();
      const prefix = TUNNEL_PREFIX[kind]!;
      heap.set(prefix, t.pos);
      let p = writeAnyAddr(heap, t.pos + prefix.length, c.tunnelSrc, r * 4);
      heap[p++] = GT;
      p = writeAnyAddr(heap, p, c.tunnelDst, r * 4);
      t.commit(i, p);
    }
    this.putText(COL.tunnel, true);
  }

  /** INTEGER[] / DOUBLE[] of the first min(spltLen, spltN) entries per row; NULL when SPLT is off. */
  private listColumn(col: number, batch: FlowBatch, data: Int32Array | Float64Array, s: number): void {
    const vector = this.vector(col);
    const n = this.count, spltN = batch.spltN;
    const le32 = this.le32;
    le32.fill(0, 0, n * 4);
    this.allValid();
    if (spltN === 0) {
      for (let i = 0; i < n; i++) this.setNull(i);
      duckdb.list_vector_set_size(vector, 0);
    } else {
      const spltLen = batch.cols.spltLen;
      let total = 0;
      for (let i = 0; i < n; i++) total += Math.min(spltLen[s + i]!, spltN);
      const bytes = total * data.BYTES_PER_ELEMENT;
      if (bytes > this.childBuf.byteLength) this.childBuf = new ArrayBuffer(Math.max(bytes, this.childBuf.byteLength * 2));
      let off = 0;
      for (let i = 0; i < n; i++) {
        const len = Math.min(spltLen[s + i]!, spltN);
        le32[4 * i] = off;
        le32[4 * i + 2] = len;
        off += len;
      }
      // One loop per element type: each stays monomorphic.
      if (data instanceof Int32Array) packInt32(new Int32Array(this.childBuf, 0, total), data, spltLen, spltN, s, n);
      else packFloat64(new Float64Array(this.childBuf, 0, total), data, spltLen, spltN, s, n);
      duckdb.list_vector_reserve(vector, total);
      duckdb.list_vector_set_size(vector, total);
      if (total > 0) duckdb.copy_data_to_vector(duckdb.list_vector_get_child(vector), 0, this.childBuf, 0, bytes);
    }
    duckdb.copy_data_to_vector(vector, 0, this.listEntries, 0, n * 16);
    this.putValidity(vector);
  }
}
