import { afterEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ProgressLine } from '../src/cli/progress.js';
import { DuckSink } from '../src/sink/duckdb.js';
import { ingestCapture, type Progress } from '../src/pipeline/ingest.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';
import { generateBuffer } from '../src/gen/ixp-mix.js';
import { tempDir } from './helpers/ingest.js';

const dir = tempDir('onpath-progress-');

describe('whole-job progress', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('ingest reports the file of the stream and the input bytes read, gzip included, up to the total', async () => {
    const { pcap } = generateBuffer({ packets: 6000, seed: 3, snaplen: 128 });
    const a = join(dir, 'a.pcap'), b = join(dir, 'b.pcap.gz');
    writeFileSync(a, pcap);
    const gz = gzipSync(generateBuffer({ packets: 6000, seed: 4, snaplen: 128, startTime: 1800000000 }).pcap);
    writeFileSync(b, gz);
    const seen: Progress[] = [];
    const sink = await DuckSink.open(join(dir, 'p.duckdb'));
    try {
      await ingestCapture([a, b], sink, { flow: DEFAULT_FLOW_OPTIONS, replace: false, inspect: false, rangeBytes: 65536, onProgress: (p) => seen.push({ ...p }) });
    } finally {
      sink.close();
    }
    const total = pcap.length + gz.length;
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((p) => p.total === total && p.files === 2)).toBe(true);
    expect(seen.map((p) => p.file)).toEqual([...seen.map((p) => p.file)].sort());
    expect(seen.some((p) => p.file === 0) && seen.some((p) => p.file === 1)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.done).toBeGreaterThanOrEqual(seen[i - 1]!.done);
    expect(seen.at(-1)!.done).toBe(total);
    expect(seen.find((p) => p.file === 1)!.done).toBeGreaterThan(pcap.length);
  });

  it('the line names the capture among the job\'s, the file of the stream and the share read', () => {
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    const line = new ProgressLine(true, [2, 5]);
    line.update({ path: 'b.pcap', bytes: 3 << 20, packets: 12000, flows: 900, file: 1, files: 3, done: 750, total: 1000 });
    line.done();
    expect(out[0]).toMatch(/^\r\x1b\[K\[2\/5\] file 2\/3 b\.pcap: 75%  3\.0 MiB  12\.0 k pkts  .* pkt\/s  900 flows$/);
    const quiet = new ProgressLine(false);
    quiet.update({ path: 'x', bytes: 0, packets: 0, flows: 0, file: 0, files: 1, done: 0, total: null });
    expect(out).toHaveLength(2); // the line and its erasure; a disabled line writes nothing
  });
});
