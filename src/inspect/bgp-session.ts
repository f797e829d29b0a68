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

/** Messages kept per flow part; past it they are counted (bgp_flow_message_limit). */
export const MAX_BGP_MESSAGES_PER_FLOW = 200000;

export interface BgpRow { tag: number; json: string; fromOrig: boolean }

export function bgpMessageJson(m: BgpSessionMessage): string {
  const o = m.open, u = m.update, n = m.notification;
  const nlri = u ? [...u.nlri, ...(u.mpReach?.nlri ?? [])] : [];
  const withdrawn = u ? [...u.withdrawn, ...(u.mpUnreach?.withdrawn ?? [])] : [];
  const path = u ? u.asPath : [];
  return JSON.stringify({
    ts: nsText(m.sec, m.ns), type: m.typeName, messages: 1,
    asn: o ? o.asn : null, hold_time: o ? o.holdTime : null, router_id: o ? o.bgpId : null, as4: o ? o.as4 !== null : null,
    withdrawn, nlri, as_path: path, as_path_text: u ? u.asPathText : null, origin_as: path.length > 0 ? path[path.length - 1] : null,
    next_hop: u ? (u.nextHop ?? u.mpReach?.nextHop[0] ?? null) : null, communities: u ? u.communities : [],
    error_code: n ? n.code : null, error_subcode: n ? n.subcode : null,
  }).slice(1, -1);
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
      this.rows.push({ tag: this.tag, fromOrig: d === 0, json: JSON.stringify({
        ts: nsText(sec, ns), type: 'KEEPALIVE', messages: this.keepalives[d],
        withdrawn: [], nlri: [], as_path: [], communities: [],
      }).slice(1, -1) });
    }
  }
}
