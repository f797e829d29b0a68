/**
 * sFlow version 5 datagrams (https://sflow.org/sflow_version_5.txt): the UDP payload an agent
 * sends to a collector (port 6343). Everything is XDR: big-endian u32 words, opaque data padded
 * to 4 bytes, arrays as a u32 count followed by the items.
 *
 * Zero-copy and total: the decoder reads with a DataView over the caller's buffer at offsets,
 * checks every length against the end of the enclosing structure, bounds every loop by the
 * bytes left, and never throws. A malformed datagram yields what could be read before the
 * fault plus an anomaly kind (a string, `sflow_*`) on the sink.
 *
 * Output is one plain object per sample (samples are rare next to packets). The sampled packet
 * header of a flow sample is decoded with the project's own link decoders into a reused
 * `Decoded`, so the inner 5-tuple, VLANs, MACs and tunnels mean what they mean for captured
 * packets.
 */
import { ANOMALY_NAMES, AnomalyCounters } from './anomaly.js';
import { ipv4Text, ipv6Text, isV4Mapped, macText } from './addr-text.js';
import { decodeLink, LINKTYPE } from './link.js';
import { Decoded } from './packet.js';

export const SFLOW_PORT = 6343;
export const SFLOW_VERSION = 5;

/** Address types of the `address` union (agent, next hops). */
export const SFLOW_ADDR = { UNKNOWN: 0, IP_V4: 1, IP_V6: 2 } as const;

/** Sample formats (enterprise 0). */
export const SFLOW_SAMPLE = { FLOW: 1, COUNTERS: 2, FLOW_EXPANDED: 3, COUNTERS_EXPANDED: 4 } as const;

/** Flow record formats (enterprise 0) that are decoded. */
export const SFLOW_FLOW_RECORD = { RAW_HEADER: 1, EXT_SWITCH: 1001, EXT_ROUTER: 1002, EXT_GATEWAY: 1003 } as const;

/** Counter record formats (enterprise 0) that are decoded. */
export const SFLOW_COUNTER_RECORD = { GENERIC_IF: 1, ETHERNET: 2 } as const;

/** `header_protocol` values of the raw packet header record that onpath decodes. */
export const SFLOW_HEADER_PROTOCOL = { ETHERNET_ISO88023: 1, IPV4: 11, IPV6: 12 } as const;

/** Interface formats (top 2 bits of a compact interface word; the `format` field of the expanded form). */
export const SFLOW_IF_FORMAT = { SINGLE: 0, DISCARDED: 1, MULTIPLE: 2 } as const;

/** The interface value an agent reports for a packet that came from or went to the agent itself. */
export const SFLOW_IF_INTERNAL = 0x3fffffff;

/** AS path segment types of the extended gateway record. */
export const SFLOW_AS_PATH = { SET: 1, SEQUENCE: 2 } as const;

/** The link type `decodeLink` takes for a sampled header's protocol; -1 when onpath does not decode it. */
export function sflowHeaderLinktype(headerProtocol: number): number {
  switch (headerProtocol) {
    case SFLOW_HEADER_PROTOCOL.ETHERNET_ISO88023: return LINKTYPE.ETHERNET;
    case SFLOW_HEADER_PROTOCOL.IPV4: return LINKTYPE.IPV4;
    case SFLOW_HEADER_PROTOCOL.IPV6: return LINKTYPE.IPV6;
    default: return -1;
  }
}

/** The facts of the datagram header, repeated in every sample object. */
export interface SflowDatagram {
  /** Agent address text ('' when the agent sent address type 0, unknown). */
  agent: string;
  /** 4 (IPv4), 6 (IPv6) or 0 (unknown). */
  agentIpVersion: number;
  subAgent: number;
  datagramSeq: number;
  /** Agent uptime in milliseconds (wraps at 2^32). */
  uptimeMs: number;
  /** The sample count the header declares (not necessarily what could be read). */
  sampleCount: number;
}

export interface SflowAsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE. */
  type: number;
  asns: number[];
}

/**
 * One flow sample (compact format 1 or expanded format 3). Fields of records the sample does
 * not carry are null.
 */
