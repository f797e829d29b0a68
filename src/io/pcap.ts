import { CaptureError } from './capture-error.js';
import type { FormatParser, ParserState } from './format.js';
import type { InterfaceStats, PacketSink } from './packet-sink.js';
import { A } from '../wire/anomaly.js';

/** Classic libpcap file format (draft-ietf-opsawg-pcap). */
export const PCAP = {
  MAGIC_US: 0xa1b2c3d4,
  MAGIC_NS: 0xa1b23c4d,
  FILE_HEADER_LEN: 24,
  RECORD_HEADER_LEN: 16,
  VERSION_MAJOR: 4,
  SNAPLEN: 16,
  LINKTYPE: 20,
  TS_SEC: 0,
  TS_FRAC: 4,
  INCL_LEN: 8,
  ORIG_LEN: 12,
} as const;

/** libpcap itself refuses records beyond this when the header's snaplen is smaller. */
const MAX_SNAPLEN = 262144;

export function isPcapMagic(dv: DataView, off: number): boolean {
  const be = dv.getUint32(off, false);
  const le = dv.getUint32(off, true);
  return be === PCAP.MAGIC_US || be === PCAP.MAGIC_NS || le === PCAP.MAGIC_US || le === PCAP.MAGIC_NS;
}

export class PcapParser implements FormatParser {
  format = 'pcap';
  private headerDone = false;
  private le = true;
  private nsPerFrac = 1000;
  private snap = 0;
  private linktype = 0;
  private fcsBytes = 0;
  scanOnly = false;
  recordStart = 0;

  constructor(private readonly sink: PacketSink, state?: ParserState) {
    if (state && state.kind === 'pcap') {
      this.headerDone = state.headerDone;
      this.le = state.le; this.nsPerFrac = state.nsPerFrac; this.snap = state.snap;
      this.linktype = state.linktype; this.fcsBytes = state.fcsBytes; this.format = state.format;
    }
  }

  snapshot(): ParserState {
    return { kind: 'pcap', headerDone: this.headerDone, le: this.le, nsPerFrac: this.nsPerFrac, snap: this.snap, linktype: this.linktype, fcsBytes: this.fcsBytes, format: this.format };
  }

  linktypes(): number[] { return this.headerDone ? [this.linktype] : []; }
  snaplen(): number | null { return this.headerDone ? this.snap : null; }
  isb(): InterfaceStats { return { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null }; }
  /** FCS bytes per packet announced by the link-type field (0 if none). */
  fcsLength(): number { return this.fcsBytes; }

  parse(buf: Uint8Array, dv: DataView, start: number, end: number, baseOffset: number, stopAt = Infinity): number {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < PCAP.FILE_HEADER_LEN) return pos;
      this.recordStart = baseOffset + pos;
      this.readHeader(dv, pos, baseOffset + pos);
      pos += PCAP.FILE_HEADER_LEN;
    }
    const le = this.le;
    const limit = Math.max(this.snap, MAX_SNAPLEN);
    const sink = this.sink;
    const linktype = this.linktype;
    const nsPerFrac = this.nsPerFrac;
    const scanOnly = this.scanOnly;
    while (end - pos >= PCAP.RECORD_HEADER_LEN && baseOffset + pos < stopAt) {
      const incl = dv.getUint32(pos + PCAP.INCL_LEN, le);
      if (incl > limit) {
        this.recordStart = baseOffset + pos;
        throw new CaptureError(baseOffset + pos,
          `record caplen ${incl} is larger than the snaplen ${this.snap} and the ${MAX_SNAPLEN}-byte limit (corrupt record header)`);
      }
      if (end - pos < PCAP.RECORD_HEADER_LEN + incl) break;
      if (scanOnly) { pos += PCAP.RECORD_HEADER_LEN + incl; continue; }
      const sec = dv.getUint32(pos + PCAP.TS_SEC, le);
      const frac = dv.getUint32(pos + PCAP.TS_FRAC, le);
      let orig = dv.getUint32(pos + PCAP.ORIG_LEN, le);
      const recOff = baseOffset + pos;
      if (orig < incl) { sink.anomaly(A.caplen_gt_wirelen, recOff); orig = incl; }
      if (incl > this.snap && this.snap > 0) sink.anomaly(A.caplen_gt_snaplen, recOff);
      // A fraction >= 1 s is not valid; carry it rather than drop the packet.
      let s = sec, ns = frac * nsPerFrac;
      if (ns >= 1e9) { s += Math.floor(ns / 1e9); ns = ns % 1e9; }
      sink.packet(buf, dv, pos + PCAP.RECORD_HEADER_LEN, incl, orig, s, ns, linktype, recOff);
      pos += PCAP.RECORD_HEADER_LEN + incl;
    }
    return pos;
  }

  private readHeader(dv: DataView, pos: number, absOff: number): void {
    const be = dv.getUint32(pos, false);
    if (be === PCAP.MAGIC_US || be === PCAP.MAGIC_NS) this.le = false;
    else this.le = true;
    const magic = dv.getUint32(pos, this.le);
    this.nsPerFrac = magic === PCAP.MAGIC_NS ? 1 : 1000;
    if (magic === PCAP.MAGIC_NS) this.format = 'pcap-ns';
    const major = dv.getUint16(pos + PCAP.VERSION_MAJOR, this.le);
    const minor = dv.getUint16(pos + PCAP.VERSION_MAJOR + 2, this.le);
    if (major !== 2) {
      throw new CaptureError(absOff + PCAP.VERSION_MAJOR, `unsupported pcap version ${major}.${minor} (expected 2.4)`);
    }
    this.snap = dv.getUint32(pos + PCAP.SNAPLEN, this.le);
    const lt = dv.getUint32(pos + PCAP.LINKTYPE, this.le);
    this.linktype = lt & 0xffff;
    // Upper bits: F flag (bit 28) and FCS length in 16-bit words (bits 29-31).
    this.fcsBytes = (lt & 0x10000000) !== 0 ? ((lt >>> 29) & 7) * 2 : 0;
    this.headerDone = true;
  }
}
