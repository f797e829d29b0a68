/**
 * The decode stage as the benchmarks run it in one process: a capture's ranges, then each range
 * through processRange as a decode worker runs it (bench/stages.ts, bench/alloc.ts).
 */
import { readRanges, type Range } from '../src/io/range-reader.js';
import { processRange, type RangeResult } from '../src/pipeline/range-task.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';

/** Every range of `file`, 16 MiB each. Each keeps its own buffer: none is given back to the reader, so none is reused. */
export async function readAllRanges(file: string): Promise<Range[]> {
  const ranges: Range[] = [];
  await readRanges(file, 16 << 20, async (r) => { ranges.push(r); });
  return ranges;
}

/** Decodes the ranges with the default flow options, with or without inspection (no sFlow port). */
export function decodeRanges(ranges: readonly Range[], inspect: boolean): RangeResult[] {
  return ranges.map((r) => processRange({
    index: r.index, buffer: r.buffer, length: r.length, baseOffset: r.baseOffset, state: r.state, lookback: r.lookback,
    flow: DEFAULT_FLOW_OPTIONS, inspect, sflowPort: 0,
  }));
}