export interface SflowFlowSample {
  agent: string;
  subAgent: number;
  datagramSeq: number;
  uptimeMs: number;
  /** 1 compact flow sample, 3 expanded flow sample. */
  sampleType: number;
  sampleSeq: number;
  /** Compact form: top 8 bits of the source id word; expanded: its own field. */
  sourceIdType: number;
  /** Compact form: low 24 bits of the source id word; expanded: its own field. */
  sourceIdIndex: number;
  samplingRate: number;
  samplePool: number;
  drops: number;
  /** 0 single interface (value = ifIndex, 0x3fffffff = internal), 1 discarded (value = reason), 2 multiple (value = count). */
  inputFormat: number;
  inputValue: number;
  outputFormat: number;
  outputValue: number;
  /** Flow records in the sample, as declared. */
  recordCount: number;
  /** Records skipped by length: other enterprises or formats, and repeats of a decoded format. */
  otherRecords: number;

  // Raw packet header record (1).
  headerProtocol: number | null;
  frameLength: number | null;
  stripped: number | null;
  headerLength: number | null;
  /** From the sampled header, decoded by onpath's link decoders: 4, 6, or null when no IP was found. */
  ipVersion: number | null;
  /** The innermost IP header (onpath unwraps tunnels such as VXLAN, GRE, IP-in-IP). */
  srcAddr: string | null;
  dstAddr: string | null;
  proto: number | null;
  sport: number | null;
  dport: number | null;
  tcpFlags: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  /** Bytes of IP the innermost header says the packet holds. */
  ipLen: number | null;
  /** EtherType when the frame carried no IP (0 for 802.3/LLC). */
  ethertype: number | null;
  srcMac: string | null;
  dstMac: string | null;
  /** Outermost and second VLAN id of the sampled frame. */
  vlan: number | null;
  vlanInner: number | null;
  /** Tunnel kind (src/wire/tunnel-kind.ts) and the outermost IP addresses when the header was a tunnel. */
  tunnelKind: number | null;
  tunnelSrcAddr: string | null;
  tunnelDstAddr: string | null;

  // Extended switch record (1001).
  srcVlan: number | null;
  srcPriority: number | null;
  dstVlan: number | null;
  dstPriority: number | null;

  // Extended router record (1002).
  routerNextHop: string | null;
  srcMaskLen: number | null;
  dstMaskLen: number | null;

  // Extended gateway record (1003).
  gwNextHop: string | null;
  /** The router's own AS. */
  gwRouterAs: number | null;
  gwSrcAs: number | null;
  gwSrcPeerAs: number | null;
  /** Destination AS path: segments joined by spaces, an AS_SET as {a,b}. '' when the path is empty. */
  gwDstAsPath: string | null;
  gwDstAsPathSegments: SflowAsPathSegment[] | null;
  /** The last AS of the destination path (the origin), null when the path is empty. */
  gwDstAs: number | null;
  /** Communities as 'high:low', space-separated. */
  gwCommunities: string | null;
  gwLocalPref: number | null;

  /** Estimated packets this sample stands for: the sampling rate (1 in N). */
  scaledPackets: number;
  /**
   * Estimated bytes: frameLength * samplingRate, the usual estimate (one sampled frame stands
   * for N frames of its size). frameLength counts the frame as the agent saw it, FCS included
   * for Ethernet. 0 when the sample has no raw header record.
   */
  scaledBytes: number;
}

/** Generic interface counters (counter record 1). 64-bit counters are bigint, the rest number. */
export interface SflowIfCounters {
  ifIndex: number;
  ifType: number;
  /** Bits per second (a u64 on the wire; exact as a number up to 2^53). */
  ifSpeed: number;
  /** 0 unknown, 1 full-duplex, 2 half-duplex, 3 in, 4 out. */
  ifDirection: number;
  /** Bit 0 admin up, bit 1 oper up. */
  ifStatus: number;
  inOctets: bigint;
  inUcastPkts: number;
  inMulticastPkts: number;
  inBroadcastPkts: number;
  inDiscards: number;
  inErrors: number;
  inUnknownProtos: number;
  outOctets: bigint;
  outUcastPkts: number;
  outMulticastPkts: number;
  outBroadcastPkts: number;
  outDiscards: number;
  outErrors: number;
  promiscuousMode: number;
}

/** Ethernet interface counters (counter record 2, the dot3Stats group). */
export interface SflowEthernetCounters {
  alignmentErrors: number;
  fcsErrors: number;
  singleCollisionFrames: number;
  multipleCollisionFrames: number;
  sqeTestErrors: number;
  deferredTransmissions: number;
  lateCollisions: number;
  excessiveCollisions: number;
  internalMacTransmitErrors: number;
  carrierSenseErrors: number;
  frameTooLongs: number;
  internalMacReceiveErrors: number;
  symbolErrors: number;
}

