/**
 * Longest-prefix match for IPv4 and IPv6, held entirely in one Int32Array per table.
 *
 * Structure: a multibit trie with fixed strides per level and controlled prefix expansion
 * (Srinivasan and Varghese, "Fast address lookups using controlled prefix expansion", 1999),
 * leaf-pushed so that every slot holds either a final answer or a pointer to a child chunk.
 * The root level is a direct array; the chunks below it are run-length packed (next paragraph).
 * Default schedules: IPv4 16-8-8 (a 2^16 root, then 256-slot chunks for bits 16..23 and 24..31);
 * IPv6 16 then 8-bit strides to /128 (a /48 takes the root and four chunks).
 *
 * Slot encoding (both families): e >= 0 is a leaf whose value is e - 1 (so 0 is "no match");
 * e < 0 points to a child chunk that starts at index ~e of the same array.
 *
 * PACKED CHUNKS. After leaf pushing, a chunk's 2^s slots are mostly long runs of the same entry.
 * A packed chunk stores only the first entry of each run, plus, per 32 slots, a bitmap word whose
 * bit (31 - b) is set when slot 32w + b starts a run, followed by that word's base: the index
 * (relative to the chunk) of the run value just before the word's first run start. Header words
 * are interleaved [bm0, base0, bm1, base1, ...] (one word pair for strides below 6), then the
 * run values. Slot i's entry is chunk[base(i>>5) + popcount(bm(i>>5) >>> (31 - (i & 31)))], the
 * rank trick of Poptrie (Asai and Ohara, SIGCOMM 2015) applied to the leaf-pushed slots. On the
 * RouteViews table this cuts the 16-8-8 trie from about 17 MiB to a few MiB, which then mostly
 * stays in cache. `{ packed: false }` keeps plain 2^s-slot chunks.
 *
 * Prefixes are staged by insert() and the trie is made by build() (called by the first lookup
 * after an insert when the caller did not). Build sorts the prefixes by length (a stable counting
 * sort) and paints them shortest first, so a longer prefix always wins whatever the insertion
 * order; the same prefix inserted twice keeps the value of the LAST insert. A compaction pass
 * then folds chunks whose slots all hold the same leaf back into their parent slot and shares
 * chunks with identical contents, writing the result depth-first into an exactly sized array.
 *
 * Lookups do not allocate: a few typed-array reads and compares.
 */
import { parseAddr } from '../sink/addr.js';
import { isV4Mapped } from '../wire/addr-text.js';

/** Values are 0..LPM_MAX_VALUE (a leaf stores value + 1 in an int32 slot). */
export const LPM_MAX_VALUE = 0x7ffffffe;

export const LPM4_DEFAULT_STRIDES: readonly number[] = [16, 8, 8];
export const LPM6_DEFAULT_STRIDES: readonly number[] = [16, ...new Array<number>(14).fill(8)];

export interface LpmOptions {
  /**
   * Bits consumed per trie level, most significant first; they sum to 32 (IPv4) or 128 (IPv6),
   * each is 1..24, and none crosses a 32-bit word boundary.
   */
  strides?: readonly number[];
  /** Run-length packed chunks below the root (default true). */
  packed?: boolean;
}

/** The part of a /len netmask that falls in 32-bit word k of an address (k = 0 most significant). */
function wordMask(len: number, k: number): number {
  const c = len - 32 * k;
  if (c <= 0) return 0;
  if (c >= 32) return 0xffffffff;
  return (0xffffffff << (32 - c)) >>> 0;
}

/** Batch lookups work through the input in blocks of this many addresses. */
const BATCH_BLOCK = 256;

function checkStrides(strides: readonly number[], total: number): void {
  if (strides.length === 0) throw new RangeError('lpm: empty stride schedule');
  let at = 0;
  for (const s of strides) {
    if (!Number.isInteger(s) || s < 1 || s > 24) throw new RangeError(`lpm: stride ${s} is not an integer in 1..24`);
    if (at >>> 5 !== (at + s - 1) >>> 5) throw new RangeError(`lpm: stride ${s} at bit ${at} crosses a 32-bit word boundary`);
    at += s;
  }
  if (at !== total) throw new RangeError(`lpm: strides sum to ${at}, not ${total}`);
}

/**
 * The family-independent part: the staged prefixes, the build, and the per-level tables the
 * lookups read (which word, how far to shift, which mask).
 */
