import { HISTORY_MAX, type FlowBatch } from './batch.js';
import { ZEEK_G_DOUBLES, ZEEK_U_WORDS } from './zeek-state.js';

/**
 * The live flow table's row layout: one fixed-size row per flow in one buffer, viewed as
 * Float64 (F_* indexes, in doubles) and Uint32/Int32 (W_* indexes, in words); word w and
 * double w >> 1 share the same bytes. A packet's update touches the first two 64-byte lines,
 * its direction's line and the Zeek state's lines; the rest is read only when the flow starts
 * and ends.
 * The row ends with the SPLT entries: entry i is a gap (double F_SPLT + 2i) and a size
 * (word W_SPLT + 4i + 2), so a packet's entry is one 16-byte piece.
 */
export const enum Row {
  // Line 0: the key and what every packet reads.
  W_KEY = 0, // 10 words (key.ts)
  W_LAST_NS = 10, W_FIRST_NS = 11, W_SPLT_LEN = 12, W_ORIG_IS_LOW = 13,
  /** Handshake sides: bits 0-1 the first SYN's sender, bits 2-3 the SYN-ACK's (1 originator, 2 responder). */
  W_HS_SIDE = 14,
  W_HASH = 15,
  // Line 1: times (doubles); *_REL are ns after the part's first packet.
  F_FIRST_SEC = 8, F_LAST_SEC = 9, F_PREV_REL = 10, F_SYN_REL = 11, F_SYN_ACK_REL = 12,
  F_ACK_REL = 13, F_ACK_RESP_REL = 14, F_CLOSE_SEC = 15,
  // Line 2: the originator's side; line 3 the responder's, DIR_F doubles (DIR_W words) further.
  F_PKTS = 16, F_WIRE = 17, F_IP = 18, F_PAYLOAD = 19, F_MAC = 20,
  DIR_F = 8, DIR_W = 16,
  F_SYN_TO_SYN_ACK = 21, // in the originator's line
  F_SYN_ACK_TO_ACK = 29, // in the responder's line
  W_TTL = 44, W_TCP_FLAGS = 45, // per side
  W_FRAGMENTS = 46, W_TRUNCATED = 47, // in the originator's line
  W_GEN = 62, W_PROTO = 63, // in the responder's line
  // Lines 4-5: written when the flow starts, read when it ends.
  F_TAG = 32,
  W_ORIG_ADDR = 66, W_RESP_ADDR = 70, W_TUNNEL_SRC = 74, W_TUNNEL_DST = 78,
  W_VLAN_OUTER = 82, W_VLAN_INNER = 83, W_MPLS = 84, W_ORIG_PORT = 85, W_RESP_PORT = 86,
  W_IP_VERSION = 87, W_TUNNEL_KIND = 88, W_JOINABLE = 89,
  /** The Zeek state's history bytes (HISTORY_MAX = 24: words 90-95). */
  B_ZEEK_HIST = 360,
  // Lines 6-9: the Zeek state's Uint32 block (32 words) and Float64 block (16 doubles).
  W_ZEEK_U = 96, F_ZEEK_G = 64,
  // Line 10 on: SPLT entries, 4 words each.
  W_SPLT = 160, F_SPLT = 80, SPLT_W = 4, SPLT_F = 2, SPLT_SIZE_W = 2,
}

// The layout above gives the history 24 bytes and the Zeek blocks 32 words and 16 doubles.
if (HISTORY_MAX > 24 || ZEEK_U_WORDS !== 32 || ZEEK_G_DOUBLES !== 16) throw new Error('row.ts: the row layout no longer fits the Zeek state');

/** Views of the live rows over one buffer; `words` and `doubles`: the row stride. */
export interface RowViews { buffer: ArrayBuffer; f: Float64Array; u: Uint32Array; i: Int32Array; words: number; doubles: number }

/** Row stride in words for `spltN` SPLT entries (a whole number of 64-byte lines). */
export function rowWords(spltN: number): number {
  return (Row.W_SPLT + Row.SPLT_W * spltN + 15) & ~15;
}

export function createRows(capacity: number, words: number): RowViews {
  const buf = new ArrayBuffer(capacity * words * 4);
  return { buffer: buf, f: new Float64Array(buf), u: new Uint32Array(buf), i: new Int32Array(buf), words, doubles: words / 2 };
}

export function growRows(old: RowViews, capacity: number): RowViews {
  const r = createRows(capacity, old.words);
  r.u.set(old.u);
  return r;
}

/**
 * Writes row `f` into output row `r`, turning it around when Zeek swapped the roles (`swapped`):
 * the responder's side becomes the originator's and SPLT sizes change sign. Sets every column
 * but those of the Zeek state (connState, history, zOrig/zResp*) and endReason.
 */