/** A counter record kept as its identity and size only. */
export interface SflowRecordRef {
  enterprise: number;
  format: number;
  length: number;
}

/** One counters sample (compact format 2 or expanded format 4). */
export interface SflowCounterSample {
  agent: string;
  subAgent: number;
  datagramSeq: number;
  uptimeMs: number;
  /** 2 compact counters sample, 4 expanded counters sample. */
  sampleType: number;
  sampleSeq: number;
  sourceIdType: number;
  sourceIdIndex: number;
  recordCount: number;
  /** The first generic interface record, when present. */
  generic: SflowIfCounters | null;
  /** The first Ethernet record, when present. */
  ethernet: SflowEthernetCounters | null;
  /** Every other record (other formats, other enterprises, repeats), by identity and length. */
  others: SflowRecordRef[];
}

/** Where decoded samples go. `datagram` is optional: it sees every datagram whose header was read. */
export interface SflowSink {
  datagram?(d: SflowDatagram): void;
  flowSample(s: SflowFlowSample): void;
  counterSample(s: SflowCounterSample): void;
  /**
   * A fault, by kind: sflow_truncated, sflow_bad_version, sflow_bad_address_type,
   * sflow_bad_sample_length, sflow_too_many_samples, sflow_bad_record_length,
   * sflow_too_many_records; and sflow_header_<name> for an anomaly onpath's link decoders
   * found in a sampled header (<name> from src/wire/anomaly.ts).
   */
  anomaly(kind: string): void;
}

// Fixed sizes (bytes) of the XDR structures.
const U32 = 4;
const DATAGRAM_FIXED = 6 * U32; // version, address type, sub-agent, sequence, uptime, sample count (address bytes checked apart)
const SAMPLE_HEADER = 2 * U32; // data format, length
const FLOW_FIXED = 8 * U32; // seq, source id, rate, pool, drops, input, output, record count
const FLOW_EXPANDED_FIXED = 11 * U32; // seq, source type, source index, rate, pool, drops, in fmt, in value, out fmt, out value, record count
const COUNTERS_FIXED = 3 * U32; // seq, source id, record count
const COUNTERS_EXPANDED_FIXED = 4 * U32; // seq, source type, source index, record count
const RAW_HEADER_FIXED = 4 * U32; // protocol, frame length, stripped, header length
const EXT_SWITCH_LEN = 4 * U32;
const GENERIC_IF_LEN = 88;
const ETHERNET_LEN = 13 * U32;


function u64(dv: DataView, off: number): bigint {
  return dv.getBigUint64(off);
}

function newFlowSample(d: SflowDatagram, sampleType: number): SflowFlowSample {
  return {
    agent: d.agent, subAgent: d.subAgent, datagramSeq: d.datagramSeq, uptimeMs: d.uptimeMs,
    sampleType, sampleSeq: 0, sourceIdType: 0, sourceIdIndex: 0, samplingRate: 0, samplePool: 0, drops: 0,
    inputFormat: 0, inputValue: 0, outputFormat: 0, outputValue: 0, recordCount: 0, otherRecords: 0,
    headerProtocol: null, frameLength: null, stripped: null, headerLength: null,
    ipVersion: null, srcAddr: null, dstAddr: null, proto: null, sport: null, dport: null, tcpFlags: null,
    icmpType: null, icmpCode: null, ipLen: null, ethertype: null, srcMac: null, dstMac: null,
    vlan: null, vlanInner: null, tunnelKind: null, tunnelSrcAddr: null, tunnelDstAddr: null,
    srcVlan: null, srcPriority: null, dstVlan: null, dstPriority: null,
    routerNextHop: null, srcMaskLen: null, dstMaskLen: null,
    gwNextHop: null, gwRouterAs: null, gwSrcAs: null, gwSrcPeerAs: null, gwDstAsPath: null,
    gwDstAsPathSegments: null, gwDstAs: null, gwCommunities: null, gwLocalPref: null,
    scaledPackets: 0, scaledBytes: 0,
  };
}

/**
 * Decodes sFlow v5 datagrams into sink calls. One instance serves any number of datagrams (it
 * reuses one `Decoded` for the sampled headers); the counters below add up over its life.
 */
