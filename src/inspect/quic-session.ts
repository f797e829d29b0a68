/**
 * QUIC over one UDP flow: the Initial packets of both sides, decrypted with the keys anyone can
 * derive, their CRYPTO frames joined into the ClientHello (and ServerHello). One `quic` record per
 * flow. Bounded: MAX_QUIC_DATAGRAMS datagrams are read at most.
 */
import { parseQuicDatagram, QuicFlowContext, QUIC_ANOMALY_NAMES } from './quic.js';
import { clientFields, serverFields } from './hello-fields.js';
import type { TlsAnomaly } from './tls.js';
import type { InspectContext } from './context.js';
import type { QuicRec } from './records.js';

export const MAX_QUIC_DATAGRAMS = 24;

const hex = (b: Uint8Array | null): string => (b === null ? '' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));

export class QuicSession {
  /** Made for the first datagram the capture holds whole (a header-only capture's flows never need it). */
  private q: QuicFlowContext | null = null;
  private datagrams = 0;
  private readonly rec: QuicRec;
  private seen = false;
  private emitted = false;

  constructor(private readonly ctx: InspectContext, tag: number) {
    this.rec = {
      tag, sec: ctx.sec, ns: ctx.ns, version: 0, dcid: '', scid: '', serverScid: '', client: null, server: null,
      clientPackets: 0, serverPackets: 0, retry: false,
    };
  }

  /** A short-header (1-RTT) packet was seen: the Initials are over. */
  private oneRtt = false;
  /** Every datagram so far was cut by the capture. */
  private cutOnly = true;

  get finished(): boolean {
    // Cut Initials cannot be opened: once both sides' connection IDs are known there is nothing more.
    if (this.cutOnly && this.rec.dcid !== '' && this.rec.serverScid !== '') return true;
    return this.oneRtt || this.datagrams >= MAX_QUIC_DATAGRAMS || (this.rec.client !== null && this.rec.server !== null);
  }

  /** `cut`: the capture holds only the start of the datagram (snaplen): an Initial cannot be opened, its header is read. */
  datagram(buf: Uint8Array, off: number, len: number, fromOrig: boolean, cut = false): void {
    this.datagrams++;
    if (len > 0 && (buf[off] & 0x80) === 0) { this.oneRtt = true; return; }
    if (cut) { this.header(buf, off, len, fromOrig); return; }
    this.cutOnly = false;
    const q = (this.q ??= new QuicFlowContext());
    const infos = parseQuicDatagram(buf, off, len, q, fromOrig);
    const r = this.rec;
    for (const i of infos) {
      if (!this.seen) {
        this.seen = true;
        r.sec = this.ctx.sec; r.ns = this.ctx.ns;
        r.version = i.version;
        if (i.fromClient) { r.dcid = hex(i.dcid); r.scid = hex(i.scid); }
      }
      if (i.fromClient && r.dcid === '') { r.dcid = hex(i.dcid); r.scid = hex(i.scid); }
    }
    const notes: TlsAnomaly[] = [];
    if (r.client === null) {
      const ch = q.clientHello();
      if (ch !== null) r.client = clientFields(ch.subarray(4), false, 'q', notes);
    }
    if (r.server === null) {
      const sh = q.serverHello();
      if (sh !== null) r.server = serverFields(sh.subarray(4), false, notes);
    }
    this.ctx.noteAll(notes);
  }

  /** Version and connection IDs of a long header, without keys (the first one seen, preferring the client's). */
  private header(buf: Uint8Array, off: number, len: number, fromOrig: boolean): void {
    const r = this.rec;
    if (len < 7 || (buf[off] & 0x80) === 0) return;
    const version = ((buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]) >>> 0;
    const dl = buf[off + 5];
    if (dl > 20 || off + 6 + dl >= off + len) return;
    const sl = buf[off + 6 + dl];
    if (sl > 20 || off + 7 + dl + sl > off + len) return;
    if (!this.seen) { this.seen = true; r.sec = this.ctx.sec; r.ns = this.ctx.ns; r.version = version; }
    if (fromOrig && r.dcid === '') {
      r.dcid = hex(buf.subarray(off + 6, off + 6 + dl));
      r.scid = hex(buf.subarray(off + 7 + dl, off + 7 + dl + sl));
    } else if (!fromOrig && r.serverScid === '') r.serverScid = hex(buf.subarray(off + 7 + dl, off + 7 + dl + sl));
  }

  /** The record, once (null when no Initial was read). */
  take(): QuicRec | null {
    if (this.emitted) return null;
    this.emitted = true;
    const r = this.rec;
    const q = this.q;
    if (q !== null) {
      if (q.version !== 0) r.version = q.version;
      if (q.keyDcid !== null && q.confirmed) r.dcid = hex(q.keyDcid);
      if (q.clientScid !== null) r.scid = hex(q.clientScid);
      if (q.serverScid !== null) r.serverScid = hex(q.serverScid);
      r.clientPackets = q.decryptedPackets[0];
      r.serverPackets = q.decryptedPackets[1];
      r.retry = q.retries > 0;
      for (let i = 1; i < q.anomalies.length; i++) if (q.anomalies[i] > 0) this.ctx.note(QUIC_ANOMALY_NAMES[i], q.anomalies[i]);
    }
    return this.seen ? r : null;
  }
}
