import type { Decoded } from '../wire/packet.js';

const SIZE = 1 << 16;
const WORDS = 10; // src 4, dst 4, proto, id

/** Finds the ports of a fragment's datagram outside the flow table's view (the previous range's tail). */
export interface StrayFragmentPorts {
  /** True when the datagram's first fragment is known; `found` then holds (sport << 16) | dport. */
  ports(p: Decoded): boolean;
  found: number;
}

/**
 * Which flow a fragmented datagram belongs to, by (src, dst, protocol, fragment id).
 * Direct-mapped and bounded: a newer datagram may overwrite an older one's entry.
 * Entries carry the flow's generation so a reused flow slot is never mistaken for it.
 */
export class FragmentMap {
  private readonly keys = new Uint32Array(SIZE * WORDS);
  private readonly flow = new Int32Array(SIZE).fill(-1);
  private readonly gen = new Uint32Array(SIZE);

  private slot(src: Uint32Array, dst: Uint32Array, proto: number, id: number): number {
    let h = Math.imul(id ^ (proto << 24), 0x9e3779b1);
    for (let i = 0; i < 4; i++) h = Math.imul(h ^ src[i] ^ (dst[i] << 1), 0x85ebca6b) ^ (h >>> 15);
    return (h >>> 0) & (SIZE - 1);
  }

  put(src: Uint32Array, dst: Uint32Array, proto: number, id: number, flowIdx: number, flowGen: number): void {
    const s = this.slot(src, dst, proto, id);
    const o = s * WORDS;
    const k = this.keys;
    for (let i = 0; i < 4; i++) { k[o + i] = src[i]; k[o + 4 + i] = dst[i]; }
    k[o + 8] = proto; k[o + 9] = id;
    this.flow[s] = flowIdx;
    this.gen[s] = flowGen;
  }

  /** Flow index of the datagram's first fragment, or -1. The caller checks the generation. */
  get(src: Uint32Array, dst: Uint32Array, proto: number, id: number): number {
    const s = this.slot(src, dst, proto, id);
    if (this.flow[s] < 0) return -1;
    const o = s * WORDS;
    const k = this.keys;
    for (let i = 0; i < 4; i++) { if (k[o + i] !== src[i] || k[o + 4 + i] !== dst[i]) return -1; }
    if (k[o + 8] !== proto || k[o + 9] !== (id >>> 0)) return -1;
    return this.flow[s];
  }

  genAt(src: Uint32Array, dst: Uint32Array, proto: number, id: number): number {
    return this.gen[this.slot(src, dst, proto, id)];
  }
}
