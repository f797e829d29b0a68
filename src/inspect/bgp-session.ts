/**
 * BGP sessions inside captures (TCP 179, e.g. members' sessions with an exchange's route servers):
 * each message becomes a bgp_messages row, made as JSON text here in the worker (like the other
 * inspection rows). The framing, the OPEN negotiation (4-byte ASNs, ADD-PATH) and the UPDATE
 * attributes are read by src/context/bgp-message.ts.
 */
import { BgpSession, type BgpSessionMessage } from '../context/bgp-message.js';
import type { InspectContext } from './context.js';
import type { StreamConsumer } from './tcp-stream.js';
import { nsText } from './row-json.js';
import { JsonText } from './json-text.js';

/** Messages kept per flow part; past it they are counted (bgp_flow_message_limit). */
export const MAX_BGP_MESSAGES_PER_FLOW = 200000;

export interface BgpRow { tag: number; json: string; fromOrig: boolean }

/** The writer of this module's row text (src/inspect/json-text.ts). */
const J = new JsonText();

export function bgpMessageJson(m: BgpSessionMessage): string {
  const o = m.open, u = m.update, n = m.notification;
  const path = u ? u.asPath : [];
  J.begin().raw('"ts":').str(nsText(m.sec, m.ns)).raw(',"type":').str(m.typeName).raw(',"messages":1')
    .raw(',"asn":').num(o ? o.asn : null).raw(',"hold_time":').num(o ? o.holdTime : null).raw(',"router_id":').str(o ? o.bgpId : null)
    .raw(',"as4":').raw(o ? String(o.as4 !== null) : 'null').raw(',"withdrawn":[');
  let k = 0;
  if (u) {
    for (const w of u.withdrawn) J.raw(k++ === 0 ? '' : ',').str(w);
    if (u.mpUnreach) for (const w of u.mpUnreach.withdrawn) J.raw(k++ === 0 ? '' : ',').str(w);
  }
  J.raw('],"nlri":[');
  k = 0;
  if (u) {
    for (const x of u.nlri) J.raw(k++ === 0 ? '' : ',').str(x);
    if (u.mpReach) for (const x of u.mpReach.nlri) J.raw(k++ === 0 ? '' : ',').str(x);
  }
  return J.raw('],"as_path":').nums(path).raw(',"as_path_text":').str(u ? u.asPathText : null)
    .raw(',"origin_as":').num(path.length > 0 ? path[path.length - 1] : null)
    .raw(',"next_hop":').str(u ? (u.nextHop ?? u.mpReach?.nextHop[0] ?? null) : null).raw(',"communities":').strs(u ? u.communities : [])
    .raw(',"error_code":').num(n ? n.code : null).raw(',"error_subcode":').num(n ? n.subcode : null).end();
}

/** The summary row of a direction's KEEPALIVEs. */
function keepaliveJson(sec: number, ns: number, count: number): string {
  return J.begin().raw('"ts":').str(nsText(sec, ns)).raw(',"type":"KEEPALIVE","messages":').num(count)
    .raw(',"withdrawn":[],"nlri":[],"as_path":[],"communities":[]').end();
}

export class BgpCaptureSession implements StreamConsumer {
  private readonly session: BgpSession;
  private count = 0;
  /** KEEPALIVEs are counted per direction (one summary row each at the end), not written one by one. */
  private readonly keepalives = [0, 0];
  private readonly keepaliveLast: [number, number][] = [[0, 0], [0, 0]];

  constructor(private readonly ctx: InspectContext, private readonly tag: number, private readonly rows: BgpRow[]) {
    this.session = new BgpSession({ clock: ctx, onMessage: (m) => this.message(m) });
  }

  get finished(): boolean { return false; }

  private message(m: BgpSessionMessage): void {
    if (m.type === 4) {
      this.keepalives[m.dir]++;
      this.keepaliveLast[m.dir] = [m.sec, m.ns];
      return;
    }
    if (this.count >= MAX_BGP_MESSAGES_PER_FLOW) { this.ctx.note('bgp_flow_message_limit'); return; }
    this.count++;
    this.ctx.noteAll(m.anomalies);
    this.rows.push({ tag: this.tag, json: bgpMessageJson(m), fromOrig: m.dir === 0 });
  }

  data(dir: number, buf: Uint8Array, off: number, len: number): void { this.session.data(dir, buf, off, len); }
  /** Bytes went missing (snaplen, loss): the framing anomalies that follow are not malformed input. */
  private cut = false;

  gap(dir: number, n: number): void { this.cut = true; this.session.gap(dir, n); }

  end(): void {
    this.session.end();
    this.ctx.noteAll(this.session.anomalies, this.cut);
    for (let d = 0; d < 2; d++) {
      if (this.keepalives[d] === 0) continue;
      const [sec, ns] = this.keepaliveLast[d];
      this.rows.push({ tag: this.tag, fromOrig: d === 0, json: keepaliveJson(sec, ns, this.keepalives[d]) });
    }
  }
}
