import { readCapture, type ReadResult } from '../io/capture-reader.js';
import type { PacketSink } from '../io/packet-sink.js';
import { LINKTYPE_NAMES } from '../wire/link.js';

export interface CaptureInfo {
  path: string;
  format: string;
  linktypes: string[];
  packets: number;
  bytes: number;
  capturedBytes: number;
  cutBySnaplen: number;
  first: string | null;
  last: string | null;
  durationSec: number | null;
  snaplen: number | null;
  size: number;
  sha256: string;
  status: ReadResult['status'];
  error: string | null;
  errorOffset: number | null;
  isb: ReadResult['isb'];
}

class Counter implements PacketSink {
  packets = 0; bytes = 0; captured = 0; cut = 0;
  firstSec = Infinity; firstNs = 0; lastSec = -Infinity; lastNs = 0;
  packet(_b: Uint8Array, _d: DataView, _o: number, caplen: number, wire: number, sec: number, ns: number): void {
    this.packets++; this.bytes += wire; this.captured += caplen;
    if (caplen < wire) this.cut++;
    if (sec < this.firstSec || (sec === this.firstSec && ns < this.firstNs)) { this.firstSec = sec; this.firstNs = ns; }
    if (sec > this.lastSec || (sec === this.lastSec && ns > this.lastNs)) { this.lastSec = sec; this.lastNs = ns; }
  }
  anomaly(): void { /* info reports the container only */ }
}

/** ISO 8601 with nanoseconds, from whole seconds and ns. */
export function isoNs(sec: number, ns: number): string {
  const d = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${d}.${String(ns).padStart(9, '0')}Z`;
}

/** Like capinfos: what the container says, without a database. */
export async function captureInfo(path: string): Promise<CaptureInfo> {
  const c = new Counter();
  const r = await readCapture(path, c);
  const has = c.packets > 0;
  return {
    path, format: r.format,
    linktypes: r.linktypes.map((t) => `${LINKTYPE_NAMES[t] ?? 'unknown'}(${t})`),
    packets: c.packets, bytes: c.bytes, capturedBytes: c.captured, cutBySnaplen: c.cut,
    first: has ? isoNs(c.firstSec, c.firstNs) : null,
    last: has ? isoNs(c.lastSec, c.lastNs) : null,
    durationSec: has ? (c.lastSec - c.firstSec) + (c.lastNs - c.firstNs) / 1e9 : null,
    snaplen: r.snaplen, size: r.size, sha256: r.sha256,
    status: r.status, error: r.error, errorOffset: r.errorOffset, isb: r.isb,
  };
}
