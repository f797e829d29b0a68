import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashMemo } from '../../src/inspect/hash-memo.js';

describe('HashMemo', () => {
  it('gives node:crypto digests, remembered or not, also past its bound', () => {
    const md5 = new HashMemo('md5', 3), sha = new HashMemo('sha256', 3);
    // RFC 1321 and FIPS 180-2 test strings.
    expect(md5.hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(sha.hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (let i = 0; i < 20; i++) {
      const s = `771,4865-4866-${i % 7},0-23-65281,29-23-24,0`;
      expect(md5.hex(s)).toBe(createHash('md5').update(s, 'latin1').digest('hex'));
      expect(sha.hex(s)).toBe(createHash('sha256').update(s, 'latin1').digest('hex'));
    }
    // latin1: one byte per character, as the fingerprint specifications hash their ASCII strings.
    expect(md5.hex('\u00e9')).toBe(createHash('md5').update(Buffer.from([0xe9])).digest('hex'));
  });
});
