/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
 * encoded length (1, 2, 4 or 8 bytes), the remaining bits are the value in network byte order.
 * Values are returned as JS numbers; 8-byte values above 2^53 lose precision but stay huge, which
 * is all the bounds checks here need. Nothing is allocated.
 */

/** One more than the largest value a varint can hold (2^62). */
export const VARINT_LIMIT = 2 ** 62;

/** Encoded length in bytes announced by the first byte of a varint. */
export function varintSize(firstByte: number): number {
  return 1 << (firstByte >> 6);
}

/**
 * The varint at `pos`, or -1 when its encoded length does not fit before `end`.
 * The caller advances by varintSize(buf[pos]).
 */
export function readVarint(buf: Uint8Array, pos: number, end: number): number {
  if (pos >= end) return -1;
  const b0 = buf[pos];
  const n = 1 << (b0 >> 6);
  if (pos + n > end) return -1;
  switch (n) {
    case 1:
      return b0 & 0x3f;
    case 2:
      return ((b0 & 0x3f) << 8) | buf[pos + 1];
    case 4:
      return (((b0 & 0x3f) << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
    default: {
      const hi = (((b0 & 0x3f) << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      const lo = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
      return hi * 4294967296 + lo;
    }
  }
}