export class SflowDecoder {
  /** Datagrams whose header was read (version 5, address known). */
  datagrams = 0;
  flowSamples = 0;
  counterSamples = 0;
  /** Samples of other enterprises or formats, skipped by their length. */
  skippedSamples = 0;
  /** Flow and counter records not decoded (other formats or enterprises, repeats), skipped by length. */
  skippedRecords = 0;
  /** Anomalies reported to sinks. */
  anomalies = 0;

  private readonly headerAnomalies = new AnomalyCounters();
  private readonly p = new Decoded(this.headerAnomalies);
  private readonly words = new Uint32Array(4);
  /** Set by readAddress: the address text (null for type 0), and the IP version (0 unknown). */
  private addr: string | null = null;
  private addrVersion = 0;
  private sink: SflowSink | null = null;

  /**
   * Decodes the datagram in `dv` at [off, end). `recordOffset` (the capture record the datagram
   * came from) only labels anomalies of the sampled headers. Returns the samples delivered.
   */
  decode(dv: DataView, off: number, end: number, sink: SflowSink, recordOffset = 0): number {
    this.sink = sink;
    try {
      return this.datagram(dv, off, end > dv.byteLength ? dv.byteLength : end, recordOffset);
    } finally {
      this.sink = null;
    }
  }

  private fault(kind: string): void {
    this.anomalies++;
    this.sink!.anomaly(kind);
  }

  /** Reads an `address` union at pos; returns the position after it, or -1 (anomaly reported). */
  private readAddress(dv: DataView, pos: number, end: number): number {
    if (end - pos < U32) { this.fault('sflow_truncated'); return -1; }
    const type = dv.getUint32(pos);
    pos += U32;
    if (type === SFLOW_ADDR.UNKNOWN) { this.addr = null; this.addrVersion = 0; return pos; }
    if (type === SFLOW_ADDR.IP_V4) {
      if (end - pos < 4) { this.fault('sflow_truncated'); return -1; }
      this.addr = ipv4Text(dv.getUint32(pos));
      this.addrVersion = 4;
      return pos + 4;
    }
    if (type === SFLOW_ADDR.IP_V6) {
      if (end - pos < 16) { this.fault('sflow_truncated'); return -1; }
      const w = this.words;
      for (let k = 0; k < 4; k++) w[k] = dv.getUint32(pos + 4 * k);
      this.addr = ipv6Text(w, 0);
      this.addrVersion = 6;
      return pos + 16;
    }
    this.fault('sflow_bad_address_type');
    return -1;
  }

  private datagram(dv: DataView, off: number, end: number, recordOffset: number): number {
    if (off < 0 || end - off < U32) { this.fault('sflow_truncated'); return 0; }
    if (dv.getUint32(off) !== SFLOW_VERSION) { this.fault('sflow_bad_version'); return 0; }
    if (end - off < DATAGRAM_FIXED) { this.fault('sflow_truncated'); return 0; }
    let pos = this.readAddress(dv, off + U32, end);
    if (pos < 0) return 0;
    if (end - pos < 4 * U32) { this.fault('sflow_truncated'); return 0; }
    const d: SflowDatagram = {
      agent: this.addr ?? '',
      agentIpVersion: this.addrVersion,
      subAgent: dv.getUint32(pos),
      datagramSeq: dv.getUint32(pos + 4),
      uptimeMs: dv.getUint32(pos + 8),
      sampleCount: dv.getUint32(pos + 12),
    };
    pos += 4 * U32;
    this.datagrams++;
    this.sink!.datagram?.(d);

    // Each sample takes at least its 8-byte header: a count beyond that cannot be honest.
    const tooMany = d.sampleCount > (end - pos) / SAMPLE_HEADER;
    if (tooMany) this.fault('sflow_too_many_samples');
    let delivered = 0;
    for (let i = 0; i < d.sampleCount; i++) {
      if (end - pos < SAMPLE_HEADER) {
        // With a count already found impossible, running out of bytes is that same fault.
        if (!tooMany) this.fault('sflow_truncated');
        break;
      }
      const format = dv.getUint32(pos);
      const len = dv.getUint32(pos + 4);
      const body = pos + SAMPLE_HEADER;
      if (len > end - body) { this.fault('sflow_bad_sample_length'); break; }
      const bodyEnd = body + len;
      const enterprise = format >>> 12;
      const kind = format & 0xfff;
      if (enterprise !== 0) this.skippedSamples++;
      else if (kind === SFLOW_SAMPLE.FLOW || kind === SFLOW_SAMPLE.FLOW_EXPANDED) {
        if (this.flowSample(dv, body, bodyEnd, d, kind, recordOffset)) delivered++;
      } else if (kind === SFLOW_SAMPLE.COUNTERS || kind === SFLOW_SAMPLE.COUNTERS_EXPANDED) {
        if (this.counterSample(dv, body, bodyEnd, d, kind)) delivered++;
      } else this.skippedSamples++;
      pos = bodyEnd;
    }
    return delivered;
  }

