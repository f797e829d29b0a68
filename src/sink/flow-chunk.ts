/**
 * FlowBatch rows -> one DuckDB data chunk of the `flows` table. This is where
 * the typed columns become SQL values, and the only place flow text is made.
 *
 * `fillFlowChunk` below sets one node-api value at a time: it is the reference
 * for what each column holds. The sink fills its chunks through
 * `flowChunkFiller`, which picks the bulk writer of fast-flow-chunk.ts (the same
 * values, written through the C API, many times faster) where it applies.
 */
import {
  DuckDBBlobValue, DuckDBDataChunk, DuckDBListValue, DuckDBTimestampNanosecondsValue,
  type DuckDBType, type DuckDBValue, type DuckDBVector,
} from '@duckdb/node-api';
import {
  CONN_STATE_NAMES, END_REASON_NAMES, HISTORY_MAX, TUNNEL_NAMES, type FlowBatch, type FlowColumns,
} from '../flow/batch.js';
import { addrBytes, addrText, anyAddrText, macText } from './addr.js';
import { communityId } from './community-id.js';
import { FastFlowChunkWriter, fastFlowChunkSupported } from './fast-flow-chunk.js';
import { FLOW_TABLE_COLUMNS, type FlowColumnName } from './schema.js';

/** Rows per data chunk (DuckDB's standard vector size). */
export const CHUNK_ROWS = 2048;

const TCP = 6;
const INT32_MAX = 2147483647;
const NS_PER_S = 1000000000n;

/** Where a chunk's rows come from: batch rows [start, start + count), numbered from `firstIndex`. */
interface Slice {
  c: FlowColumns;
  spltN: number;
  start: number;
  count: number;
  captureId: number;
  /** Running index within the capture of the slice's first row. */
  firstIndex: number;
}

type Fill = (v: DuckDBVector, s: Slice) => void;

/** Writes `value(row)` for each row of the slice into item i = row - start. */
function each(value: (c: FlowColumns, row: number, s: Slice) => DuckDBValue): Fill {
  return (v, s) => {
    const end = s.start + s.count;
    for (let r = s.start, i = 0; r < end; r++, i++) v.setItem(i, value(s.c, r, s));
  };
}

const noneIfNeg = (x: number): number | null => (x < 0 ? null : x);
const noneIfNaN = (x: number): number | null => (Number.isNaN(x) ? null : x);
const big = (x: number): bigint => BigInt(x);
const tsNs = (sec: number, ns: number): DuckDBTimestampNanosecondsValue =>
  new DuckDBTimestampNanosecondsValue(BigInt(sec) * NS_PER_S + BigInt(ns));

function historyText(c: FlowColumns, r: number): string | null {
  const len = c.historyLen[r]!;
  if (len === 0) return null;
  const at = r * HISTORY_MAX;
  const end = at + Math.min(len, HISTORY_MAX);
  let s = '';
  for (let i = at; i < end; i++) s += String.fromCharCode(c.history[i]!);
  return s;
}

function tunnelText(c: FlowColumns, r: number): string | null {
  const kind = c.tunnelKind[r]!;
  if (kind === 0) return null;
  const name = TUNNEL_NAMES[kind] ?? `tunnel-${kind}`;
  return `${name} ${anyAddrText(c.tunnelSrc, r * 4)}>${anyAddrText(c.tunnelDst, r * 4)}`;
}

function spltList(data: Float64Array | Int32Array, c: FlowColumns, r: number, spltN: number): DuckDBListValue | null {
  if (spltN === 0) return null;
  const at = r * spltN;
  const len = Math.min(c.spltLen[r]!, spltN);
  const items = new Array<number>(len);
  for (let i = 0; i < len; i++) items[i] = data[at + i]!;
  return new DuckDBListValue(items);
}

