/**
 * Frames of a decrypted Initial packet payload (RFC 9000 §19). Parsed: PADDING (0x00), PING (0x01),
 * ACK (0x02, 0x03 with ECN counts), CRYPTO (0x06), CONNECTION_CLOSE (0x1c transport, 0x1d
 * application). Any other type (none other is allowed in an Initial packet, RFC 9000 §12.4) stops
 * parsing with quic_frame_unknown; a frame cut short stops it with quic_frame_truncated. What was
 * parsed before the stop is kept. Frame types must be minimally encoded, so a type byte of 0x40 or
 * more (a multi-byte varint) counts as unknown. Parsing is linear in the payload length.
 */
import { QUIC_ANOMALY, QUIC_OK } from './quic-anomaly.js';
import { VARINT_LIMIT, readVarint, varintSize } from './quic-varint.js';

export interface QuicCryptoFrame {
  /** Offset of `data` in the sender's CRYPTO stream at this encryption level. */
  offset: number;
  /** A view into the decrypted payload. */
  data: Uint8Array;
}

export interface QuicConnectionClose {
  /** 0x1c (QUIC transport error) or 0x1d (application error). */
  frameType: number;
  errorCode: number;
  /** The frame type that caused the error (0x1c only; -1 for 0x1d). */
  triggerFrameType: number;
  /** Reason phrase bytes (UTF-8 by the RFC, not checked), a view into the payload. */
  reason: Uint8Array;
}

export interface QuicFrameSummary {
  crypto: QuicCryptoFrame[];
  paddingBytes: number;
  pings: number;
  acks: number;
  /** Largest packet number acknowledged by the last ACK frame, -1 if none. */
  largestAcked: number;
  close: QuicConnectionClose | null;
  /** QUIC_OK or the anomaly code that stopped parsing. */
  error: number;
  /** Payload offset where parsing stopped (payload length when all of it was parsed). */
  stoppedAt: number;
}

export function emptyFrameSummary(): QuicFrameSummary {
  return { crypto: [], paddingBytes: 0, pings: 0, acks: 0, largestAcked: -1, close: null, error: QUIC_OK, stoppedAt: 0 };
}

/** Parses the frames of `p[0..p.length)` into `out` (which it fills; `out.error` says whether it stopped early). */
export function parseInitialFrames(p: Uint8Array, out: QuicFrameSummary): QuicFrameSummary {
  const end = p.length;
  let pos = 0;
  // One varint at `pos`: sets `v` and advances, or returns false when truncated.
  let v = 0;
  const next = (): boolean => {
    v = readVarint(p, pos, end);
    if (v < 0) return false;
    pos += varintSize(p[pos]);
    return true;
  };
  const stop = (code: number, at: number): QuicFrameSummary => {
    out.error = code;
    out.stoppedAt = at;
    return out;
  };

  while (pos < end) {
    const frameStart = pos;
    const type = p[pos++];
    switch (type) {
      case 0x00: {
        let q = pos;
        while (q < end && p[q] === 0) q++;
        out.paddingBytes += q - frameStart;
        pos = q;
        break;
      }
      case 0x01:
        out.pings++;
        break;
      case 0x02:
      case 0x03: {
        if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        const largest = v;
        if (!next() || !next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart); // ACK Delay, ACK Range Count
        const rangeCount = v;
        if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart); // First ACK Range
        // Each further range is two varints of at least one byte: a count beyond that is a lie.
        if (rangeCount > (end - pos) / 2) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        for (let i = 0; i < rangeCount; i++) {
          if (!next() || !next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart); // Gap, ACK Range Length
        }
        if (type === 0x03 && (!next() || !next() || !next())) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        out.acks++;
        out.largestAcked = largest;
        break;
      }
      case 0x06: {
        if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        const offset = v;
        if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        const len = v;
        if (len > end - pos) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        // In doubles 2^62 - 1 rounds to 2^62, so sums within a few hundred of the limit count as beyond it.
        if (offset + len >= VARINT_LIMIT) return stop(QUIC_ANOMALY.quic_crypto_offset_out_of_range, frameStart);
        out.crypto.push({ offset, data: p.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 0x1c:
      case 0x1d: {
        if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        const errorCode = v;
        let trigger = -1;
        if (type === 0x1c) {
          if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
          trigger = v;
        }
        if (!next()) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        const len = v;
        if (len > end - pos) return stop(QUIC_ANOMALY.quic_frame_truncated, frameStart);
        out.close = { frameType: type, errorCode, triggerFrameType: trigger, reason: p.subarray(pos, pos + len) };
        pos += len;
        break;
      }
      default:
        return stop(QUIC_ANOMALY.quic_frame_unknown, frameStart);
    }
  }
  out.stoppedAt = pos;
  return out;
}
