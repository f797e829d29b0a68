/**
 * Address-to-MAC bindings an observer on a LAN reads from ARP (RFC 826: the sender's protocol and
 * hardware address, in requests and replies) and from IPv6 Neighbor Discovery (RFC 4861: a
 * Neighbor Advertisement's target address with its target link-layer address option, else the
 * frame's source MAC). At an exchange point they map peering-LAN addresses, hence members, to
 * router MACs. ARP and ND are rare next to IP traffic; a binding seen again only updates counters.
 */
import { ipv4Text, ipv6Text, macText } from './addr-text.js';

export interface BindingRecord { kind: 'arp' | 'nd'; addr: string; mac: string; firstSec: number; firstNs: number; lastSec: number; lastNs: number; packets: number }

interface Entry { mac: number; firstSec: number; firstNs: number; lastSec: number; lastNs: number; packets: number }

/** Bindings kept per range at most (a flood of forged ARP must not grow memory without end). */
const MAX_BINDINGS = 65536;

export class Bindings {
  private readonly arp = new Map<number, Entry[]>();
  private readonly nd = new Map<string, Entry[]>();
  private count = 0;
  private readonly w6 = new Uint32Array(4);

  private touch(list: Entry[] | undefined, mac: number, sec: number, ns: number): Entry[] | null {
    if (list !== undefined) {
      for (const e of list) {
        if (e.mac === mac) { e.packets++; e.lastSec = sec; e.lastNs = ns; return null; }
      }
    }
    if (this.count >= MAX_BINDINGS) return null;
    this.count++;
    const e: Entry = { mac, firstSec: sec, firstNs: ns, lastSec: sec, lastNs: ns, packets: 1 };
    if (list !== undefined) { list.push(e); return null; }
    return [e];
  }

  /** An ARP packet at buf[off, end) (Ethernet/IPv4 only). */
  arpPacket(buf: Uint8Array, off: number, end: number, sec: number, ns: number): void {
    if (end - off < 28) return;
    // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
    if (buf[off] !== 0 || buf[off + 1] !== 1 || buf[off + 2] !== 8 || buf[off + 3] !== 0 || buf[off + 4] !== 6 || buf[off + 5] !== 4) return;
    const mac = ((buf[off + 8] << 8) | buf[off + 9]) * 4294967296 + (((buf[off + 10] << 24) | (buf[off + 11] << 16) | (buf[off + 12] << 8) | buf[off + 13]) >>> 0);
    const ip = ((buf[off + 14] << 24) | (buf[off + 15] << 16) | (buf[off + 16] << 8) | buf[off + 17]) >>> 0;
    if (ip === 0 || mac === 0) return; // probes (RFC 5227) bind nothing
    const list = this.arp.get(ip);
    const made = this.touch(list, mac, sec, ns);
    if (made !== null) this.arp.set(ip, made);
  }

  /** A Neighbor Advertisement: the ICMPv6 body at buf[off, end) after the 4-byte type/code/checksum and 4 flag bytes. */
  ndAdvert(buf: Uint8Array, off: number, end: number, frameSrcMac: number, sec: number, ns: number): void {
    if (end - off < 16) return;
    const w = this.w6;
    for (let k = 0; k < 4; k++) w[k] = ((buf[off + 4 * k] << 24) | (buf[off + 4 * k + 1] << 16) | (buf[off + 4 * k + 2] << 8) | buf[off + 4 * k + 3]) >>> 0;
    let mac = frameSrcMac;
    for (let p = off + 16; p + 8 <= end;) {
      const type = buf[p], len = buf[p + 1] * 8;
      if (len === 0) break;
      if (type === 2 && len >= 8) { mac = ((buf[p + 2] << 8) | buf[p + 3]) * 4294967296 + (((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0); break; }
      p += len;
    }
    if (mac !== mac) return;
    const key = ipv6Text(w, 0);
    const made = this.touch(this.nd.get(key), mac, sec, ns);
    if (made !== null) this.nd.set(key, made);
  }

  records(): BindingRecord[] {
    const out: BindingRecord[] = [];
    for (const [ip, list] of this.arp) for (const e of list) out.push({ kind: 'arp', addr: ipv4Text(ip), mac: macText(e.mac)!, ...times(e) });
    for (const [addr, list] of this.nd) for (const e of list) out.push({ kind: 'nd', addr, mac: macText(e.mac)!, ...times(e) });
    return out;
  }
}

function times(e: Entry): { firstSec: number; firstNs: number; lastSec: number; lastNs: number; packets: number } {
  return { firstSec: e.firstSec, firstNs: e.firstNs, lastSec: e.lastSec, lastNs: e.lastNs, packets: e.packets };
}