const FILLS: Record<FlowColumnName, Fill> = {
  flow_id: (v, s) => {
    const base = (BigInt(s.captureId) << 32n) + BigInt(s.firstIndex);
    for (let i = 0; i < s.count; i++) v.setItem(i, base + BigInt(i));
  },
  capture_id: (v, s) => { for (let i = 0; i < s.count; i++) v.setItem(i, s.captureId); },
  proto: each((c, r) => c.proto[r]!),
  ip_version: each((c, r) => c.ipVersion[r]!),
  orig_addr: each((c, r) => addrText(c.origAddr, r * 4, c.ipVersion[r]!)),
  orig_port: each((c, r) => c.origPort[r]!),
  resp_addr: each((c, r) => addrText(c.respAddr, r * 4, c.ipVersion[r]!)),
  resp_port: each((c, r) => c.respPort[r]!),
  orig_addr_bin: each((c, r) => new DuckDBBlobValue(addrBytes(c.origAddr, r * 4))),
  resp_addr_bin: each((c, r) => new DuckDBBlobValue(addrBytes(c.respAddr, r * 4))),
  first_ts: each((c, r) => tsNs(c.firstSec[r]!, c.firstNs[r]!)),
  last_ts: each((c, r) => tsNs(c.lastSec[r]!, c.lastNs[r]!)),
  // Whole nanoseconds first (exact below ~104 days), one rounding at the end.
  duration_us: each((c, r) => ((c.lastSec[r]! - c.firstSec[r]!) * 1e9 + (c.lastNs[r]! - c.firstNs[r]!)) / 1e3),
  orig_pkts: each((c, r) => big(c.origPkts[r]!)),
  resp_pkts: each((c, r) => big(c.respPkts[r]!)),
  orig_wire_bytes: each((c, r) => big(c.origWireBytes[r]!)),
  resp_wire_bytes: each((c, r) => big(c.respWireBytes[r]!)),
  orig_ip_bytes: each((c, r) => big(c.origIpBytes[r]!)),
  resp_ip_bytes: each((c, r) => big(c.respIpBytes[r]!)),
  orig_payload_bytes: each((c, r) => big(c.origPayloadBytes[r]!)),
  resp_payload_bytes: each((c, r) => big(c.respPayloadBytes[r]!)),
  conn_state: each((c, r) => CONN_STATE_NAMES[c.connState[r]!] ?? null),
  history: each(historyText),
  end_reason: each((c, r) => END_REASON_NAMES[c.endReason[r]!] ?? null),
  orig_ttl: each((c, r) => noneIfNeg(c.origTtl[r]!)),
  resp_ttl: each((c, r) => noneIfNeg(c.respTtl[r]!)),
  syn_synack_us: each((c, r) => noneIfNaN(c.synToSynAckUs[r]!)),
  synack_ack_us: each((c, r) => noneIfNaN(c.synAckToAckUs[r]!)),
  orig_mac: each((c, r) => macText(c.origMac[r]!)),
  resp_mac: each((c, r) => macText(c.respMac[r]!)),
  vlan_outer: each((c, r) => noneIfNeg(c.vlanOuter[r]!)),
  vlan_inner: each((c, r) => noneIfNeg(c.vlanInner[r]!)),
  mpls_label: each((c, r) => noneIfNeg(c.mplsLabel[r]!)),
  orig_tcp_flags: each((c, r) => (c.proto[r] === TCP ? c.origTcpFlags[r]! : null)),
  resp_tcp_flags: each((c, r) => (c.proto[r] === TCP ? c.respTcpFlags[r]! : null)),
  community_id: each((c, r) => communityId(
    c.proto[r]!, c.ipVersion[r] === 4, c.origAddr, r * 4, c.respAddr, r * 4, c.origPort[r]!, c.respPort[r]!,
  )),
  fragments: each((c, r) => Math.min(c.fragments[r]!, INT32_MAX)),
  truncated_pkts: each((c, r) => Math.min(c.truncatedPkts[r]!, INT32_MAX)),
  tunnel: each(tunnelText),
  splt_sizes: each((c, r, s) => spltList(c.spltSize, c, r, s.spltN)),
  splt_gaps_us: each((c, r, s) => spltList(c.spltGapUs, c, r, s.spltN)),
};

const FILL_ORDER: readonly Fill[] = FLOW_TABLE_COLUMNS.map(([name]) => FILLS[name]);

/**
 * Resets `chunk` and fills it with batch rows [start, start + count) (count <= CHUNK_ROWS).
 * The chunk's columns must be the `flows` table's, in order.
 */
export function fillFlowChunk(
  chunk: DuckDBDataChunk, batch: FlowBatch, start: number, count: number, captureId: number, firstIndex: number,
): void {
  chunk.reset();
  chunk.rowCount = count;
  const s: Slice = { c: batch.cols, spltN: batch.spltN, start, count, captureId, firstIndex };
  for (let col = 0; col < FILL_ORDER.length; col++) {
    const v = chunk.getColumnVector(col);
    FILL_ORDER[col]!(v, s);
    v.flush();
  }
}

/** Signature of `fillFlowChunk`. */
export type FlowChunkFill = (
  chunk: DuckDBDataChunk, batch: FlowBatch, start: number, count: number, captureId: number, firstIndex: number,
) => void;

/**
 * The filler for chunks of these column types (the flows appender's): the bulk
 * writer when the columns are the `flows` schema's and the host suits it, else
 * `fillFlowChunk`. One per chunk user: the bulk writer keeps scratch state.
 */
export function flowChunkFiller(types: readonly DuckDBType[]): FlowChunkFill {
  if (!fastFlowChunkSupported(types)) return fillFlowChunk;
  const writer = new FastFlowChunkWriter();
  return (chunk, batch, start, count, captureId, firstIndex) => writer.fill(chunk, batch, start, count, captureId, firstIndex);
}
