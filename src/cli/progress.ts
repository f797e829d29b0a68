import { bytes, si } from './format.js';
import type { Progress } from '../pipeline/ingest.js';

/** A one-line progress display on stderr, redrawn at most 5 times a second, only on a TTY. */
export class ProgressLine {
  private last = 0;
  private readonly start = Date.now();
  private shown = false;
  constructor(private readonly enabled: boolean) {}

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = Math.max((now - this.start) / 1000, 1e-3);
    const line = `${p.path}: ${bytes(p.bytes)}  ${si(p.packets)} pkts  ${si(p.packets / secs)} pkt/s  ${si(p.flows)} flows`;
    process.stderr.write('\r\x1b[K' + line);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
