import { createHash } from 'node:crypto';

/**
 * Hex digests of fingerprint strings, remembered. The same client stacks send the same ClientHello
 * lists again and again, so JA3 and JA4 strings repeat; a Map lookup costs far less than a new
 * node:crypto hash (about 2-3 µs each, and a ClientHello needs five). Bounded: the memo starts over
 * when it holds `max` strings, so hostile variety costs memory no more than that.
 */
export class HashMemo {
  private readonly known = new Map<string, string>();

  constructor(private readonly algorithm: 'md5' | 'sha256', private readonly max = 8192) {}

  /** The lowercase hex digest of `s`, read as latin1 bytes. */
  hex(s: string): string {
    let h = this.known.get(s);
    if (h === undefined) {
      h = createHash(this.algorithm).update(s, 'latin1').digest('hex');
      if (this.known.size >= this.max) this.known.clear();
      this.known.set(s, h);
    }
    return h;
  }
}
