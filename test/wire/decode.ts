import { ANOMALY_NAMES, AnomalyCounters } from '../../src/wire/anomaly.js';
import { decodeLink } from '../../src/wire/link.js';
import { Decoded } from '../../src/wire/packet.js';
import { addrText } from '../helpers/bytes.js';

export const LT = {
  NULL: 0, ETHERNET: 1, PPP: 9, RAW_12: 12, RAW_14: 14, PPP_HDLC: 50, RAW: 101, LOOP: 108,
  LINUX_SLL: 113, IPV4: 228, IPV6: 229, NFLOG: 239, LINUX_SLL2: 276,
} as const;

/** Filler around the frame in the buffer: decoders must stay inside [off, off + caplen). */
const PRE = 13, POST = 32, FILL = 0xa5;

export interface Result {
  p: Decoded;
  /** Anomaly name -> count, only those that were counted. */
  weird: Record<string, number>;
  src: string;
  dst: string;
  tunnelSrc: string;
  tunnelDst: string;
}

/**
 * Decodes one frame the way the processor does: the frame sits at a non-zero offset in a
 * bigger buffer, `caplen` bytes of it captured (default all), `wireLen` on the wire.
 */
export function decode(linktype: number, frame: ArrayLike<number>, o: { caplen?: number; wireLen?: number } = {}): Result {
  const caplen = o.caplen ?? frame.length;
  const buf = new Uint8Array(PRE + caplen + POST).fill(FILL);
  buf.set(Array.from(frame).slice(0, caplen), PRE);
  const dv = new DataView(buf.buffer);
  const anomalies = new AnomalyCounters();
  const p = new Decoded(anomalies);
  p.reset(1234, caplen, PRE + (o.wireLen ?? frame.length));
  decodeLink(p, dv, linktype, PRE, PRE + caplen);
  const weird: Record<string, number> = {};
  for (let i = 0; i < ANOMALY_NAMES.length; i++) if (anomalies.count[i] > 0) weird[ANOMALY_NAMES[i]] = anomalies.count[i];
  return { p, weird, src: addrText(p.src), dst: addrText(p.dst), tunnelSrc: addrText(p.tunnelSrc), tunnelDst: addrText(p.tunnelDst) };
}

/** The first decode of a fresh Decoded and a decode after another packet must agree (no stale fields). */
export function decodeAfter(linktype: number, before: ArrayLike<number>, frame: ArrayLike<number>): Decoded {
  const anomalies = new AnomalyCounters();
  const p = new Decoded(anomalies);
  for (const f of [before, frame]) {
    const buf = Uint8Array.from(Array.from(f));
    p.reset(0, buf.length, buf.length);
    decodeLink(p, new DataView(buf.buffer), linktype, 0, buf.length);
  }
  return p;
}
