import { move, transferableSymbol, valueSymbol } from 'piscina';
import { processRange, type RangeResult, type RangeTask } from './range-task.js';

/** Piscina worker: one range in, its flow parts out; the batch buffers move back without a copy. */
export default function run(task: RangeTask): unknown {
  const result: RangeResult = processRange(task);
  // Nothing of the result points into the range's buffer: it goes back to the reader for reuse.
  result.rangeBuffer = task.buffer;
  const wrapped = {
    get [transferableSymbol]() { return [...result.batches.map((b) => b.buffer), task.buffer]; },
    get [valueSymbol]() { return result; },
  };
  return move(wrapped as never);
}
