import type { PacketSink } from '../io/packet-sink.js';
import { AnomalyCounters, A } from '../wire/anomaly.js';
import { Decoded, L3 } from '../wire/packet.js';
import { decodeLink } from '../wire/link.js';
import { ethertypeName } from '../wire/ethertype.js';
import { FlowTable } from '../flow/table.js';
import type { FlowOptions } from '../flow/options.js';
import type { L2Record } from '../sink/records.js';
import { FlowInspector } from '../inspect/inspector.js';

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

  /** Null with --no-inspect. */
  readonly inspector: FlowInspector | null;

  constructor(opts: FlowOptions, inspect = false, tagBase = 0) {
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
      if (insp !== null && (p.payloadLen > 0 || (p.tcpFlags & SYN) !== 0) &&
          (p.hasPorts ? (proto === TCP || proto === UDP || proto === SCTP) : (proto === ICMP || proto === ICMPV6) && p.payloadCaptured > 0)) {
        const f = flows.lastFlow;
        insp.packet(f, flows.tagOf(f), flows.lastIsOrig ? 0 : 1, p, buf, tsSec, tsNs);
      }
    }
    else if (p.l3 === L3.NonIp) { this.l2Packets[p.ethertype]++; this.l2Bytes[p.ethertype] += wireLen; }
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
