import { bytes, si } from './format.js';
import type { Progress } from '../pipeline/ingest.js';

/**
 * A one-line progress display on stderr, redrawn at most 5 times a second, only on a TTY. It covers
 * the whole job: the capture's place among the job's captures, the file within a stream of files,
 * and the share of the input read when its size is known (files that are not gzip).
 */
export class ProgressLine {
  private last = 0;
  private readonly start = Date.now();
  private shown = false;
  /**
   * `job`: this capture's place among the job's (1-based) and their count.
   */
  constructor(private readonly enabled: boolean, private readonly job: [number, number] = [1, 1]) {}

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = Math.max((now - this.start) / 1000, 1e-3);
    const where = [
      this.job[1] > 1 ? `[${this.job[0]}/${this.job[1]}] ` : '',
      p.files > 1 ? `file ${p.file + 1}/${p.files} ` : '',
    ].join('');
    const pct = p.total !== null && p.total > 0 ? `${Math.min(100, (100 * p.done) / p.total).toFixed(0)}%  ` : '';
    const line = `${where}${p.path}: ${pct}${bytes(p.bytes)}  ${si(p.packets)} pkts  ${si(p.packets / secs)} pkt/s  ${si(p.flows)} flows`;
    process.stderr.write('\r\x1b[K' + line);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
