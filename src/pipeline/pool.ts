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

/** A pool of decode workers; ranges go in with their buffer transferred, results come back moved. */
export class DecodePool {
  private pool: Piscina | null = null;
  constructor(readonly workers: number) {}

  /** Threads start on the first range sent, so a run that never needs them does not pay for them. */
  run(task: RangeTask): Promise<RangeResult> {
    this.pool ??= new Piscina({ filename: workerPath(), minThreads: this.workers, maxThreads: this.workers, idleTimeout: 60_000 });
    const transferList = task.lookback ? [task.buffer, task.lookback.buffer] : [task.buffer];
    return this.pool.run(task, { transferList }) as Promise<RangeResult>;
  }

  async close(): Promise<void> {
    if (this.pool) await this.pool.destroy();
    this.pool = null;
  }
}
