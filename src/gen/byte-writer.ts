/** A growable big-endian byte writer for the generator's hand-built messages (with length fields filled in afterwards). */
export class BW {
  a: number[] = [];
  get n(): number { return this.a.length; }
  u8(v: number): this { this.a.push(v & 255); return this; }
  u16(v: number): this { this.a.push((v >>> 8) & 255, v & 255); return this; }
  u24(v: number): this { this.a.push((v >>> 16) & 255, (v >>> 8) & 255, v & 255); return this; }
  u32(v: number): this { this.a.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255); return this; }
  bytes(x: ArrayLike<number>): this { for (let i = 0; i < x.length; i++) this.a.push(x[i] & 255); return this; }
  ascii(s: string): this { for (let i = 0; i < s.length; i++) this.a.push(s.charCodeAt(i) & 127); return this; }
  zeros(n: number): this { for (let i = 0; i < n; i++) this.a.push(0); return this; }
  mark16(): number { const p = this.a.length; this.a.push(0, 0); return p; }
  mark24(): number { const p = this.a.length; this.a.push(0, 0, 0); return p; }
  fill16(p: number): void { const l = this.a.length - p - 2; this.a[p] = (l >>> 8) & 255; this.a[p + 1] = l & 255; }
  fill24(p: number): void {
    const l = this.a.length - p - 3;
    this.a[p] = (l >>> 16) & 255; this.a[p + 1] = (l >>> 8) & 255; this.a[p + 2] = l & 255;
  }
  out(): Uint8Array { return new Uint8Array(this.a); }
}