abstract class StrideTrie {
  /** The trie: root chunk at index 0, then the child chunks. A placeholder until the first build. */
  protected nodes: Int32Array = new Int32Array(1);
  protected dirty = true;
  protected readonly strides: Int32Array;
  /** Per level: right shift within the level's word. */
  protected readonly shift: Int32Array;
  /** Per level: index of the address word the level reads (0 most significant). */
  protected readonly word: Int32Array;
  /** Per level: (1 << stride) - 1. */
  protected readonly mask: Int32Array;
  /** Root shift (level 0 always reads word 0). */
  protected readonly rootShift: number;
  /** Chunks below the root are packed. */
  protected readonly packed: boolean;

  /** Scratch for the batch lookups: slots of the block still descending. */
  protected readonly pend = new Int32Array(BATCH_BLOCK);

  private pAddr: Uint32Array;
  private pLen: Uint8Array;
  private pVal: Int32Array;
  private count = 0;
  private frozen = false;
  private chunksPerLevel: number[] = [];

  protected constructor(private readonly wordsPer: 1 | 4, private readonly bits: 32 | 128, strides: readonly number[], packed: boolean) {
    checkStrides(strides, bits);
    this.packed = packed;
    this.strides = Int32Array.from(strides);
    const n = strides.length;
    this.shift = new Int32Array(n);
    this.word = new Int32Array(n);
    this.mask = new Int32Array(n);
    let at = 0;
    for (let l = 0; l < n; l++) {
      const s = strides[l]!;
      this.word[l] = at >>> 5;
      this.shift[l] = 32 - (at & 31) - s;
      this.mask[l] = (1 << s) - 1;
      at += s;
    }
    this.rootShift = this.shift[0]!;
    const cap = 1024;
    this.pAddr = new Uint32Array(cap * wordsPer);
    this.pLen = new Uint8Array(cap);
    this.pVal = new Int32Array(cap);
  }

  /** Number of insert() calls kept (an equal prefix inserted twice counts twice). */
  get size(): number { return this.count; }

  /** Bytes of the lookup structure alone. */
  get trieBytes(): number { return this.nodes.byteLength; }

  /** Bytes of every typed array the table holds: the trie plus the staged prefixes (until freeze()). */
  get memoryBytes(): number {
    return this.nodes.byteLength + this.pAddr.byteLength + this.pLen.byteLength + this.pVal.byteLength;
  }

  /** Chunks per trie level after the last build (level 0 is the root, always 1). */
  get levelChunks(): readonly number[] { return this.chunksPerLevel; }

  /**
   * Builds (if needed) and drops the staged prefixes, leaving only the trie. Later inserts throw.
   */
  freeze(): void {
    if (this.dirty) this.build();
    this.frozen = true;
    this.pAddr = new Uint32Array(0);
    this.pLen = new Uint8Array(0);
    this.pVal = new Int32Array(0);
  }

  protected stage(words: ArrayLike<number>, off: number, len: number, value: number): void {
    if (this.frozen) throw new Error('lpm: insert after freeze()');
    if (!Number.isInteger(len) || len < 0 || len > this.bits) throw new RangeError(`lpm: prefix length ${len} outside 0..${this.bits}`);
    if (!Number.isInteger(value) || value < 0 || value > LPM_MAX_VALUE) throw new RangeError(`lpm: value ${value} outside 0..${LPM_MAX_VALUE}`);
    if (this.count === this.pLen.length) {
      const cap = this.pLen.length * 2;
      const a = new Uint32Array(cap * this.wordsPer); a.set(this.pAddr); this.pAddr = a;
      const l = new Uint8Array(cap); l.set(this.pLen); this.pLen = l;
      const v = new Int32Array(cap); v.set(this.pVal); this.pVal = v;
    }
    const i = this.count++;
    const wp = this.wordsPer;
    for (let k = 0; k < wp; k++) this.pAddr[i * wp + k] = ((words[off + k]! >>> 0) & wordMask(len, k)) >>> 0;
    this.pLen[i] = len;
    this.pVal[i] = value;
    this.dirty = true;
  }

