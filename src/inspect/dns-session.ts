/**
 * DNS messages of one flow as records: over UDP one datagram at a time, over TCP through the
 * length-prefixed framing of each direction. Queries and responses are paired (and their RTT
 * taken) in the main thread, once every part of the flow is in (src/pipeline/dns-pairing.ts).
 */
import { parseDns, DnsTcpBuffer, DNS_TYPE, type DnsFlavor, type DnsMessage, type DnsRecord, type SvcParams } from './dns.js';
import type { InspectContext } from './context.js';
import type { StreamConsumer } from './tcp-stream.js';
import type { DnsAnswer, DnsMsgRec } from './records.js';

/** Messages kept per flow part; past it they are counted (dns_flow_message_limit). */
export const MAX_DNS_MESSAGES_PER_FLOW = 4096;
/** Answers kept per message. */
const MAX_ANSWERS = 64;

export function dnsFlavorForPorts(a: number, b: number): DnsFlavor | null {
  if (a === 53 || b === 53) return 'dns';
  if (a === 5353 || b === 5353) return 'mdns';
  if (a === 5355 || b === 5355) return 'llmnr';
  return null;
}

function svcbText(priority: number, target: string | null, p: SvcParams): string {
  const parts = [String(priority), target ?? '?'];
  if (p.alpn) parts.push(`alpn=${p.alpn.join(',')}`);
  if (p.noDefaultAlpn) parts.push('no-default-alpn');
  if (p.port !== undefined) parts.push(`port=${p.port}`);
  if (p.ipv4hint) parts.push(`ipv4hint=${p.ipv4hint.join(',')}`);
  if (p.ech) parts.push(`ech=${p.ech.base64}`);
  if (p.ipv6hint) parts.push(`ipv6hint=${p.ipv6hint.join(',')}`);
  if (p.dohpath !== undefined) parts.push(`dohpath=${p.dohpath}`);
  if (p.ohttp) parts.push('ohttp');
  return parts.join(' ');
}

function rdataText(r: DnsRecord): string {
  const d = r.data;
  switch (d.kind) {
    case 'a': case 'aaaa': return d.address;
    case 'name': return d.name ?? '';
    case 'mx': return `${d.preference} ${d.exchange ?? ''}`;
    case 'txt': return d.strings.join(' ');
    case 'soa': return `${d.mname ?? ''} ${d.rname ?? ''} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'srv': return `${d.priority} ${d.weight} ${d.port} ${d.target ?? ''}`;
    case 'svcb': return svcbText(d.priority, d.target, d.params);
    case 'opt': return '';
    case 'raw': return `\\# ${d.length}`;
  }
}

/** A parsed message as a record of the flow `tag`. */
export function dnsRecordOf(msg: DnsMessage, ctx: InspectContext, tag: number, fromOrig: boolean, transport: DnsMsgRec['transport']): DnsMsgRec {
  const answers: DnsAnswer[] = [];
  const addrs: string[] = [];
  const svcbAlpn: string[] = [];
  let svcbEch = false;
  for (let section = 0; section < 2; section++) {
    const list = section === 0 ? msg.answers : msg.authorities;
    for (const r of list) {
      if (r.type === DNS_TYPE.OPT) continue;
      if (answers.length < MAX_ANSWERS && list === msg.answers) answers.push({ name: r.name ?? '', type: r.type, ttl: r.ttl, data: rdataText(r) });
      else if (list === msg.authorities && r.type === DNS_TYPE.SOA && answers.length < MAX_ANSWERS) {
        answers.push({ name: r.name ?? '', type: r.type, ttl: r.ttl, data: rdataText(r) });
      }
      if (list !== msg.answers) continue;
      if (r.data.kind === 'a' || r.data.kind === 'aaaa') addrs.push(r.data.address);
      else if (r.data.kind === 'svcb') {
        if (r.data.params.alpn) for (const a of r.data.params.alpn) if (!svcbAlpn.includes(a)) svcbAlpn.push(a);
        if (r.data.params.ech) svcbEch = true;
      }
    }
  }
  const h = msg.header;
  return {
    tag, sec: ctx.sec, ns: ctx.ns, fromOrig, transport, flavor: msg.flavor,
    id: h.id, response: h.qr, opcode: h.opcode, flags: h.flags, rcode: msg.rcode,
    qname: msg.question?.name ?? null, qtype: msg.question?.type ?? -1,
    answers, addrs, svcbAlpn, svcbEch, truncated: msg.truncated,
  };
}

/** One UDP datagram's DNS message; returns false when it is not DNS at all (too short for a header). */
export function inspectDnsDatagram(ctx: InspectContext, tag: number, fromOrig: boolean, flavor: DnsFlavor,
  buf: Uint8Array, off: number, len: number, transport: 'udp' | 'icmp' = 'udp', cut = false): boolean {
  const msg = parseDns(buf, off, len, { flavor });
  if (msg === null) { if (!cut) ctx.note('dns_short_header'); return false; }
  ctx.noteAll(msg.anomalies, cut);
  ctx.dns(dnsRecordOf(msg, ctx, tag, fromOrig, transport));
  return true;
}

export class DnsTcpSession implements StreamConsumer {
  private readonly framing = [new DnsTcpBuffer(), new DnsTcpBuffer()];
  messages = 0;

  constructor(private readonly ctx: InspectContext, private readonly tag: number, private readonly flavor: DnsFlavor) {}

  get finished(): boolean {
    return this.messages >= MAX_DNS_MESSAGES_PER_FLOW || (!this.framing[0].inSync && !this.framing[1].inSync);
  }

  data(dir: number, buf: Uint8Array, off: number, len: number): void {
    for (const m of this.framing[dir].push(buf, off, len)) {
      if (this.messages >= MAX_DNS_MESSAGES_PER_FLOW) { this.ctx.note('dns_flow_message_limit'); return; }
      const msg = parseDns(m, 0, m.length, { flavor: this.flavor });
      if (msg === null) { this.ctx.note('dns_short_header'); continue; }
      this.messages++;
      this.ctx.noteAll(msg.anomalies);
      this.ctx.dns(dnsRecordOf(msg, this.ctx, this.tag, dir === 0, 'tcp'));
    }
  }

  private cut = false;

  gap(dir: number): void {
    this.cut = true;
    this.framing[dir].gap();
  }

  end(): void {
    this.ctx.noteAll(this.framing[0].anomalies, this.cut);
    this.ctx.noteAll(this.framing[1].anomalies, this.cut);
  }
}
