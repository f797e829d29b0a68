import type { PacketSink } from '../io/packet-sink.js';
import { AnomalyCounters, A } from '../wire/anomaly.js';
import { Decoded, L3 } from '../wire/packet.js';
import { decodeLink } from '../wire/link.js';
import { ethertypeName } from '../wire/ethertype.js';
import { FlowTable } from '../flow/table.js';
import type { FlowOptions } from '../flow/options.js';
import type { L2Record } from '../sink/records.js';
import { FlowInspector } from '../inspect/inspector.js';
import { Bindings } from '../wire/bindings.js';
import { SflowCollector } from './sflow-rows.js';

const ICMP = 1, TCP = 6, UDP = 17, ICMPV6 = 58, SCTP = 132, SYN = 0x02;

/** Decodes each packet in place and feeds the flow table; counts what is not IP. */
export class PacketProcessor implements PacketSink {
  readonly anomalies = new AnomalyCounters();
  readonly decoded = new Decoded(this.anomalies);
  readonly flows: FlowTable;
  packets = 0;
  bytes = 0;
  undecoded = 0;
  firstSec = Infinity; firstNs = 0;
  lastSec = -Infinity; lastNs = 0;
  private readonly l2Packets = new Float64Array(65536);
  private readonly l2Bytes = new Float64Array(65536);

  /** ARP and ND address-to-MAC bindings seen. */
  readonly bindings = new Bindings();
  /** Null with --no-inspect. */
  readonly inspector: FlowInspector | null;

  /** sFlow datagrams on this UDP port are decoded (0: off). */
  readonly sflowPort: number;
  readonly sflow: SflowCollector | null;

  constructor(opts: FlowOptions, inspect = false, tagBase = 0, sflowPort = 0) {
    this.sflowPort = sflowPort;
    this.sflow = sflowPort > 0 ? new SflowCollector() : null;
    this.flows = new FlowTable(opts, this.anomalies);
    this.flows.tagBase = tagBase;
    if (inspect) {
      const insp = new FlowInspector();
      this.inspector = insp;
      this.flows.onEnd = (slot, tag) => insp.end(slot, tag);
    } else this.inspector = null;
  }

  packet(buf: Uint8Array, dv: DataView, off: number, caplen: number, wireLen: number,
    tsSec: number, tsNs: number, linktype: number, recordOffset: number): void {
    this.packets++;
    this.bytes += wireLen;
    if (tsSec < this.firstSec || (tsSec === this.firstSec && tsNs < this.firstNs)) { this.firstSec = tsSec; this.firstNs = tsNs; }
    if (tsSec > this.lastSec || (tsSec === this.lastSec && tsNs > this.lastNs)) { this.lastSec = tsSec; this.lastNs = tsNs; }
    if (caplen === 0) { this.anomalies.add(A.zero_length_packet, recordOffset); this.undecoded++; return; }
    const p = this.decoded;
    p.reset(recordOffset, caplen, off + wireLen);
    decodeLink(p, dv, linktype, off, off + caplen);
    if (p.l3 === L3.Ip) {
      const flows = this.flows;
      flows.add(p, tsSec, tsNs, wireLen, caplen < wireLen);
      const insp = this.inspector;
      const proto = p.proto;
      if (proto === UDP && this.sflow !== null && p.payloadCaptured > 0 && (p.dport === this.sflowPort || p.sport === this.sflowPort)) {
        // The UDP length field bounds the datagram (the IP length may claim more).
        const udpLen = dv.getUint16(p.payloadOff - 4);
        const end = p.payloadOff + (udpLen >= 8 && udpLen - 8 < p.payloadCaptured ? udpLen - 8 : p.payloadCaptured);
        this.sflow.datagramAt(dv, p.payloadOff, end, tsSec, tsNs, recordOffset);
      }
      // Neighbor Advertisement (ICMPv6 136): an IPv6 address bound to a MAC.
      if (proto === ICMPV6 && p.icmpType === 136 && p.tunnelDepth === 0 && p.payloadCaptured > 0) {
        this.bindings.ndAdvert(buf, p.payloadOff, p.payloadOff + p.payloadCaptured, p.srcMac, tsSec, tsNs);
      }
      if (insp !== null && (p.payloadLen > 0 || (p.tcpFlags & SYN) !== 0) &&
          (p.hasPorts ? (proto === TCP || proto === UDP || proto === SCTP) : (proto === ICMP || proto === ICMPV6) && p.payloadCaptured > 0)) {
        const f = flows.lastFlow, at = insp.at;
        at[0] = flows.tagOf(f); at[1] = tsSec; at[2] = tsNs;
        insp.packet(f, flows.lastIsOrig ? 0 : 1, p, buf);
      }
    }
    else if (p.l3 === L3.NonIp) {
      this.l2Packets[p.ethertype]++; this.l2Bytes[p.ethertype] += wireLen;
      if (p.ethertype === 0x0806 && p.tunnelDepth === 0) this.bindings.arpPacket(buf, p.payloadOff, p.payloadOff + p.payloadCaptured, tsSec, tsNs);
    }
    else this.undecoded++;
  }

  anomaly(code: number, recordOffset: number): void {
    this.anomalies.add(code, recordOffset);
  }

  l2Records(): L2Record[] {
    const out: L2Record[] = [];
    for (let t = 0; t < 65536; t++) {
      if (this.l2Packets[t] > 0) out.push({ ethertype: t, name: ethertypeName(t), packets: this.l2Packets[t], bytes: this.l2Bytes[t] });
    }
    return out;
  }
}
