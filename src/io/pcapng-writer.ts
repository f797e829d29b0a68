/**
 * Rotating pcapng writer for `onpath live --write-pcap DIR --rotate-mb M`.
 *
 * Takes the live capture's classic ns pcap stream, chunk by chunk (whole records only, the
 * first chunk starting with the 24-byte file header) and writes the same packets as pcapng:
 * each file is one section (SHB) with one interface (IDB: link type, snaplen, if_name,
 * if_tsresol 9 = nanoseconds), then one Enhanced Packet Block per packet with the 64-bit ns
 * timestamp, and at its end an Interface Statistics Block with the counters of that file's
 * span (the capture's counters when it ended minus those when it began), so that the sums
 * over all files, as a reader adds up sections, are the capture's.
 * A file is closed and the next one started once it holds `rotateBytes` or more, always on a
 * packet boundary, so every file is a complete capture and `cat` of them all is one too.
 *
 * Files are named <prefix>-<UTC start>-<5-digit sequence>.pcapng. Little-endian throughout.
 */
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface PcapngCounters {
  ifRecv: number | null; ifDrop: number | null; filterAccept: number | null; osDrop: number | null; usrDeliv: number | null;
}

export interface PcapngRotatorOptions {
  dir: string;
  prefix: string;
  /** Close a file and start the next once it holds this many bytes (0 = never rotate). */
  rotateBytes: number;
  linktype: number;
  snaplen: number;
  ifName: string;
  application: string;
  /** Capture start, ns since the epoch (isb_starttime). */
  startNs: bigint;
}

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_EPB = 0x00000006;
const BLOCK_ISB = 0x00000005;
const BUF_BYTES = 1 << 20;
const MAX_RECORD = 65535;
const EPB_OVERHEAD = 32; // block header 8 + if id 4 + ts 8 + caplen 4 + origlen 4 + trailing length 4

function pad4(n: number): number { return (n + 3) & ~3; }

/** sec·10^9 + ns as two 32-bit halves, exactly (no BigInt on the per-packet path). */
function nsHalves(sec: number, ns: number): [hi: number, lo: number] {
  const secHi = Math.floor(sec / 65536);
  const secLo = sec % 65536;
  const a = secHi * 1e9; // < 2^46
  const b = secLo * 1e9 + ns; // < 2^47
  const low = (a % 65536) * 65536 + b; // < 2^48, exact
  return [Math.floor(a / 65536) + Math.floor(low / 4294967296), low % 4294967296];
}