  /** A flow sample in [pos, end). Returns whether a sample object was delivered. */
  private flowSample(dv: DataView, pos: number, end: number, d: SflowDatagram, kind: number, recordOffset: number): boolean {
    const expanded = kind === SFLOW_SAMPLE.FLOW_EXPANDED;
    if (end - pos < (expanded ? FLOW_EXPANDED_FIXED : FLOW_FIXED)) { this.fault('sflow_bad_sample_length'); return false; }
    const s = newFlowSample(d, kind);
    s.sampleSeq = dv.getUint32(pos);
    if (expanded) {
      s.sourceIdType = dv.getUint32(pos + 4);
      s.sourceIdIndex = dv.getUint32(pos + 8);
      pos += 12;
    } else {
      const src = dv.getUint32(pos + 4);
      s.sourceIdType = src >>> 24;
      s.sourceIdIndex = src & 0xffffff;
      pos += 8;
    }
    s.samplingRate = dv.getUint32(pos);
    s.samplePool = dv.getUint32(pos + 4);
    s.drops = dv.getUint32(pos + 8);
    pos += 12;
    if (expanded) {
      s.inputFormat = dv.getUint32(pos);
      s.inputValue = dv.getUint32(pos + 4);
      s.outputFormat = dv.getUint32(pos + 8);
      s.outputValue = dv.getUint32(pos + 12);
      pos += 16;
    } else {
      const input = dv.getUint32(pos), output = dv.getUint32(pos + 4);
      s.inputFormat = input >>> 30;
      s.inputValue = input & 0x3fffffff;
      s.outputFormat = output >>> 30;
      s.outputValue = output & 0x3fffffff;
      pos += 8;
    }
    s.recordCount = dv.getUint32(pos);
    pos += U32;

    let seen = 0; // bit per decoded record kind: a repeat is skipped, the first one wins
    const tooMany = s.recordCount > (end - pos) / SAMPLE_HEADER;
    if (tooMany) this.fault('sflow_too_many_records');
    for (let i = 0; i < s.recordCount; i++) {
      if (end - pos < SAMPLE_HEADER) {
        if (!tooMany) this.fault('sflow_truncated');
        break;
      }
      const format = dv.getUint32(pos);
      const len = dv.getUint32(pos + 4);
      const body = pos + SAMPLE_HEADER;
      if (len > end - body) { this.fault('sflow_bad_record_length'); break; }
      const bodyEnd = body + len;
      pos = bodyEnd;
      const bit = format === SFLOW_FLOW_RECORD.RAW_HEADER ? 1
        : format === SFLOW_FLOW_RECORD.EXT_SWITCH ? 2
          : format === SFLOW_FLOW_RECORD.EXT_ROUTER ? 4
            : format === SFLOW_FLOW_RECORD.EXT_GATEWAY ? 8 : 0; // enterprise 0 only: the format word is the whole data_format
      if (bit === 0 || (seen & bit) !== 0) { s.otherRecords++; this.skippedRecords++; continue; }
      seen |= bit;
      let ok: boolean;
      switch (bit) {
        case 1: ok = this.rawHeader(dv, body, bodyEnd, s, recordOffset); break;
        case 2: ok = this.extSwitch(dv, body, bodyEnd, s); break;
        case 4: ok = this.extRouter(dv, body, bodyEnd, s); break;
        default: ok = this.extGateway(dv, body, bodyEnd, s);
      }
      if (!ok) this.fault('sflow_bad_record_length');
    }
    s.scaledPackets = s.samplingRate;
    s.scaledBytes = (s.frameLength ?? 0) * s.samplingRate;
    this.flowSamples++;
    this.sink!.flowSample(s);
    return true;
  }

