/**
 * BGP sessions inside captures (TCP 179, e.g. members' sessions with an exchange's route servers):
 * each message becomes a bgp_messages row, made as JSON text here in the worker (like the other
 * inspection rows). The framing, the OPEN negotiation (4-byte ASNs, ADD-PATH) and the UPDATE
 * attributes are read by src/context/bgp-message.ts.
 */
import { BgpSession, type BgpSessionMessage } from '../context/bgp-message.js';
import type { InspectContext } from './context.js';
import type { StreamConsumer } from './tcp-stream.js';
import { packBgpRow, type PackedRows } from './row-json.js';
import { JsonText } from './json-text.js';

/** Messages kept per flow part; past it they are counted (bgp_flow_message_limit). */
export const MAX_BGP_MESSAGES_PER_FLOW = 200000;


/** The writer of this module's row text (src/inspect/json-text.ts). */
const J = new JsonText();

export function bgpMessageJson(m: BgpSessionMessage): string {
  const o = m.open, u = m.update, n = m.notification;
  const path = u ? u.asPath : [];
  J.begin().mTime(',"ts":', m.sec, m.ns).mStr(',"type":', m.typeName).raw(',"messages":1');
  if (o) J.mNum(',"asn":', o.asn).mNum(',"hold_time":', o.holdTime).mStr(',"router_id":', o.bgpId).mBool(',"as4":', o.as4 !== null);
  if (u) {
    let k = 0;
    for (const w of u.withdrawn) J.raw(k++ === 0 ? ',"withdrawn":[' : ',').str(w);
    if (u.mpUnreach) for (const w of u.mpUnreach.withdrawn) J.raw(k++ === 0 ? ',"withdrawn":[' : ',').str(w);
    if (k > 0) J.raw(']');
    k = 0;
    for (const x of u.nlri) J.raw(k++ === 0 ? ',"nlri":[' : ',').str(x);
    if (u.mpReach) for (const x of u.mpReach.nlri) J.raw(k++ === 0 ? ',"nlri":[' : ',').str(x);
    if (k > 0) J.raw(']');
    J.mNums(',"as_path":', path).mStr(',"as_path_text":', u.asPathText)
      .mNum(',"origin_as":', path.length > 0 ? path[path.length - 1] : null)
      .mStr(',"next_hop":', u.nextHop ?? u.mpReach?.nextHop[0] ?? null).mStrs(',"communities":', u.communities);
  }
  if (n) J.mNum(',"error_code":', n.code).mNum(',"error_subcode":', n.subcode);
  return J.end();
}

/** The summary row of a direction's KEEPALIVEs. */
function keepaliveJson(sec: number, ns: number, count: number): string {
  return J.begin().mTime(',"ts":', sec, ns).raw(',"type":"KEEPALIVE"').mNum(',"messages":', count).end();
}

export class BgpCaptureSession implements StreamConsumer {
  private readonly session: BgpSession;
  private count = 0;
  /** KEEPALIVEs are counted per direction (one summary row each at the end), not written one by one. */
  private readonly keepalives = [0, 0];
  private readonly keepaliveLast: [number, number][] = [[0, 0], [0, 0]];

  constructor(private readonly ctx: InspectContext, private readonly tag: number, private readonly rows: PackedRows) {
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
    packBgpRow(this.rows, this.tag, bgpMessageJson(m), m.dir === 0);
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
      packBgpRow(this.rows, this.tag, keepaliveJson(sec, ns, this.keepalives[d]), d === 0);
    }
  }
}
