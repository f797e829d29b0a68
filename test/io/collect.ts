import type { FormatParser } from '../../src/io/format.js';
import type { PacketSink } from '../../src/io/packet-sink.js';
import { ANOMALY_NAMES } from '../../src/wire/anomaly.js';

export interface Pkt {
  data: number[];
  caplen: number;
  wire: number;
  sec: number;
  ns: number;
  linktype: number;
  offset: number;
}

/** A sink that copies every packet out (the reader's buffer is only valid during the call). */
export class Collect implements PacketSink {
  readonly pkts: Pkt[] = [];
  readonly anomalies: { kind: string; offset: number }[] = [];

  packet(buf: Uint8Array, dv: DataView, off: number, caplen: number, wire: number, sec: number, ns: number, linktype: number, offset: number): void {
    const data = Array.from(buf.subarray(off, off + caplen));
    // buf and dv must describe the same bytes.
    for (let i = 0; i < caplen; i++) if (dv.getUint8(off + i) !== data[i]) throw new Error(`dv and buf disagree at ${off + i}`);
    if (off + caplen > buf.length) throw new Error('packet runs past the buffer');
    this.pkts.push({ data, caplen, wire, sec, ns, linktype, offset });
  }

  anomaly(code: number, offset: number): void {
    this.anomalies.push({ kind: ANOMALY_NAMES[code], offset });
  }
}

/**
 * Feeds `file` to a parser in chunks ending at `cuts` (and at the end), carrying the
 * unconsumed tail into the next buffer as capture-reader does. Each chunk lives at a
 * non-zero offset of its own ArrayBuffer, like Node's pooled Buffers.
 * Returns the bytes consumed and what was left over.
 */
export function feed(parser: FormatParser, file: Uint8Array, cuts: readonly number[] = []): { consumed: number; leftover: number } {
  let carry: Uint8Array | null = null;
  let base = 0;
  let prev = 0;
  for (const end of [...cuts, file.length]) {
    const backing = new Uint8Array(end - prev + 11).fill(0xee);
    backing.set(file.subarray(prev, end), 7);
    let buf = backing.subarray(7, 7 + end - prev);
    prev = end;
    if (carry !== null) {
      const joined = new Uint8Array(carry.length + buf.length);
      joined.set(carry, 0);
      joined.set(buf, carry.length);
      buf = joined;
      carry = null;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const pos = parser.parse(buf, dv, 0, buf.length, base);
    if (pos < buf.length) carry = buf.slice(pos);
    base += pos;
  }
  return { consumed: base, leftover: carry?.length ?? 0 };
}
