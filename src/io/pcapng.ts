import { CaptureError } from './capture-error.js';
import { MAX_RECORD, type FormatParser, type ParserState } from './format.js';
import type { InterfaceStats, PacketSink } from './packet-sink.js';
import { splitUnits, tsresolUnits, type TsOut } from './timestamp.js';
import { A } from '../wire/anomaly.js';

/** pcapng (draft-ietf-opsawg-pcapng) block types and field offsets. */
export const PCAPNG = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002,
  SPB: 0x00000003,
  ISB: 0x00000005,
  EPB: 0x00000006,
  BYTE_ORDER_MAGIC: 0x1a2b3c4d,
  BLOCK_MIN: 12,
  SHB_MIN: 28,
  OPT_ENDOFOPT: 0,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
  ISB_IFRECV: 4, ISB_IFDROP: 5, ISB_FILTERACCEPT: 6, ISB_OSDROP: 7, ISB_USRDELIV: 8,
} as const;

const MAX_INTERFACES = 65536;
const TWO32 = 4294967296;

export class PcapngParser implements FormatParser {
  readonly format = 'pcapng';
  private le = true;
  private inSection = false;
  // Interfaces of the current section.
  private ifCount = 0;
  private ifLinktype = new Int32Array(16);
  private ifSnaplen = new Uint32Array(16);
  private ifUnits = new Float64Array(16);
  private ifOffsetSec = new Float64Array(16);
  private readonly seenLinktypes: number[] = [];
  private maxSnap: number | null = null;
  // ISB: last value per (section, interface), summed at the end.
  private readonly isbLast = new Map<string, number[]>();
  private section = 0;
  private readonly ts: TsOut = { sec: 0, ns: 0 };
  private lastSec = 0;
  private lastNs = 0;

  scanOnly = false;
  recordStart = 0;

  constructor(private readonly sink: PacketSink, state?: ParserState) {
    if (state && state.kind === 'pcapng') {
      this.le = state.le; this.inSection = state.inSection; this.section = state.section;
      this.ifCount = state.ifLinktype.length;
      const n = Math.max(16, this.ifCount);
      this.ifLinktype = new Int32Array(n); this.ifLinktype.set(state.ifLinktype);
      this.ifSnaplen = new Uint32Array(n); this.ifSnaplen.set(state.ifSnaplen);
      this.ifUnits = new Float64Array(n); this.ifUnits.set(state.ifUnits);
      this.ifOffsetSec = new Float64Array(n); this.ifOffsetSec.set(state.ifOffsetSec);
      this.lastSec = state.lastSec; this.lastNs = state.lastNs;
    }
  }

  snapshot(): ParserState {
    const n = this.ifCount;
    return {
      kind: 'pcapng', le: this.le, inSection: this.inSection, section: this.section,
      ifLinktype: Array.from(this.ifLinktype.subarray(0, n)), ifSnaplen: Array.from(this.ifSnaplen.subarray(0, n)),
      ifUnits: Array.from(this.ifUnits.subarray(0, n)), ifOffsetSec: Array.from(this.ifOffsetSec.subarray(0, n)),
      lastSec: this.lastSec, lastNs: this.lastNs,
    };
  }

  linktypes(): number[] { return this.seenLinktypes.slice(); }
  snaplen(): number | null { return this.maxSnap; }

  isb(): InterfaceStats {
    const sums: (number | null)[] = [null, null, null, null, null];
    for (const v of this.isbLast.values()) {
      for (let i = 0; i < 5; i++) if (v[i] >= 0) sums[i] = (sums[i] ?? 0) + v[i];
    }
    return { ifRecv: sums[0], ifDrop: sums[1], filterAccept: sums[2], osDrop: sums[3], usrDeliv: sums[4] };
  }

