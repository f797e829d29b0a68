/**
 * FlowBatch: finished flows in struct-of-arrays form, the contract between the
 * flow table (producer, in a worker or the main thread) and the sink (consumer).
 *
 * Every column is a typed array over ONE exact-size ArrayBuffer so a batch can be
 * moved between threads with a transfer list, without a copy. Nothing here is a
 * string: text (addresses, history, conn_state) is made by the sink, at the edge.
 *
 * Conventions:
 * - Addresses are 4 big-endian u32 words each (word 0 = most significant).
 *   IPv4 is stored IPv4-mapped: [0, 0, 0x0000ffff, v4]. `ipVersion` says which.
 * - Timestamps are split: whole seconds since the epoch (Float64, exact) plus
 *   nanoseconds within the second (Uint32).
 * - "None" values: NaN in Float64 columns, -1 in Int32 columns, 0 for counts.
 * - MACs are 48-bit integers in a Float64 (exact).
 */

export const HISTORY_MAX = 24;

export const enum EndReason { Idle = 0, Active = 1, Fin = 2, Rst = 3, Evicted = 4, EndOfCapture = 5, Shutdown = 6 }
export const END_REASON_NAMES = ['idle', 'active', 'fin', 'rst', 'evicted', 'end_of_capture', 'shutdown'] as const;

export const enum TunnelKind { None = 0, IpInIp = 1, Gre = 2, Vxlan = 3, GtpU = 4, Teredo = 5 }
export const TUNNEL_NAMES = ['', 'ip-in-ip', 'gre', 'vxlan', 'gtp-u', 'teredo'] as const;

/** Zeek conn_state vocabulary, by code. */
export const CONN_STATE_NAMES = [
  'OTH', 'S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR',
] as const;

type ColSpec = readonly [name: string, kind: 'f64' | 'u32' | 'i32' | 'u16' | 'u8', perRow: 'splt' | 'hist' | number];

/** Column layout. perRow: elements per row (a number), or per-row width set by options. */
export const FLOW_COLUMNS = [
  ['firstSec', 'f64', 1], ['lastSec', 'f64', 1],
  ['origPkts', 'f64', 1], ['respPkts', 'f64', 1],
  ['origWireBytes', 'f64', 1], ['respWireBytes', 'f64', 1],
  ['origIpBytes', 'f64', 1], ['respIpBytes', 'f64', 1],
  ['origPayloadBytes', 'f64', 1], ['respPayloadBytes', 'f64', 1],
  ['synToSynAckUs', 'f64', 1], ['synAckToAckUs', 'f64', 1],
  ['origMac', 'f64', 1], ['respMac', 'f64', 1],
  ['spltGapUs', 'f64', 'splt'],
  // Internal (not written to the DB): what the range merge needs to join parts of one flow.
  ['closeSec', 'f64', 1], ['zOrigSize', 'f64', 1], ['zRespSize', 'f64', 1],
  // The part's id: range index * 2^32 + serial in the range; inspection records name their flow by it.
  ['tag', 'f64', 1],
  // ns after the part's first packet: first SYN (orig), first SYN-ACK (resp), first ACK without SYN (orig).
  ['synRel', 'f64', 1], ['synAckRel', 'f64', 1], ['ackRel', 'f64', 1], ['ackRespRel', 'f64', 1],
  ['origAddr', 'u32', 4], ['respAddr', 'u32', 4],
  ['tunnelSrc', 'u32', 4], ['tunnelDst', 'u32', 4],
  ['firstNs', 'u32', 1], ['lastNs', 'u32', 1],
  ['fragments', 'u32', 1], ['truncatedPkts', 'u32', 1],
  ['spltSize', 'i32', 'splt'],
  ['vlanOuter', 'i32', 1], ['vlanInner', 'i32', 1], ['mplsLabel', 'i32', 1],
  ['origTtl', 'i32', 1], ['respTtl', 'i32', 1],
  ['origPort', 'u16', 1], ['respPort', 'u16', 1],
  ['origTcpFlags', 'u16', 1], ['respTcpFlags', 'u16', 1],
  ['proto', 'u8', 1], ['ipVersion', 'u8', 1], ['tunnelKind', 'u8', 1],
  ['connState', 'u8', 1], ['endReason', 'u8', 1], ['historyLen', 'u8', 1], ['spltLen', 'u8', 1],
  ['joinable', 'u8', 1], ['zOrigState', 'u8', 1], ['zRespState', 'u8', 1],
  ['history', 'u8', 'hist'],
] as const satisfies readonly ColSpec[];

type ColName = (typeof FLOW_COLUMNS)[number][0];
type KindOf<N extends ColName> = Extract<(typeof FLOW_COLUMNS)[number], readonly [N, unknown, unknown]>[1];
type ArrayFor<K> = K extends 'f64' ? Float64Array : K extends 'u32' ? Uint32Array : K extends 'i32' ? Int32Array
  : K extends 'u16' ? Uint16Array : Uint8Array;

export type FlowColumns = { [N in ColName]: ArrayFor<KindOf<N>> };

export interface FlowBatch {
  /** Rows filled. */
  n: number;
  /** Rows the arrays hold. */
  capacity: number;
  /** SPLT entries per row (0 = SPLT off). */
  spltN: number;
  buffer: ArrayBuffer;
  cols: FlowColumns;
}

const BYTES = { f64: 8, u32: 4, i32: 4, u16: 2, u8: 1 } as const;

function width(per: ColSpec[2], spltN: number): number {
  return per === 'splt' ? spltN : per === 'hist' ? HISTORY_MAX : per;
}

/** Lays out all columns over one ArrayBuffer (columns are ordered by element size, so alignment holds). */
export function viewBatch(buffer: ArrayBuffer, capacity: number, spltN: number, n = 0): FlowBatch {
  // Built with Object.fromEntries so V8 keeps the object in fast mode (keyed stores leave it a dictionary).
  const entries: [string, unknown][] = [];
  let off = 0;
  for (const [name, kind, per] of FLOW_COLUMNS) {
    const len = capacity * width(per, spltN);
    const b = BYTES[kind];
    off = Math.ceil(off / b) * b;
    switch (kind) {
      case 'f64': entries.push([name, new Float64Array(buffer, off, len)]); break;
      case 'u32': entries.push([name, new Uint32Array(buffer, off, len)]); break;
      case 'i32': entries.push([name, new Int32Array(buffer, off, len)]); break;
      case 'u16': entries.push([name, new Uint16Array(buffer, off, len)]); break;
      case 'u8': entries.push([name, new Uint8Array(buffer, off, len)]); break;
    }
    off += len * b;
  }
  return { n, capacity, spltN, buffer, cols: Object.fromEntries(entries) as FlowColumns };
}

export function batchBytes(capacity: number, spltN: number): number {
  let off = 0;
  for (const [, kind, per] of FLOW_COLUMNS) {
    const b = BYTES[kind];
    off = Math.ceil(off / b) * b + capacity * width(per, spltN) * b;
  }
  return Math.ceil(off / 8) * 8;
}

export function createBatch(capacity: number, spltN: number): FlowBatch {
  return viewBatch(new ArrayBuffer(batchBytes(capacity, spltN)), capacity, spltN);
}