  /** Makes the trie from the staged prefixes. Idempotent; lookups call it when inserts are pending. */
  build(): void {
    if (!this.dirty) return;
    const { strides, shift, word, mask, wordsPer: wp, pAddr, pLen, pVal } = this;
    const n = this.count;
    const levels = strides.length;

    // Stable counting sort by prefix length: shorter first, insertion order within a length.
    const start = new Int32Array(this.bits + 2);
    for (let i = 0; i < n; i++) start[pLen[i]! + 1]++;
    for (let b = 1; b < start.length; b++) start[b] += start[b - 1]!;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[start[pLen[i]!]++] = i;

    // Paint. A chunk is created (leaf-pushed: every slot starts as the parent slot's leaf) when a
    // longer prefix passes through a leaf slot. Because prefixes come shortest first, the slots a
    // prefix paints never hold child pointers yet.
    const rootSize = 1 << strides[0]!;
    let buf = new Int32Array(Math.max(rootSize * 2, 4096));
    let used = rootSize;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const len = pLen[i]!;
      const v = pVal[i]! + 1;
      let off = 0, d = 0, l = 0;
      for (;;) {
        const s = strides[l]!;
        const idx = (pAddr[i * wp + word[l]!]! >>> shift[l]!) & mask[l]!;
        if (len <= d + s) {
          const span = d + s - len;
          const first = off + ((idx >>> span) << span);
          buf.fill(v, first, first + (1 << span));
          break;
        }
        let e = buf[off + idx]!;
        if (e >= 0) {
          const size = 1 << strides[l + 1]!;
          if (used + size > buf.length) {
            const g = new Int32Array(Math.max(buf.length * 2, used + size));
            g.set(buf.subarray(0, used));
            buf = g;
          }
          buf.fill(e, used, used + size);
          e = ~used;
          buf[off + idx] = e;
          used += size;
        }
        off = ~e; d += s; l++;
      }
    }

    // Compact depth-first into `out`: fold uniform chunks, share identical ones (per level), and
    // (when packed) store each chunk run-length coded (see PACKED CHUNKS above).
    const src = buf;
    const packed = this.packed;
    let out = new Int32Array(Math.max(rootSize * 2, 4096));
    let outUsed = rootSize;
    const scratch = Array.from(strides, (s) => new Int32Array(1 << s));
    const packScratch = Array.from(strides, (s) => new Int32Array(2 * Math.max(1, (1 << s) >>> 5) + (1 << s) + 1));
    const shared = new Map<number, [number, number][]>();
    const chunks = new Array<number>(levels).fill(0);
    chunks[0] = 1;
    const compact = (at: number, l: number): number => {
      const size = 1 << strides[l]!;
      const t = scratch[l]!;
      const t0 = src[at]! < 0 ? compact(~src[at]!, l + 1) : src[at]!;
      t[0] = t0;
      let uniform = t0 >= 0;
      for (let j = 1; j < size; j++) {
        const e = src[at + j]!;
        const r = e < 0 ? compact(~e, l + 1) : e;
        t[j] = r;
        if (r !== t0) uniform = false;
      }
      if (uniform) return t0;
      // The words to store: t itself, or its packed form.
      let words = t, len = size;
      if (packed) {
        const z = packScratch[l]!;
        const nw = Math.max(1, size >>> 5);
        let runs = 0;
        for (let w = 0; w < nw; w++) {
          let bm = 0;
          const base = 2 * nw + runs - 1;
          const bits = Math.min(32, size);
          for (let b = 0; b < bits; b++) {
            const j = 32 * w + b;
            if (j === 0 || t[j] !== t[j - 1]) { bm |= 1 << (31 - b); z[2 * nw + runs++] = t[j]!; }
          }
          z[2 * w] = bm;
          z[2 * w + 1] = base;
        }
        len = 2 * nw + runs;
        if (len & 1) z[len++] = 0; // keep chunks at even offsets: a bitmap and its base share a cache line
        words = z;
      }
      let h = Math.imul(len ^ 0x9e3779b9, 0x85ebca6b);
      for (let j = 0; j < len; j++) h = Math.imul(h ^ words[j]!, 0x01000193) ^ (h >>> 15);
      const key = (h >>> 0) * 128 + l;
      let list = shared.get(key);
      if (list !== undefined) {
        for (const [o, olen] of list) {
          if (olen !== len) continue;
          let same = true;
          for (let j = 0; j < len; j++) if (out[o + j] !== words[j]) { same = false; break; }
          if (same) return ~o;
        }
      } else {
        list = [];
        shared.set(key, list);
      }
      if (outUsed + len > out.length) {
        const g = new Int32Array(Math.max(out.length * 2, outUsed + len));
        g.set(out.subarray(0, outUsed));
        out = g;
      }
      const o = outUsed;
      out.set(words.subarray(0, len), o);
      outUsed += len;
      list.push([o, len]);
      chunks[l]++;
      return ~o;
    };
    for (let j = 0; j < rootSize; j++) {
      const e = src[j]!;
      const r = e < 0 ? compact(~e, 1) : e;
      out[j] = r; // `out` may have been replaced by the call: assign after it returns
    }
    this.nodes = out.slice(0, outUsed);
    this.chunksPerLevel = chunks;
    this.dirty = false;
  }
}

