/**
 * Flow keys as 10 u32 words: low address (4), high address (4), ports (low<<16 | high), protocol.
 * "Low" is the endpoint whose (address, port) compares smaller, so both directions share a key.
 */
export const KEY_WORDS = 10;

/** Mixes the 10 key words into a 32-bit hash (multiply-xorshift per word). */
export function hashKey(k: Uint32Array, o: number): number {
  let h = 0x9e3779b9;
  for (let i = 0; i < KEY_WORDS; i++) {
    h = Math.imul(h ^ k[o + i], 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** -1, 0 or 1: compares (a, aPort) with (b, bPort), addresses as 4 words. */
export function compareEndpoints(a: Uint32Array, aPort: number, b: Uint32Array, bPort: number): number {
  for (let i = 0; i < 4; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return aPort === bPort ? 0 : aPort < bPort ? -1 : 1;
}