function utcStamp(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export class PcapngRotator {
  /** Paths of the files written so far, in order. */
  readonly files: string[] = [];
  private fh: FileHandle | null = null;
  private fileBytes = 0;
  private seq = 0;
  private readonly buf = Buffer.alloc(BUF_BYTES + MAX_RECORD + EPB_OVERHEAD + 8);
  private used = 0;
  private headerSkipped = false;
  private lastHi = 0;
  private lastLo = 0;
  private closed = false;
  /** Counters when the current file began, and its start time. */
  private base: PcapngCounters = { ifRecv: 0, ifDrop: 0, filterAccept: 0, osDrop: 0, usrDeliv: 0 };
  private fileStartNs = 0n;

  constructor(private readonly o: PcapngRotatorOptions) {}

  /**
   * Writes the packets of one chunk of the classic ns pcap stream. Resolves when they are
   * handed to the OS, after which the chunk may be reused.
   */
  async write(chunk: Uint8Array, counters: PcapngCounters): Promise<void> {
    if (this.closed) throw new Error('pcapng writer is closed');
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (!this.headerSkipped) {
      if (chunk.length < 24 || dv.getUint32(0, true) !== 0xa1b23c4d) throw new Error('live stream must start with a little-endian ns pcap header');
      pos = 24;
      this.headerSkipped = true;
    }
    if (this.fh === null) await this.startFile();
    while (pos + 16 <= chunk.length) {
      const sec = dv.getUint32(pos, true);
      const ns = dv.getUint32(pos + 4, true);
      const incl = dv.getUint32(pos + 8, true);
      const orig = dv.getUint32(pos + 12, true);
      if (pos + 16 + incl > chunk.length) throw new Error('live stream chunk ends inside a record');
      this.epb(sec, ns, chunk.subarray(pos + 16, pos + 16 + incl), orig);
      pos += 16 + incl;
      if (this.used >= BUF_BYTES) await this.flushBuf();
      if (this.o.rotateBytes > 0 && this.fileBytes + this.used >= this.o.rotateBytes) {
        await this.endFile(counters);
        await this.startFile();
      }
    }
    await this.flushBuf();
  }

  /** Ends the last file with the final counters. */
  async close(counters: PcapngCounters): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.fh === null && this.files.length === 0) await this.startFile(); // an empty capture still leaves a file
    if (this.fh !== null) await this.endFile(counters);
  }

  private epb(sec: number, ns: number, data: Uint8Array, orig: number): void {
    const [hi, lo] = nsHalves(sec, ns);
    this.lastHi = hi;
    this.lastLo = lo;
    const total = EPB_OVERHEAD + pad4(data.length);
    const b = this.buf;
    let p = this.used;
    b.writeUInt32LE(BLOCK_EPB, p);
    b.writeUInt32LE(total, p + 4);
    b.writeUInt32LE(0, p + 8);
    b.writeUInt32LE(hi, p + 12);
    b.writeUInt32LE(lo, p + 16);
    b.writeUInt32LE(data.length, p + 20);
    b.writeUInt32LE(orig, p + 24);
    b.set(data, p + 28);
    p += 28 + data.length;
    while (p & 3) b[p++] = 0;
    b.writeUInt32LE(total, p);
    this.used = p + 4;
  }

  private async startFile(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    this.seq++;
    const path = join(this.o.dir, `${this.o.prefix}-${utcStamp(this.o.startNs)}-${String(this.seq).padStart(5, '0')}.pcapng`);
    this.fh = await open(path, 'w');
    this.files.push(path);
    this.fileBytes = 0;
    this.used = 0;
    this.fileStartNs = this.seq === 1 ? this.o.startNs : BigInt(Date.now()) * 1_000_000n;
    this.block(BLOCK_SHB, (w) => {
      w.u32(0x1a2b3c4d); w.u16(1); w.u16(0); w.u32(0xffffffff); w.u32(0xffffffff); // section length unknown
      w.opt(4, Buffer.from(this.o.application)); // shb_userappl
      w.end();
    });
    this.block(BLOCK_IDB, (w) => {
      w.u16(this.o.linktype); w.u16(0); w.u32(this.o.snaplen);
      w.opt(2, Buffer.from(this.o.ifName)); // if_name
      w.opt(9, Buffer.from([9])); // if_tsresol: 10^-9 s
      w.end();
    });
  }

  private async endFile(c: PcapngCounters): Promise<void> {
    const fh = this.fh;
    if (fh === null) return;
    const [sHi, sLo] = splitBig(this.fileStartNs);
    const [eHi, eLo] = splitBig(BigInt(Date.now()) * 1_000_000n);
    this.block(BLOCK_ISB, (w) => {
      w.u32(0); w.u32(this.lastHi); w.u32(this.lastLo);
      w.opt64(2, sHi, sLo); // isb_starttime
      w.opt64(3, eHi, eLo); // isb_endtime
      const b = this.base;
      const counters: [number, number | null, number | null][] = [
        [4, c.ifRecv, b.ifRecv], [5, c.ifDrop, b.ifDrop], [6, c.filterAccept, b.filterAccept], [7, c.osDrop, b.osDrop], [8, c.usrDeliv, b.usrDeliv],
      ];
      for (const [code, v, v0] of counters) if (v !== null) w.optU64(code, Math.max(0, v - (v0 ?? 0)));
      w.end();
    });
    await this.flushBuf();
    this.base = { ...c };
    this.fh = null;
    await fh.close();
  }

  private async flushBuf(): Promise<void> {
    if (this.used === 0 || this.fh === null) return;
    let off = 0;
    while (off < this.used) {
      const { bytesWritten } = await this.fh.write(this.buf, off, this.used - off);
      off += bytesWritten;
    }
    this.fileBytes += this.used;
    this.used = 0;
  }

  /** Appends one block built by `fill` to the buffer, with its two length fields. */
  private block(type: number, fill: (w: BlockWriter) => void): void {
    const start = this.used;
    const b = this.buf;
    let p = start + 8;
    const w: BlockWriter = {
      u16: (v) => { b.writeUInt16LE(v, p); p += 2; },
      u32: (v) => { b.writeUInt32LE(v >>> 0, p); p += 4; },
      opt: (code, value) => {
        b.writeUInt16LE(code, p); b.writeUInt16LE(value.length, p + 2); b.set(value, p + 4);
        p += 4 + value.length;
        while (p & 3) b[p++] = 0;
      },
      optU64: (code, v) => {
        b.writeUInt16LE(code, p); b.writeUInt16LE(8, p + 2); b.writeBigUInt64LE(BigInt(v), p + 4);
        p += 12;
      },
      opt64: (code, hi, lo) => {
        b.writeUInt16LE(code, p); b.writeUInt16LE(8, p + 2); b.writeUInt32LE(hi, p + 4); b.writeUInt32LE(lo, p + 8);
        p += 12;
      },
      end: () => { b.writeUInt32LE(0, p); p += 4; }, // opt_endofopt
    };
    fill(w);
    const total = p - start + 4;
    b.writeUInt32LE(type, start);
    b.writeUInt32LE(total, start + 4);
    b.writeUInt32LE(total, p);
    this.used = p + 4;
  }
}

interface BlockWriter {
  u16(v: number): void;
  u32(v: number): void;
  opt(code: number, value: Uint8Array): void;
  /** A timestamp option: upper then lower 32 bits, as in an EPB. */
  opt64(code: number, hi: number, lo: number): void;
  /** A 64-bit counter option. */
  optU64(code: number, v: number): void;
  end(): void;
}

function splitBig(x: bigint): [number, number] {
  return [Number(x >> 32n), Number(x & 0xffffffffn)];
}