/** Staging word for Lpm4.insert (stage() copies it). */
const scratch1 = new Uint32Array(1);

/** IPv4 longest-prefix match. Addresses are u32 (an int32 with the same bits is accepted too). */

/**
 * Child `i` of the packed node at `c`: per 32 children the node holds a bitmap and a base; the
 * child's entry is at c + base + the number of bitmap bits set at positions 0..i (a popcount,
 * most significant bit first). One function for the four lookup loops; small enough to inline.
 */
function packedChild(n: Int32Array, c: number, i: number): number {
  const p = c + ((i >>> 5) << 1);
  let x = n[p]! >>> (31 - (i & 31));
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return n[c + n[p + 1]! + (Math.imul(x, 0x01010101) >>> 24)]!;
}

export class Lpm4 extends StrideTrie {
  constructor(opts: LpmOptions = {}) {
    super(1, 32, opts.strides ?? LPM4_DEFAULT_STRIDES, opts.packed ?? true);
  }

  /** Adds `addr/len` -> value (0..LPM_MAX_VALUE). Bits of addr past len are ignored. */
  insert(addr: number, len: number, value: number): void {
    scratch1[0] = addr;
    this.stage(scratch1, 0, len, value);
  }

  /** Value of the longest prefix containing addr, or -1. */
  lookup(addr: number): number {
    if (this.dirty) this.build();
    const n = this.nodes;
    let e = n[addr >>> this.rootShift]!;
    if (e >= 0) return e - 1;
    const sh = this.shift, mk = this.mask;
    let l = 1;
    if (this.packed) {
      do {
        e = packedChild(n, ~e, (addr >>> sh[l]!) & mk[l]!);
        l++;
      } while (e < 0);
    } else {
      do {
        e = n[~e + ((addr >>> sh[l]!) & mk[l]!)]!;
        l++;
      } while (e < 0);
    }
    return e - 1;
  }

  /**
   * out[i] = lookup(addrs[i]) for i < count (default: all of addrs). The block is walked one trie
   * level at a time, so the loads of different addresses do not wait for each other and the CPU
   * overlaps their cache misses; on a full table this is several times the rate of lookup().
   * Does not allocate.
   */
  lookupMany(addrs: Uint32Array, out: Int32Array, count = addrs.length): void {
    if (this.dirty) this.build();
    if (count > addrs.length || count > out.length) throw new RangeError('lpm: count exceeds the arrays');
    const n = this.nodes, rs = this.rootShift, sh = this.shift, mk = this.mask, pend = this.pend;
    const packed = this.packed;
    for (let base = 0; base < count; base += BATCH_BLOCK) {
      const end = Math.min(count, base + BATCH_BLOCK);
      let np = 0;
      for (let i = base; i < end; i++) {
        const e = n[addrs[i]! >>> rs]!;
        out[i] = e;
        pend[np] = i;
        np += e >>> 31;
      }
      for (let l = 1; np > 0; l++) {
        const s = sh[l]!, m = mk[l]!;
        let k = 0;
        if (packed) {
          for (let j = 0; j < np; j++) {
            const i = pend[j]!;
            const e = packedChild(n, ~out[i]!, (addrs[i]! >>> s) & m);
            out[i] = e;
            pend[k] = i;
            k += e >>> 31;
          }
        } else {
          for (let j = 0; j < np; j++) {
            const i = pend[j]!;
            const e = n[~out[i]! + ((addrs[i]! >>> s) & m)]!;
            out[i] = e;
            pend[k] = i;
            k += e >>> 31;
          }
        }
        np = k;
      }
      for (let i = base; i < end; i++) out[i] = out[i]! - 1;
    }
  }
}

/** IPv6 longest-prefix match. Addresses are four big-endian u32 words, w0 most significant. */
export class Lpm6 extends StrideTrie {
  constructor(opts: LpmOptions = {}) {
    super(4, 128, opts.strides ?? LPM6_DEFAULT_STRIDES, opts.packed ?? true);
  }

  /** Adds the prefix whose 4 words start at words[off], of length len (0..128) -> value. */
  insert(words: ArrayLike<number>, len: number, value: number, off = 0): void {
    this.stage(words, off, len, value);
  }

