import { AnomalyCounters } from './anomaly.js';

export const enum L3 { None = 0, Ip = 1, NonIp = 2, Bad = 3 }

/**
 * The one reused result of decoding a packet: numbers only, overwritten per packet.
 * Decoders fill it layer by layer; nothing is allocated per packet.
 */
export class Decoded {
  // Link layer.
  srcMac = NaN;
  dstMac = NaN;
  vlanOuter = -1;
  vlanInner = -1;
  vlanDepth = 0;
  mplsLabel = -1;
  /** Final EtherType (or 0 for 802.3/LLC) when the frame did not carry IP. */
  ethertype = 0;
  l3 = L3.None;

  // Network layer (innermost IP header).
  ipVersion = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  proto = 0;
  ttl = -1;
  /** Bytes of IP the header says the packet holds (IPv4 total length; IPv6 payload length + 40). */
  ipLen = 0;
  /** Transport payload bytes per the headers (not what was captured). */
  payloadLen = 0;
  /** Of those, the bytes the capture holds (less when snaplen cut the packet). */
  payloadCaptured = 0;
  /** Buffer offset of the transport payload (TCP and UDP; valid when payloadCaptured > 0). */
  payloadOff = 0;
  isFragment = false;
  /** First fragment (offset 0, more-fragments set): carries the transport header. */
  fragFirst = false;
  fragId = 0;

  // Transport.
  hasPorts = false;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  /** The whole TCP header (options included) was captured. */
  tcpFull = false;
  seq = 0;
  ack = 0;
  window = 0;
  /** ICMP type/code (for ICMP and ICMPv6). */
  icmpType = -1;
  icmpCode = -1;

  // Tunnel (outermost encapsulation).
  tunnelKind = 0;
  readonly tunnelSrc = new Uint32Array(4);
  readonly tunnelDst = new Uint32Array(4);
  tunnelDepth = 0;

  /** Offset of the record in the capture stream, for anomaly reporting. */
  recordOffset = 0;
  /** Bytes the capture holds of this packet. */
  caplen = 0;
  /** Where the packet would end in the buffer had nothing been cut (for length checks against the wire). */
  wireEnd = 0;

  constructor(readonly anomalies: AnomalyCounters) {}

  reset(recordOffset: number, caplen: number, wireEnd: number): void {
    this.wireEnd = wireEnd;
    this.srcMac = NaN; this.dstMac = NaN;
    this.vlanOuter = -1; this.vlanInner = -1; this.vlanDepth = 0; this.mplsLabel = -1;
    this.ethertype = 0; this.l3 = L3.None;
    this.ipVersion = 0; this.proto = 0; this.ttl = -1; this.ipLen = 0; this.payloadLen = 0; this.payloadCaptured = 0; this.payloadOff = 0;
    this.isFragment = false; this.fragFirst = false; this.fragId = 0;
    this.hasPorts = false; this.tcpFull = false; this.sport = 0; this.dport = 0; this.tcpFlags = 0; this.seq = 0; this.ack = 0; this.window = 0;
    this.icmpType = -1; this.icmpCode = -1;
    this.tunnelKind = 0; this.tunnelDepth = 0;
    this.recordOffset = recordOffset; this.caplen = caplen;
  }

  weird(code: number): void {
    this.anomalies.add(code, this.recordOffset);
  }
}

/** Reads a 48-bit MAC as an exact integer. */
export function readMac(dv: DataView, off: number): number {
  return dv.getUint16(off) * 4294967296 + dv.getUint32(off + 2);
}
