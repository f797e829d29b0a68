/**
 * HTTP/1.x over one TCP flow: request and response heads in order, bodies skipped by their
 * framing. A request and the response that follows it make one `http` record. Bounded: at most
 * MAX_HTTP_TRANSACTIONS per flow and HTTP_STREAM_BUDGET bytes per direction.
 */
import { HttpConnection, type HttpRecord, type HttpRequestRecord } from './http.js';
import type { InspectContext } from './context.js';
import type { StreamConsumer } from './tcp-stream.js';
import type { HttpRec } from './records.js';

export const MAX_HTTP_TRANSACTIONS = 64;
export const HTTP_STREAM_BUDGET = 1024 * 1024;

export class HttpSession implements StreamConsumer {
  private readonly conn = new HttpConnection();
  private readonly bytes = [0, 0];
  /** Requests waiting for their response, in order. */
  private readonly waiting: HttpRec[] = [];
  private count = 0;
  private stoppedDirs = 0;

  constructor(private readonly ctx: InspectContext, private readonly tag: number) {}

  get finished(): boolean {
    return (this.count >= MAX_HTTP_TRANSACTIONS && this.waiting.length === 0) || this.stoppedDirs === 2
      || (this.conn.streams[0].stopped !== null && this.conn.streams[1].stopped !== null);
  }

  data(dir: number, buf: Uint8Array, off: number, len: number): void {
    const d = dir as 0 | 1;
    if (this.bytes[d] >= HTTP_STREAM_BUDGET) return;
    const room = HTTP_STREAM_BUDGET - this.bytes[d];
    const n = len < room ? len : room;
    this.bytes[d] += n;
    this.take(this.conn.push(d, buf, off, n));
    if (this.bytes[d] >= HTTP_STREAM_BUDGET) this.stoppedDirs++;
  }

  gap(dir: number, n: number): void {
    const s = this.conn.streams[dir];
    if (s.stopped === null && s.inHead) {
      // A head cut by the capture (snaplen) is read as far as it goes: method and path often survive.
      this.take(this.conn.end(dir as 0 | 1));
      return;
    }
    this.conn.gap(dir as 0 | 1, n);
  }

  private take(recs: HttpRecord[]): void {
    for (const r of recs) {
      if (r.kind === 'request') {
        if (this.count >= MAX_HTTP_TRANSACTIONS) continue;
        this.count++;
        this.waiting.push(requestRec(this.tag, this.ctx, r));
      } else {
        const q = this.waiting.shift();
        if (q !== undefined) {
          q.status = r.status; q.contentType = r.contentType; q.server = r.server;
          q.respSec = this.ctx.sec; q.respNs = this.ctx.ns;
          this.ctx.http(q);
        } else if (this.count < MAX_HTTP_TRANSACTIONS) {
          // A response whose request the capture does not hold.
          this.count++;
          this.ctx.http({
            tag: this.tag, sec: this.ctx.sec, ns: this.ctx.ns, method: null, host: null, port: -1, path: null, userAgent: null,
            version: r.version, status: r.status, contentType: r.contentType, server: r.server,
            respSec: this.ctx.sec, respNs: this.ctx.ns,
          });
        }
      }
    }
  }

  /** The flow ended: heads cut off are read as far as they go; requests without a response are written. */
  end(): void {
    this.take(this.conn.end(0));
    this.take(this.conn.end(1));
    for (const q of this.waiting) this.ctx.http(q);
    this.waiting.length = 0;
    this.ctx.noteAll(this.conn.streams[0].anomalies, true);
    this.ctx.noteAll(this.conn.streams[1].anomalies, true);
  }
}

function requestRec(tag: number, ctx: InspectContext, r: HttpRequestRecord): HttpRec {
  return {
    tag, sec: ctx.sec, ns: ctx.ns, method: r.method, host: r.host, port: r.port ?? -1, path: r.path, userAgent: r.userAgent,
    version: r.version, status: -1, contentType: null, server: null, respSec: NaN, respNs: 0,
  };
}
