import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { RangeResult, RangeTask } from './range-task.js';

/** The worker script: the built file, also when this module runs from source (tests). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return here.replace(/\/src\/pipeline\/pool\.ts$/, '/dist/src/pipeline/worker.js');
  return here.replace(/pool\.js$/, 'worker.js');
}

export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Young generation of each decode worker's heap, in MB. V8's default lets it grow to about 48 MB
 * per thread; the decode loop allocates nothing and inspection's garbage dies young, so a small one
 * costs no measurable CPU and keeps peak RSS down (4 M-packet bench mix, 2 workers: about 950 MiB
 * against 1,070-1,130 MiB with the default; bench/RESULTS.md).
 */
const WORKER_YOUNG_GEN_MB = 8;

/** A pool of decode workers; ranges go in with their buffer transferred, results come back moved. */
export class DecodePool {
  private pool: Piscina | null = null;
  constructor(readonly workers: number) {}

  /** Threads start on the first range sent, so a run that never needs them does not pay for them. */
  run(task: RangeTask): Promise<RangeResult> {
    this.pool ??= new Piscina({ filename: workerPath(), minThreads: this.workers, maxThreads: this.workers, idleTimeout: 60_000,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB } });
    const transferList = task.lookback ? [task.buffer, task.lookback.buffer] : [task.buffer];
    return this.pool.run(task, { transferList }) as Promise<RangeResult>;
  }

  async close(): Promise<void> {
    if (this.pool) await this.pool.destroy();
    this.pool = null;
  }
}
