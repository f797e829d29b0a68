import { describe, expect, it } from 'vitest';
import { splitUnits, tsresolUnits, type TsOut } from '../../src/io/timestamp.js';

/** Exact reference: whole seconds and floor(ns) of a 64-bit unit count, in BigInt. */
function exact(hi: number, lo: number, unitsPerSec: bigint): [bigint, bigint] {
  const t = (BigInt(hi) << 32n) | BigInt(lo);
  return [t / unitsPerSec, ((t % unitsPerSec) * 1_000_000_000n) / unitsPerSec];
}

function split(hi: number, lo: number, units: number): [bigint, bigint] {
  const out: TsOut = { sec: -1, ns: -1 };
  splitUnits(hi, lo, units, out);
  expect(Number.isInteger(out.sec) && Number.isInteger(out.ns)).toBe(true);
  return [BigInt(out.sec), BigInt(out.ns)];
}

/** Deterministic 32-bit values (xorshift), plus the edges. */
function words(n: number, seed: number): number[] {
  const out = [0, 1, 0x1fffff, 0x200000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  let x = seed;
  while (out.length < n) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out.push(x >>> 0);
  }
  return out;
}

/** hi/lo pairs: small, huge, and just below/at multiples of the unit. */
function samples(units: bigint): [number, number][] {
  const pairs: [number, number][] = [];
  const w = words(40, 0x9e3779b9);
  for (const hi of w) for (const lo of w.slice(0, 12)) pairs.push([hi, lo]);
  for (let i = 1n; i < 40n; i++) {
    for (const d of [-1n, 0n, 1n]) {
      const t = BigInt.asUintN(64, (units * 1234567n * i * i * i) + d);
      pairs.push([Number(t >> 32n), Number(t & 0xffffffffn)]);
    }
  }
  return pairs;
}

function checkUnits(units: number): void {
  const u = BigInt(units);
  for (const [hi, lo] of samples(u)) {
    const [sec, ns] = exact(hi, lo, u);
    const got = split(hi, lo, units);
    // Seconds beyond 2^53 cannot be exact in a double: compare those approximately.
    if (sec >= 1n << 53n) {
      expect(Number(got[0])).toBe(Number(sec));
      expect(got[1]).toBe(ns);
    } else if (got[0] !== sec || got[1] !== ns) {
      expect({ hi, lo, sec: got[0], ns: got[1] }).toEqual({ hi, lo, sec, ns });
    }
  }
}

describe('splitUnits against BigInt', () => {
  for (const units of [1, 10, 100, 1e3, 1e6, 1e9, 2 ** 10, 2 ** 20, 2 ** 30, 2 ** 32, 2 ** 36]) {
    it(`${units} units per second`, () => checkUnits(units));
  }

  it('huge values: 2^64 - 1 in µs and ns', () => {
    expect(split(0xffffffff, 0xffffffff, 1e6)).toEqual([18446744073709n, 551615000n]);
    expect(split(0xffffffff, 0xffffffff, 1e9)).toEqual([18446744073n, 709551615n]);
    expect(split(0x80000000, 0, 1e9)).toEqual([9223372036n, 854775808n]);
  });

  it('the 2^53 boundary of the fast path', () => {
    expect(split(0x1fffff, 0xffffffff, 1e9)).toEqual(exact(0x1fffff, 0xffffffff, 1_000_000_000n));
    expect(split(0x200000, 0, 1e9)).toEqual(exact(0x200000, 0, 1_000_000_000n));
    expect(split(0x200000, 1, 1e6)).toEqual(exact(0x200000, 1, 1_000_000n));
  });

  // Sub-nanosecond resolutions (if_tsresol 10..15): unitsToNs computes rem * 1e9 in a double,
  // which is inexact once rem * 1e9 >= 2^53, so floor() can land one nanosecond low.
  it('picoseconds (if_tsresol 12) give the exact nanosecond', () => {
    expect(split(3872525304, 2033294014, 1e12)).toEqual(exact(3872525304, 2033294014, 1_000_000_000_000n));
  });

  it('10^10 units per second give the exact nanosecond', () => {
    expect(split(899876, 1675776914, 1e10)).toEqual(exact(899876, 1675776914, 10_000_000_000n));
  });

  // The 16-bit-limb long division keeps rem * 65536 below 2^53 only while unitsPerSec < 2^37.
  it('2^40 units per second (if_tsresol 0x80|40) give the exact second', () => {
    expect(split(2905375743, 4294967295, 2 ** 40)).toEqual(exact(2905375743, 4294967295, 1n << 40n));
  });
});

describe('tsresolUnits', () => {
  it('high bit clear: powers of ten', () => {
    expect([0, 3, 6, 9].map(tsresolUnits)).toEqual([1, 1e3, 1e6, 1e9]);
  });

  it('high bit set: powers of two', () => {
    expect([0x80, 0x80 | 10, 0x80 | 20, 0x80 | 30].map(tsresolUnits)).toEqual([1, 1024, 2 ** 20, 2 ** 30]);
  });
});
