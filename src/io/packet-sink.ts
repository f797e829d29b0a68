/**
 * The contract between a capture reader and what consumes its packets. One call per
 * packet, with numbers only: the packet is `buf[off .. off+caplen)`, no copy, no object.
 */
export interface PacketSink {
  packet(
    buf: Uint8Array, dv: DataView, off: number, caplen: number, wireLen: number,
    tsSec: number, tsNs: number, linktype: number, recordOffset: number,
  ): void;
  /** Per-record anomaly found by the reader itself (e.g. caplen > wire length). */
  anomaly(code: number, recordOffset: number): void;
}

export interface InterfaceStats {
  ifRecv: number | null; ifDrop: number | null; filterAccept: number | null; osDrop: number | null; usrDeliv: number | null;
}
