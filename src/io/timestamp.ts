/**
 * Timestamps without BigInt: a 64-bit count of units (hi, lo u32 words) divided by
 * `unitsPerSec` into whole seconds and nanoseconds. Results land in a reused object.
 */
export interface TsOut { sec: number; ns: number }

const TWO32 = 4294967296;

export function splitUnits(hi: number, lo: number, unitsPerSec: number, out: TsOut): void {
  if (unitsPerSec > 1e9 || unitsPerSec >= 137438953472) { exotic(hi, lo, unitsPerSec, out); return; }
  if (hi < 0x200000) {
    // Fits in 53 bits: exact in a double.
    const total = hi * TWO32 + lo;
    const sec = Math.floor(total / unitsPerSec);
    out.sec = sec;
    out.ns = unitsToNs(total - sec * unitsPerSec, unitsPerSec);
    return;
  }
  // Long division in 16-bit limbs keeps every intermediate below 2^53.
  let rem = 0;
  let q = 0;
  const limbs3 = hi >>> 16, limbs2 = hi & 0xffff, limbs1 = lo >>> 16, limbs0 = lo & 0xffff;
  let cur = limbs3; q = Math.floor(cur / unitsPerSec); rem = cur - q * unitsPerSec;
  let sec = q;
  cur = rem * 65536 + limbs2; q = Math.floor(cur / unitsPerSec); rem = cur - q * unitsPerSec; sec = sec * 65536 + q;
  cur = rem * 65536 + limbs1; q = Math.floor(cur / unitsPerSec); rem = cur - q * unitsPerSec; sec = sec * 65536 + q;
  cur = rem * 65536 + limbs0; q = Math.floor(cur / unitsPerSec); rem = cur - q * unitsPerSec; sec = sec * 65536 + q;
  out.sec = sec;
  out.ns = unitsToNs(rem, unitsPerSec);
}

/**
 * Resolutions finer than 1 ns (if_tsresol 10..19, or 2^-n with n >= 30) are rare; exact BigInt
 * arithmetic is used for them rather than slowing down the common microsecond/nanosecond case.
 */
function exotic(hi: number, lo: number, unitsPerSec: number, out: TsOut): void {
  const total = (BigInt(hi) << 32n) | BigInt(lo);
  const per = BigInt(unitsPerSec);
  const sec = total / per;
  const rem = total - sec * per;
  out.sec = Number(sec);
  out.ns = Number((rem * 1000000000n) / per);
}

function unitsToNs(rem: number, unitsPerSec: number): number {
  if (unitsPerSec === 1e9) return rem;
  if (unitsPerSec <= 1e9 && 1e9 % unitsPerSec === 0) return rem * (1e9 / unitsPerSec);
  return Math.floor((rem * 1e9) / unitsPerSec);
}

/** pcapng if_tsresol: high bit clear = 10^-n, set = 2^-n. Returns units per second. */
export function tsresolUnits(code: number): number {
  const n = code & 0x7f;
  return (code & 0x80) !== 0 ? Math.pow(2, n) : Math.pow(10, n);
}