  parse(buf: Uint8Array, dv: DataView, start: number, end: number, baseOffset: number, stopAt = Infinity): number {
    let pos = start;
    while (end - pos >= PCAPNG.BLOCK_MIN && baseOffset + pos < stopAt) {
      const abs = baseOffset + pos;
      this.recordStart = abs;
      let type = dv.getUint32(pos, this.le);
      if (dv.getUint32(pos, true) === PCAPNG.SHB) {
        // The byte order of a section is only known from its own header.
        if (end - pos < 12) break;
        const bom = dv.getUint32(pos + 8, true);
        if (bom === PCAPNG.BYTE_ORDER_MAGIC) this.le = true;
        else if (dv.getUint32(pos + 8, false) === PCAPNG.BYTE_ORDER_MAGIC) this.le = false;
        else throw new CaptureError(abs + 8, `section header has a bad byte-order magic 0x${bom.toString(16)}`);
        type = PCAPNG.SHB;
      } else if (!this.inSection) {
        throw new CaptureError(abs, `expected a section header block, found block type 0x${type.toString(16)}`);
      }
      const len = dv.getUint32(pos + 4, this.le);
      if (len < PCAPNG.BLOCK_MIN || (len & 3) !== 0) {
        throw new CaptureError(abs + 4, `block length ${len} of block type 0x${type.toString(16)} is ${len < PCAPNG.BLOCK_MIN ? 'below the 12-byte minimum' : 'not a multiple of 4'}`);
      }
      if (len > MAX_RECORD) throw new CaptureError(abs + 4, `block length ${len} exceeds the ${MAX_RECORD}-byte limit`);
      if (end - pos < len) break;
      const trailer = dv.getUint32(pos + len - 4, this.le);
      if (trailer !== len) {
        throw new CaptureError(abs + len - 4, `block total length ${len} does not match the trailing length ${trailer}`);
      }
      switch (type) {
        case PCAPNG.SHB: this.readShb(dv, pos, len, abs); break;
        case PCAPNG.IDB: this.readIdb(dv, pos, len, abs); break;
        case PCAPNG.EPB: this.readEpb(buf, dv, pos, len, abs); break;
        case PCAPNG.SPB: this.readSpb(buf, dv, pos, len, abs); break;
        case PCAPNG.PB: this.readPb(buf, dv, pos, len, abs); break;
        case PCAPNG.ISB: this.readIsb(dv, pos, len, abs); break;
        default: break; // Every other block is skipped by its length.
      }
      pos += len;
    }
    return pos;
  }

  private readShb(dv: DataView, pos: number, len: number, abs: number): void {
    if (len < PCAPNG.SHB_MIN) throw new CaptureError(abs + 4, `section header block length ${len} is below the 28-byte minimum`);
    const major = dv.getUint16(pos + 12, this.le);
    const minor = dv.getUint16(pos + 14, this.le);
    if (major !== 1) throw new CaptureError(abs + 12, `unsupported pcapng version ${major}.${minor} (expected 1.0)`);
    this.checkOptions(dv, pos + 24, pos + len - 4, abs - pos, 'section header');
    this.inSection = true;
    this.section++;
    this.ifCount = 0;
  }

  /** Walks an option list for bounds only; returns nothing. Throws on an option that overruns its block. */
  private checkOptions(dv: DataView, off: number, end: number, base: number, what: string): void {
    while (end - off >= 4) {
      const code = dv.getUint16(off, this.le);
      const olen = dv.getUint16(off + 2, this.le);
      if (code === PCAPNG.OPT_ENDOFOPT) return;
      const padded = (olen + 3) & ~3;
      if (off + 4 + padded > end) {
        throw new CaptureError(base + off + 2, `${what} option ${code} length ${olen} runs past the end of its block`);
      }
      off += 4 + padded;
    }
  }

  private readIdb(dv: DataView, pos: number, len: number, abs: number): void {
    if (len < 20) throw new CaptureError(abs + 4, `interface description block length ${len} is below the 20-byte minimum`);
    if (this.ifCount >= MAX_INTERFACES) throw new CaptureError(abs, `more than ${MAX_INTERFACES} interfaces in one section`);
    const linktype = dv.getUint16(pos + 8, this.le);
    const snaplen = dv.getUint32(pos + 12, this.le);
    let units = 1e6;
    let offsetSec = 0;
    let off = pos + 16;
    const end = pos + len - 4;
    while (end - off >= 4) {
      const code = dv.getUint16(off, this.le);
      const olen = dv.getUint16(off + 2, this.le);
      if (code === PCAPNG.OPT_ENDOFOPT) break;
      const padded = (olen + 3) & ~3;
      if (off + 4 + padded > end) {
        throw new CaptureError(abs + (off - pos) + 2, `interface option ${code} length ${olen} runs past the end of its block`);
      }
      if (code === PCAPNG.IF_TSRESOL && olen >= 1) units = tsresolUnits(dv.getUint8(off + 4));
      else if (code === PCAPNG.IF_TSOFFSET && olen >= 8) {
        // Signed 64-bit seconds; realistic values fit a double exactly.
        const hi = dv.getInt32(off + 4 + (this.le ? 4 : 0), this.le);
        const lo = dv.getUint32(off + 4 + (this.le ? 0 : 4), this.le);
        offsetSec = hi * TWO32 + lo;
      }
      off += 4 + padded;
    }
    if (this.ifCount === this.ifLinktype.length) this.growInterfaces();
    const i = this.ifCount++;
    this.ifLinktype[i] = linktype;
    this.ifSnaplen[i] = snaplen;
    this.ifUnits[i] = units;
    this.ifOffsetSec[i] = offsetSec;
    if (!this.seenLinktypes.includes(linktype)) this.seenLinktypes.push(linktype);
    if (snaplen > 0 && (this.maxSnap === null || snaplen > this.maxSnap)) this.maxSnap = snaplen;
  }

