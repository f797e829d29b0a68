import type { Lookback } from '../io/range-reader.js';
import type { PacketSink } from '../io/packet-sink.js';
import { PcapParser } from '../io/pcap.js';
import { PcapngParser } from '../io/pcapng.js';
import type { StrayFragmentPorts } from '../flow/fragments.js';
import { icmpCounterpart } from '../flow/zeek-state.js';
import { AnomalyCounters } from '../wire/anomaly.js';
import { decodeLink } from '../wire/link.js';
import { Decoded, L3 } from '../wire/packet.js';

const ICMP = 1, ICMPV6 = 58;

/** A 32-bit hash of the datagram key, so that a stray fragment with no first fragment here costs no string. */
function hashOf(p: Decoded): number {
  let h = Math.imul((p.fragId >>> 0) ^ (p.proto << 24), 0x9e3779b1);
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ p.src[i]! ^ Math.imul(p.dst[i]!, 0x85ebca6b), 0xc2b2ae35) ^ (h >>> 13);
  return h | 0;
}

function keyOf(p: Decoded): string {
  return `${p.src[0]},${p.src[1]},${p.src[2]},${p.src[3]}>${p.dst[0]},${p.dst[1]},${p.dst[2]},${p.dst[3]}/${p.proto}#${p.fragId >>> 0}`;
}

/**
 * The first fragments in the previous range's tail, by (src, dst, protocol, id): the ports that
 * a single pass would have given their later fragments. Decoded once, on the first stray fragment
 * of the range (most ranges never have one); strings are made only then.
 */
export class FirstFragments implements StrayFragmentPorts, PacketSink {
  found = 0;
  private map: Map<string, number> | null = null;
  private readonly hashes = new Set<number>();
  private readonly p = new Decoded(new AnomalyCounters());

  constructor(private readonly lookback: Lookback) {}

  ports(p: Decoded): boolean {
    if (this.map === null) this.load();
    if (!this.hashes.has(hashOf(p))) return false;
    const v = this.map!.get(keyOf(p));
    if (v === undefined) return false;
    this.found = v;
    return true;
  }

  private load(): void {
    this.map = new Map();
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
    // The ports the flow table keys the datagram's flow by: 0 and 0 without ports (other protocols,
    // a transport header cut by the snaplen), as a single pass would.
    let sport = 0, dport = 0;
    if (p.hasPorts) { sport = p.sport; dport = p.dport; }
    else if ((p.proto === ICMP || p.proto === ICMPV6) && p.icmpType >= 0) {
      sport = p.icmpType;
      const c = icmpCounterpart(p.proto === ICMPV6, p.icmpType);
      dport = c >= 0 ? c : p.icmpCode;
    }
    this.map!.set(keyOf(p), ((sport << 16) | dport) >>> 0);
    this.hashes.add(hashOf(p));
  }

  anomaly(): void { /* counted by the range that owns the record */ }
}