  /** Raw packet header (flow record 1). False when the record is shorter than its fields. */
  private rawHeader(dv: DataView, pos: number, end: number, s: SflowFlowSample, recordOffset: number): boolean {
    if (end - pos < RAW_HEADER_FIXED) return false;
    const protocol = dv.getUint32(pos);
    const frameLength = dv.getUint32(pos + 4);
    s.headerProtocol = protocol;
    s.frameLength = frameLength;
    s.stripped = dv.getUint32(pos + 8);
    let hLen = dv.getUint32(pos + 12);
    s.headerLength = hLen;
    const hOff = pos + RAW_HEADER_FIXED;
    let fits = true;
    if (hLen > end - hOff) { hLen = end - hOff; fits = false; } // decode what is there, report the rest
    const linktype = sflowHeaderLinktype(protocol);
    if (linktype >= 0) this.header(dv, hOff, hLen, frameLength, linktype, s, recordOffset);
    return fits;
  }

  private header(dv: DataView, hOff: number, hLen: number, frameLength: number, linktype: number, s: SflowFlowSample, recordOffset: number): void {
    const p = this.p;
    // What the packet held past the sampled bytes bounds the IP length checks. The spec's
    // frame_length - stripped would be the tighter bound, but agents disagree on `stripped`
    // (one fixture reports 1262 stripped bytes of a 1390-byte frame whose 128-byte header
    // shows a 1344-byte IP packet): frame_length alone does not raise false anomalies.
    const wire = frameLength > hLen ? frameLength : hLen;
    p.reset(recordOffset, hLen, hOff + wire);
    decodeLink(p, dv, linktype, hOff, hOff + hLen);
    this.headerFaults();
    s.srcMac = macText(p.srcMac);
    s.dstMac = macText(p.dstMac);
    s.vlan = p.vlanOuter >= 0 ? p.vlanOuter : null;
    s.vlanInner = p.vlanInner >= 0 ? p.vlanInner : null;
    if (p.ipVersion === 4 || p.ipVersion === 6) {
      s.ipVersion = p.ipVersion;
      s.srcAddr = p.ipVersion === 4 ? ipv4Text(p.src[3]!) : ipv6Text(p.src, 0);
      s.dstAddr = p.ipVersion === 4 ? ipv4Text(p.dst[3]!) : ipv6Text(p.dst, 0);
      s.proto = p.proto;
      s.ipLen = p.ipLen;
      if (p.hasPorts) { s.sport = p.sport; s.dport = p.dport; }
      if (p.hasPorts && p.proto === 6) s.tcpFlags = p.tcpFlags;
      if (p.icmpType >= 0) { s.icmpType = p.icmpType; s.icmpCode = p.icmpCode; }
    } else {
      s.ethertype = p.ethertype;
    }
    if (p.tunnelDepth > 0) {
      s.tunnelKind = p.tunnelKind;
      s.tunnelSrcAddr = anyAddrText(p.tunnelSrc);
      s.tunnelDstAddr = anyAddrText(p.tunnelDst);
    }
  }

  /** Passes the sampled header's anomalies on to the sink and clears them for the next one. */
  private headerFaults(): void {
    const c = this.headerAnomalies.count;
    for (let i = 0; i < c.length; i++) {
      if (c[i]! > 0) {
        this.fault(`sflow_header_${ANOMALY_NAMES[i]!}`);
        c[i] = 0;
        this.headerAnomalies.firstOffset[i] = -1;
      }
    }
  }

  /** Extended switch (flow record 1001). */
  private extSwitch(dv: DataView, pos: number, end: number, s: SflowFlowSample): boolean {
    if (end - pos < EXT_SWITCH_LEN) return false;
    s.srcVlan = dv.getUint32(pos);
    s.srcPriority = dv.getUint32(pos + 4);
    s.dstVlan = dv.getUint32(pos + 8);
    s.dstPriority = dv.getUint32(pos + 12);
    return true;
  }

  /** Extended router (flow record 1002): next hop, source and destination mask lengths. */
  private extRouter(dv: DataView, pos: number, end: number, s: SflowFlowSample): boolean {
    pos = this.readRecordAddress(dv, pos, end);
    if (pos < 0) return false;
    s.routerNextHop = this.addr;
    if (end - pos < 2 * U32) return false;
    s.srcMaskLen = dv.getUint32(pos);
    s.dstMaskLen = dv.getUint32(pos + 4);
    return true;
  }

