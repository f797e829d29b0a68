import type { Lookback } from '../io/range-reader.js';
import type { PacketSink } from '../io/packet-sink.js';
import { PcapParser } from '../io/pcap.js';
import { PcapngParser } from '../io/pcapng.js';
import { FragmentMap, type StrayFragmentPorts } from '../flow/fragments.js';
import { flowPorts } from '../flow/key.js';
import { AnomalyCounters } from '../wire/anomaly.js';
import { decodeLink } from '../wire/link.js';
import { Decoded, L3 } from '../wire/packet.js';


/**
 * The first fragments in the previous range's tail, by (src, dst, protocol, id): the ports that
 * a single pass would have given their later fragments. Decoded once, on the first stray fragment
 * of the range (most ranges never have one), into the flow table's own fragment map, whose entry
 * points at the datagram's ports here instead of at a flow.
 */
export class FirstFragments implements StrayFragmentPorts, PacketSink {
  found = 0;
  private map: FragmentMap | null = null;
  /** (sport << 16 | dport) >>> 0 per first fragment, indexed by the map's entries. */
  private readonly portsOf: number[] = [];
  private readonly p = new Decoded(new AnomalyCounters());

  constructor(private readonly lookback: Lookback) {}

  ports(p: Decoded): boolean {
    if (this.map === null) this.load();
    const i = this.map!.get(p.src, p.dst, p.proto, p.fragId);
    if (i < 0) return false;
    this.found = this.portsOf[i]!;
    return true;
  }

  private load(): void {
    this.map = new FragmentMap();
    const { buffer, length, baseOffset, state } = this.lookback;
    const parser = state.kind === 'pcap' ? new PcapParser(this, state) : new PcapngParser(this, state);
    try {
      parser.parse(new Uint8Array(buffer, 0, length), new DataView(buffer, 0, length), 0, length, baseOffset);
    } catch {
      // The reader walked these records already; whatever was read before a surprise still counts.
    }
  }

  packet(_buf: Uint8Array, dv: DataView, off: number, caplen: number, wireLen: number,
    _sec: number, _ns: number, linktype: number, recordOffset: number): void {
    if (caplen === 0) return;
    const p = this.p;
    p.reset(recordOffset, caplen, off + wireLen);
    decodeLink(p, dv, linktype, off, off + caplen);
    if (p.l3 !== L3.Ip || !p.isFragment || !p.fragFirst) return;
    // The ports the flow table keys the datagram's flow by, as a single pass would.
    this.map!.put(p.src, p.dst, p.proto, p.fragId, this.portsOf.length, 0);
    this.portsOf.push(flowPorts(p));
  }

  anomaly(): void { /* counted by the range that owns the record */ }
}