  /** Value of the longest prefix containing the address, or -1. */
  lookup6(a0: number, a1: number, a2: number, a3: number): number {
    if (this.dirty) this.build();
    const n = this.nodes;
    let e = n[a0 >>> this.rootShift]!;
    if (e >= 0) return e - 1;
    const sh = this.shift, mk = this.mask, wd = this.word;
    let l = 1;
    if (this.packed) {
      do {
        const w = wd[l]!;
        const a = w === 0 ? a0 : w === 1 ? a1 : w === 2 ? a2 : a3;
        e = packedChild(n, ~e, (a >>> sh[l]!) & mk[l]!);
        l++;
      } while (e < 0);
    } else {
      do {
        const w = wd[l]!;
        const a = w === 0 ? a0 : w === 1 ? a1 : w === 2 ? a2 : a3;
        e = n[~e + ((a >>> sh[l]!) & mk[l]!)]!;
        l++;
      } while (e < 0);
    }
    return e - 1;
  }

  /** lookup6 of the four words at words[off]. */
  lookupWords(words: Uint32Array, off: number): number {
    return this.lookup6(words[off]!, words[off + 1]!, words[off + 2]!, words[off + 3]!);
  }

  /**
   * out[i] = lookupWords(words, 4 * i) for i < count (default: words.length / 4), level by level
   * across blocks as Lpm4.lookupMany does. Does not allocate.
   */
  lookupManyWords(words: Uint32Array, out: Int32Array, count = words.length >>> 2): void {
    if (this.dirty) this.build();
    if (4 * count > words.length || count > out.length) throw new RangeError('lpm: count exceeds the arrays');
    const n = this.nodes, rs = this.rootShift, sh = this.shift, mk = this.mask, wd = this.word, pend = this.pend;
    const packed = this.packed;
    for (let base = 0; base < count; base += BATCH_BLOCK) {
      const end = Math.min(count, base + BATCH_BLOCK);
      let np = 0;
      for (let i = base; i < end; i++) {
        const e = n[words[4 * i]! >>> rs]!;
        out[i] = e;
        pend[np] = i;
        np += e >>> 31;
      }
      for (let l = 1; np > 0; l++) {
        const s = sh[l]!, m = mk[l]!, w = wd[l]!;
        let k = 0;
        for (let j = 0; j < np; j++) {
          const i = pend[j]!;
          const x0 = (words[4 * i + w]! >>> s) & m;
          let e: number;
          if (packed) {
            e = packedChild(n, ~out[i]!, x0);
          } else {
            e = n[~out[i]! + x0]!;
          }
          out[i] = e;
          pend[k] = i;
          k += e >>> 31;
        }
        np = k;
      }
      for (let i = base; i < end; i++) out[i] = out[i]! - 1;
    }
  }
}

/**
 * Lookup of an address in the flow-batch word layout (4 words, IPv4 stored IPv4-mapped):
 * an IPv4-mapped address goes to `v4`, anything else to `v6`.
 */
export function lookupAddrWords(v4: Lpm4, v6: Lpm6, words: Uint32Array, off: number): number {
  return isV4Mapped(words, off) ? v4.lookup(words[off + 3]!) : v6.lookupWords(words, off);
}

/**
 * Dotted-quad IPv4 text to a u32, or -1. Accepts what the project's parser (parseAddr in
 * src/sink/addr.ts) accepts: four decimal parts of 1..3 digits, each at most 255. Written as a
 * character scan rather than a call to parseAddr because table loads call it 700 k times and
 * parseAddr splits, runs regexes and allocates for each (about 10x slower); the tests hold the
 * two to the same answers.
 */
export function parseIpv4(text: string): number {
  return parseIpv4At(text, 0, text.length);
}

/** parseIpv4 of text[start, end), without cutting the text. */
export function parseIpv4At(text: string, start: number, end: number): number {
  const n = end - start;
  if (n < 7 || n > 15) return -1;
  let w = 0, part = 0, digits = 0, dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return -1;
      w = w * 256 + part;
      part = 0; digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return -1;
      part = part * 10 + (c - 0x30);
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return w * 256 + part;
}

/**
 * IPv6 text (RFC 4291 section 2.2: full, '::'-compressed, and with an embedded dotted quad) to
 * four u32 words, or null. Plain IPv4 text is not IPv6 and gives null.
 */
export function parseIpv6(text: string): Uint32Array | null {
  const a = parseAddr(text);
  return a !== null && a.version === 6 ? a.words : null;
}
