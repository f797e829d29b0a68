/**
 * Address text from 4 big-endian u32 words (IPv4 stored IPv4-mapped). Shared by the sink (flow
 * columns) and the inspectors (DNS answers): made at the edge, never in the packet loop.
 */

/** Two lowercase hex digits per byte value. */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 'aa:bb:cc:dd:ee:ff' of a 48-bit MAC held in a double (as Decoded and FlowBatch keep it); null for NaN. */
export function macText(mac: number): string | null {
  if (Number.isNaN(mac)) return null;
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac - hi * 0x100000000;
  return `${HEX2[(hi >>> 8) & 0xff]}:${HEX2[hi & 0xff]}:${HEX2[lo >>> 24]}:${HEX2[(lo >>> 16) & 0xff]}:`
    + `${HEX2[(lo >>> 8) & 0xff]}:${HEX2[lo & 0xff]}`;
}

/** Dotted quad of one u32 word. */
export function ipv4Text(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
}

/** True when the 4 words at `off` hold an IPv4-mapped address (::ffff:0:0/96). */
export function isV4Mapped(words: Uint32Array, off: number): boolean {
  return words[off] === 0 && words[off + 1] === 0 && words[off + 2] === 0x0000ffff;
}

/**
 * RFC 5952 text of the 16-byte address at `off`: lowercase, no leading zeros, the
 * longest run of two or more zero groups (the first on a tie) as '::', and mixed
 * notation for IPv4-mapped addresses (section 5).
 */
export function ipv6Text(words: Uint32Array, off: number): string {
  if (isV4Mapped(words, off)) return `::ffff:${ipv4Text(words[off + 3]!)}`;
  const g = new Array<number>(8);
  for (let k = 0; k < 4; k++) {
    const w = words[off + k]!;
    g[2 * k] = w >>> 16;
    g[2 * k + 1] = w & 0xffff;
  }
  let bestAt = -1, bestLen = 1, runAt = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && g[i] === 0) {
      if (runAt < 0) runAt = i;
    } else if (runAt >= 0) {
      if (i - runAt > bestLen) { bestAt = runAt; bestLen = i - runAt; }
      runAt = -1;
    }
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