export function rowToBatch(v: RowViews, f: number, dst: FlowBatch, r: number, swapped: boolean, closing: boolean): void {
  const rf = v.f, ru = v.u, ri = v.i, c = dst.cols;
  const fb = f * v.doubles, wb = f * v.words;
  const of = fb + (swapped ? Row.DIR_F : 0), rfo = fb + (swapped ? 0 : Row.DIR_F);
  const ow = wb + (swapped ? Row.DIR_W : 0), rwo = wb + (swapped ? 0 : Row.DIR_W);
  c.firstSec[r] = rf[fb + Row.F_FIRST_SEC]; c.lastSec[r] = rf[fb + Row.F_LAST_SEC];
  c.origPkts[r] = rf[of + Row.F_PKTS]; c.respPkts[r] = rf[rfo + Row.F_PKTS];
  c.origWireBytes[r] = rf[of + Row.F_WIRE]; c.respWireBytes[r] = rf[rfo + Row.F_WIRE];
  c.origIpBytes[r] = rf[of + Row.F_IP]; c.respIpBytes[r] = rf[rfo + Row.F_IP];
  c.origPayloadBytes[r] = rf[of + Row.F_PAYLOAD]; c.respPayloadBytes[r] = rf[rfo + Row.F_PAYLOAD];
  c.synToSynAckUs[r] = rf[fb + Row.F_SYN_TO_SYN_ACK]; c.synAckToAckUs[r] = rf[fb + Row.F_SYN_ACK_TO_ACK];
  c.origMac[r] = rf[of + Row.F_MAC]; c.respMac[r] = rf[rfo + Row.F_MAC];
  c.closeSec[r] = closing ? rf[fb + Row.F_CLOSE_SEC] : NaN;
  c.tag[r] = rf[fb + Row.F_TAG];
  c.synRel[r] = rf[fb + Row.F_SYN_REL]; c.synAckRel[r] = rf[fb + Row.F_SYN_ACK_REL];
  const ackOrig = rf[fb + Row.F_ACK_REL], ackResp = rf[fb + Row.F_ACK_RESP_REL];
  c.ackRel[r] = swapped ? ackResp : ackOrig; c.ackRespRel[r] = swapped ? ackOrig : ackResp;
  const a4 = r * 4;
  const oa = wb + (swapped ? Row.W_RESP_ADDR : Row.W_ORIG_ADDR), ra = wb + (swapped ? Row.W_ORIG_ADDR : Row.W_RESP_ADDR);
  for (let i = 0; i < 4; i++) {
    c.origAddr[a4 + i] = ru[oa + i]; c.respAddr[a4 + i] = ru[ra + i];
    c.tunnelSrc[a4 + i] = ru[wb + Row.W_TUNNEL_SRC + i]; c.tunnelDst[a4 + i] = ru[wb + Row.W_TUNNEL_DST + i];
  }
  c.firstNs[r] = ru[wb + Row.W_FIRST_NS]; c.lastNs[r] = ru[wb + Row.W_LAST_NS];
  c.fragments[r] = ru[wb + Row.W_FRAGMENTS]; c.truncatedPkts[r] = ru[wb + Row.W_TRUNCATED];
  c.vlanOuter[r] = ri[wb + Row.W_VLAN_OUTER]; c.vlanInner[r] = ri[wb + Row.W_VLAN_INNER]; c.mplsLabel[r] = ri[wb + Row.W_MPLS];
  c.origTtl[r] = ri[ow + Row.W_TTL]; c.respTtl[r] = ri[rwo + Row.W_TTL];
  c.origPort[r] = ru[wb + (swapped ? Row.W_RESP_PORT : Row.W_ORIG_PORT)];
  c.respPort[r] = ru[wb + (swapped ? Row.W_ORIG_PORT : Row.W_RESP_PORT)];
  c.origTcpFlags[r] = ru[ow + Row.W_TCP_FLAGS]; c.respTcpFlags[r] = ru[rwo + Row.W_TCP_FLAGS];
  c.proto[r] = ru[wb + Row.W_PROTO]; c.ipVersion[r] = ru[wb + Row.W_IP_VERSION]; c.tunnelKind[r] = ru[wb + Row.W_TUNNEL_KIND];
  c.joinable[r] = ru[wb + Row.W_JOINABLE];
  const n = dst.spltN, len = ru[wb + Row.W_SPLT_LEN];
  c.spltLen[r] = len;
  const doff = r * n, sizes = c.spltSize, gaps = c.spltGapUs;
  const sw = wb + Row.W_SPLT + Row.SPLT_SIZE_W, sf = fb + Row.F_SPLT;
  for (let i = 0; i < len; i++) {
    const size = ri[sw + i * Row.SPLT_W];
    sizes[doff + i] = swapped ? -size : size;
    gaps[doff + i] = rf[sf + i * Row.SPLT_F];
  }
}

