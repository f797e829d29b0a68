/**
 * TLS over one TCP flow: the handshake of each direction (at most 16 KiB of stream each) through
 * a HandshakeBuffer; the ClientHello, the ServerHello and, for TLS <= 1.2, the Certificate chain.
 * One `tls` record per flow, written when the flow ends or nothing more can be learned.
 */
import { HandshakeBuffer, HANDSHAKE_TYPE, parseCertificateMessage, type HandshakeMessage, type TlsAnomaly } from './tls.js';
import { clientFields, serverFields } from './hello-fields.js';
import type { InspectContext } from './context.js';
import type { StreamConsumer } from './tcp-stream.js';
import type { TlsRec } from './records.js';

export const TLS_STREAM_BUDGET = 16 * 1024;

export class TlsSession implements StreamConsumer {
  private readonly hb = [new HandshakeBuffer(TLS_STREAM_BUDGET), new HandshakeBuffer(TLS_STREAM_BUDGET)];
  private readonly bytes = [0, 0];
  private readonly stopped = [false, false];
  /** Bytes of a direction went missing (snaplen, loss): its "truncated" anomalies are not malformed input. */
  private readonly cut = [false, false];
  private clientDir = -1;
  private readonly rec: TlsRec;
  private hasHello = false;
  private done = false;
  private emitted = false;

  constructor(private readonly ctx: InspectContext, tag: number) {
    this.rec = { tag, sec: ctx.sec, ns: ctx.ns, clientIsOrig: true, client: null, server: null, certChain: [], alert: -1 };
  }

  /** Nothing more to learn: the caller may stop feeding the flow. */
  get finished(): boolean { return this.done || (this.stopped[0] && this.stopped[1]); }

  data(dir: number, buf: Uint8Array, off: number, len: number): void {
    if (this.stopped[dir] || this.done) return;
    const room = TLS_STREAM_BUDGET - this.bytes[dir];
    const n = len < room ? len : room;
    this.bytes[dir] += n;
    const hb = this.hb[dir];
    for (const m of hb.push(buf, off, n)) this.message(dir, m);
    if (hb.stopped !== null) this.stop(dir, true);
    else if (this.bytes[dir] >= TLS_STREAM_BUDGET) this.stop(dir, false);
  }

  gap(dir: number): void {
    // What was cut (snaplen, lost segment) is parsed as far as it goes.
    this.cut[dir] = true;
    this.stop(dir, true);
  }

  /** `cut`: the stream ended here against its will (gap, end of flow), so a message in progress is read as cut and counted. */
  private stop(dir: number, cut: boolean): void {
    if (this.stopped[dir]) return;
    this.stopped[dir] = true;
    const hb = this.hb[dir];
    if (cut) {
      const pending = hb.end();
      if (pending !== null) this.message(dir, pending);
    }
    this.ctx.noteAll(hb.anomalies, this.cut[dir]);
    if (hb.alert !== null && this.rec.alert < 0) this.rec.alert = hb.alert.level * 256 + hb.alert.description;
  }

  private message(dir: number, m: HandshakeMessage): void {
    const cut = this.cut[dir];
    const notes: TlsAnomaly[] = [];
    const r = this.rec;
    if (m.type === HANDSHAKE_TYPE.CLIENT_HELLO && r.client === null && (this.clientDir < 0 || this.clientDir === dir)) {
      this.clientDir = dir;
      r.clientIsOrig = dir === 0;
      r.sec = this.ctx.sec; r.ns = this.ctx.ns;
      r.client = clientFields(m.body, m.truncated, 't', notes);
      this.hasHello = true;
    } else if (m.type === HANDSHAKE_TYPE.SERVER_HELLO && r.server === null && dir !== this.clientDir) {
      if (this.clientDir < 0) { this.clientDir = dir ^ 1; r.clientIsOrig = dir === 1; }
      r.server = serverFields(m.body, m.truncated, notes);
      this.hasHello = true;
      // TLS 1.3 encrypts the rest of the server's handshake.
      if (r.server !== null && r.server.version >= 0x0304 && r.client !== null) this.done = true;
    } else if (m.type === HANDSHAKE_TYPE.CERTIFICATE && dir !== this.clientDir && r.certChain.length === 0) {
      const list = parseCertificateMessage(m.body, 0, m.body.length, { truncated: m.truncated, notes });
      if (list !== null) for (const der of list.certs) r.certChain.push(this.ctx.certificate(der));
      if (r.client !== null) this.done = true;
    }
    this.ctx.noteAll(notes, cut);
  }

  /** The record, once (null when no hello was read). */
  take(): TlsRec | null {
    if (this.emitted) return null;
    this.stop(0, !this.done);
    this.stop(1, !this.done);
    this.emitted = true;
    return this.hasHello ? this.rec : null;
  }
}