  /**
   * Extended gateway (flow record 1003): next hop, the router's AS, source AS, source peer AS,
   * destination AS path (segments), communities, local preference. What was read before a
   * field that does not fit is kept.
   */
  private extGateway(dv: DataView, pos: number, end: number, s: SflowFlowSample): boolean {
    pos = this.readRecordAddress(dv, pos, end);
    if (pos < 0) return false;
    s.gwNextHop = this.addr;
    if (end - pos < 4 * U32) return false;
    s.gwRouterAs = dv.getUint32(pos);
    s.gwSrcAs = dv.getUint32(pos + 4);
    s.gwSrcPeerAs = dv.getUint32(pos + 8);
    const nSeg = dv.getUint32(pos + 12);
    pos += 4 * U32;
    const segments: SflowAsPathSegment[] = [];
    const text: string[] = [];
    // Each segment takes at least 8 bytes (type, count), each AS 4: the loops end with the bytes.
    for (let i = 0; i < nSeg; i++) {
      if (end - pos < 2 * U32) return false;
      const type = dv.getUint32(pos);
      const n = dv.getUint32(pos + 4);
      pos += 2 * U32;
      if (n > (end - pos) / U32) return false;
      const asns: number[] = [];
      for (let k = 0; k < n; k++) asns.push(dv.getUint32(pos + 4 * k));
      pos += 4 * n;
      segments.push({ type, asns });
      if (asns.length > 0) text.push(type === SFLOW_AS_PATH.SET ? `{${asns.join(',')}}` : asns.join(' '));
    }
    s.gwDstAsPathSegments = segments;
    s.gwDstAsPath = text.join(' ');
    const last = segments.length > 0 ? segments[segments.length - 1]!.asns : [];
    s.gwDstAs = last.length > 0 ? last[last.length - 1]! : null;
    if (end - pos < U32) return false;
    const nCom = dv.getUint32(pos);
    pos += U32;
    if (nCom > (end - pos) / U32) return false;
    const com: string[] = [];
    for (let k = 0; k < nCom; k++) {
      const c = dv.getUint32(pos + 4 * k);
      com.push(`${c >>> 16}:${c & 0xffff}`);
    }
    pos += 4 * nCom;
    s.gwCommunities = com.join(' ');
    if (end - pos < U32) return false;
    s.gwLocalPref = dv.getUint32(pos);
    return true;
  }

  /**
   * An address inside a record: a short record or an unknown address type is the record's
   * fault (sflow_bad_record_length, reported by the caller), so nothing is reported here.
   */
  private readRecordAddress(dv: DataView, pos: number, end: number): number {
    if (end - pos < U32) return -1;
    const type = dv.getUint32(pos);
    const need = type === SFLOW_ADDR.IP_V4 ? 4 : type === SFLOW_ADDR.IP_V6 ? 16 : type === SFLOW_ADDR.UNKNOWN ? 0 : -1;
    if (need < 0 || end - pos - U32 < need) return -1;
    return this.readAddress(dv, pos, end);
  }

  /** A counters sample in [pos, end). Returns whether a sample object was delivered. */
  private counterSample(dv: DataView, pos: number, end: number, d: SflowDatagram, kind: number): boolean {
    const expanded = kind === SFLOW_SAMPLE.COUNTERS_EXPANDED;
    if (end - pos < (expanded ? COUNTERS_EXPANDED_FIXED : COUNTERS_FIXED)) { this.fault('sflow_bad_sample_length'); return false; }
    const s: SflowCounterSample = {
      agent: d.agent, subAgent: d.subAgent, datagramSeq: d.datagramSeq, uptimeMs: d.uptimeMs,
      sampleType: kind, sampleSeq: dv.getUint32(pos), sourceIdType: 0, sourceIdIndex: 0, recordCount: 0,
      generic: null, ethernet: null, others: [],
    };
    if (expanded) {
      s.sourceIdType = dv.getUint32(pos + 4);
      s.sourceIdIndex = dv.getUint32(pos + 8);
      pos += 12;
    } else {
      const src = dv.getUint32(pos + 4);
      s.sourceIdType = src >>> 24;
      s.sourceIdIndex = src & 0xffffff;
      pos += 8;
    }
    s.recordCount = dv.getUint32(pos);
    pos += U32;
    const tooMany = s.recordCount > (end - pos) / SAMPLE_HEADER;
    if (tooMany) this.fault('sflow_too_many_records');
    for (let i = 0; i < s.recordCount; i++) {
      if (end - pos < SAMPLE_HEADER) {
        if (!tooMany) this.fault('sflow_truncated');
        break;
      }
      const format = dv.getUint32(pos);
      const len = dv.getUint32(pos + 4);
      const body = pos + SAMPLE_HEADER;
      if (len > end - body) { this.fault('sflow_bad_record_length'); break; }
      pos = body + len;
      if (format === SFLOW_COUNTER_RECORD.GENERIC_IF && s.generic === null) {
        if (len >= GENERIC_IF_LEN) { s.generic = genericIf(dv, body); continue; }
        this.fault('sflow_bad_record_length');
      } else if (format === SFLOW_COUNTER_RECORD.ETHERNET && s.ethernet === null) {
        if (len >= ETHERNET_LEN) { s.ethernet = ethernet(dv, body); continue; }
        this.fault('sflow_bad_record_length');
      }
      s.others.push({ enterprise: format >>> 12, format: format & 0xfff, length: len });
      this.skippedRecords++;
    }
    this.counterSamples++;
    this.sink!.counterSample(s);
    return true;
  }
}