  private growInterfaces(): void {
    const n = this.ifLinktype.length * 2;
    const lt = new Int32Array(n); lt.set(this.ifLinktype); this.ifLinktype = lt;
    const sl = new Uint32Array(n); sl.set(this.ifSnaplen); this.ifSnaplen = sl;
    const un = new Float64Array(n); un.set(this.ifUnits); this.ifUnits = un;
    const os = new Float64Array(n); os.set(this.ifOffsetSec); this.ifOffsetSec = os;
  }

  /** EPB and the obsolete PB share their layout after the interface id (PB: u16 id + u16 drops). */
  private readEpb(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): void {
    this.readTimedPacket(buf, dv, pos, len, abs, dv.getUint32(pos + 8, this.le), 'enhanced packet block');
  }

  private readPb(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): void {
    this.readTimedPacket(buf, dv, pos, len, abs, dv.getUint16(pos + 8, this.le), 'packet block');
  }

  private readTimedPacket(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number, ifId: number, what: string): void {
    if (len < 32) throw new CaptureError(abs + 4, `${what} length ${len} is below the 32-byte minimum`);
    const le = this.le;
    const caplen = dv.getUint32(pos + 20, le);
    let wire = dv.getUint32(pos + 24, le);
    if (caplen > len - 32) {
      throw new CaptureError(abs + 20, `${what} caplen ${caplen} is larger than its block (${len - 32} bytes of data room)`);
    }
    if (ifId >= this.ifCount) { if (!this.scanOnly) this.sink.anomaly(A.unknown_interface_id, abs); return; }
    if (wire < caplen) { if (!this.scanOnly) this.sink.anomaly(A.caplen_gt_wirelen, abs); wire = caplen; }
    splitUnits(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), this.ifUnits[ifId], this.ts);
    this.lastSec = this.ts.sec + this.ifOffsetSec[ifId];
    this.lastNs = this.ts.ns;
    if (this.scanOnly) return;
    this.sink.packet(buf, dv, pos + 28, caplen, wire, this.lastSec, this.lastNs, this.ifLinktype[ifId], abs);
  }

  private readSpb(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): void {
    if (len < 16) throw new CaptureError(abs + 4, `simple packet block length ${len} is below the 16-byte minimum`);
    if (this.scanOnly) return;
    if (this.ifCount === 0) { this.sink.anomaly(A.unknown_interface_id, abs); return; }
    const wire = dv.getUint32(pos + 8, this.le);
    // An SPB has no caplen: it is the smaller of the wire length, the snaplen and the room in the block.
    let caplen = Math.min(wire, len - 16);
    const snap = this.ifSnaplen[0];
    if (snap > 0 && caplen > snap) caplen = snap;
    // An SPB has no timestamp: it takes the previous packet's, so flow times and timeouts stay sane.
    this.sink.packet(buf, dv, pos + 12, caplen, wire, this.lastSec, this.lastNs, this.ifLinktype[0], abs);
  }

  private readIsb(dv: DataView, pos: number, len: number, abs: number): void {
    if (len < 24) throw new CaptureError(abs + 4, `interface statistics block length ${len} is below the 24-byte minimum`);
    const ifId = dv.getUint32(pos + 8, this.le);
    const vals = [-1, -1, -1, -1, -1];
    let off = pos + 20;
    const end = pos + len - 4;
    while (end - off >= 4) {
      const code = dv.getUint16(off, this.le);
      const olen = dv.getUint16(off + 2, this.le);
      if (code === PCAPNG.OPT_ENDOFOPT) break;
      const padded = (olen + 3) & ~3;
      if (off + 4 + padded > end) {
        throw new CaptureError(abs + (off - pos) + 2, `interface statistics option ${code} length ${olen} runs past the end of its block`);
      }
      if (code >= PCAPNG.ISB_IFRECV && code <= PCAPNG.ISB_USRDELIV && olen >= 8) {
        const hi = dv.getUint32(off + 4 + (this.le ? 4 : 0), this.le);
        const lo = dv.getUint32(off + 4 + (this.le ? 0 : 4), this.le);
        vals[code - PCAPNG.ISB_IFRECV] = hi * TWO32 + lo;
      }
      off += 4 + padded;
    }
    const key = `${this.section}/${ifId}`;
    const prev = this.isbLast.get(key);
    if (prev) for (let i = 0; i < 5; i++) { if (vals[i] < 0) vals[i] = prev[i]; }
    this.isbLast.set(key, vals);
  }
}