function anyAddrText(words: Uint32Array): string {
  return isV4Mapped(words, 0) ? ipv4Text(words[3]!) : ipv6Text(words, 0);
}

/** Generic interface counters at `pos` (88 bytes known to be there). */
function genericIf(dv: DataView, pos: number): SflowIfCounters {
  return {
    ifIndex: dv.getUint32(pos),
    ifType: dv.getUint32(pos + 4),
    ifSpeed: Number(u64(dv, pos + 8)),
    ifDirection: dv.getUint32(pos + 16),
    ifStatus: dv.getUint32(pos + 20),
    inOctets: u64(dv, pos + 24),
    inUcastPkts: dv.getUint32(pos + 32),
    inMulticastPkts: dv.getUint32(pos + 36),
    inBroadcastPkts: dv.getUint32(pos + 40),
    inDiscards: dv.getUint32(pos + 44),
    inErrors: dv.getUint32(pos + 48),
    inUnknownProtos: dv.getUint32(pos + 52),
    outOctets: u64(dv, pos + 56),
    outUcastPkts: dv.getUint32(pos + 64),
    outMulticastPkts: dv.getUint32(pos + 68),
    outBroadcastPkts: dv.getUint32(pos + 72),
    outDiscards: dv.getUint32(pos + 76),
    outErrors: dv.getUint32(pos + 80),
    promiscuousMode: dv.getUint32(pos + 84),
  };
}

/** Ethernet counters at `pos` (52 bytes known to be there). */
function ethernet(dv: DataView, pos: number): SflowEthernetCounters {
  const at = (k: number): number => dv.getUint32(pos + 4 * k);
  return {
    alignmentErrors: at(0), fcsErrors: at(1), singleCollisionFrames: at(2), multipleCollisionFrames: at(3),
    sqeTestErrors: at(4), deferredTransmissions: at(5), lateCollisions: at(6), excessiveCollisions: at(7),
    internalMacTransmitErrors: at(8), carrierSenseErrors: at(9), frameTooLongs: at(10),
    internalMacReceiveErrors: at(11), symbolErrors: at(12),
  };
}

/** Sequence windows of `SflowSequence`: a step back by less than this after a high number is a wrap. */
const SEQ_WRAP_WINDOW = 1 << 20;
const TWO32 = 4294967296;

/**
 * Datagram loss per agent. The datagram sequence number counts per (agent, sub-agent), so that
 * pair is the key. A number lower than the last one is an agent restart (or a reordered
 * datagram), never a loss; a u32 wrap (a high last number, a small new one within a window)
 * is counted through.
 */
export class SflowSequence {
  /** Datagrams found missing, in total. */
  lost = 0;
  /** Times a sequence went back (agent restart, counter reset or reordering). */
  resets = 0;
  private readonly last = new Map<string, number>();

  /** Datagrams missing since the last one from this agent and sub-agent: 0 in order, on a repeat, or when seq goes back. */
  see(agent: string, subAgent: number, seq: number): number {
    const key = `${agent}/${subAgent >>> 0}`;
    const prev = this.last.get(key);
    seq >>>= 0;
    this.last.set(key, seq);
    if (prev === undefined || seq === prev) return 0;
    let gap: number;
    if (seq > prev) gap = seq - prev - 1;
    else if (seq + TWO32 - prev <= SEQ_WRAP_WINDOW) gap = seq + TWO32 - prev - 1; // wrapped past 2^32 - 1
    else { this.resets++; return 0; }
    this.lost += gap;
    return gap;
  }
}
