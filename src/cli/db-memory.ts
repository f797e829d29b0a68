import { InvalidArgumentError } from 'commander';

/** DuckDB's buffer pool while writing captures: enough for the appenders, small enough that memory stays flat. */
export const DEFAULT_DB_MEMORY = '256MB';

/** Below this DuckDB cannot allocate its own buffers (one needs 32 MiB) and a tiny capture fails. */
const MIN_BYTES = 128e6;

/** A DuckDB memory size such as 256MB, 2GB or 1G (DuckDB's units: K/M/G/T and KB.. are powers of 1000, KiB.. of 1024). */
export function sizeArg(v: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*(B|K|M|G|T|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(v);
  if (m === null) throw new InvalidArgumentError(`expected a size such as 256MB or 2GB, got '${v}'`);
  const unit = m[2]!.toUpperCase();
  const power = 'BKMGT'.indexOf(unit[0]!);
  const bytes = Number(m[1]) * (unit.endsWith('IB') ? 1024 : 1000) ** (unit === 'B' ? 0 : power);
  if (bytes < MIN_BYTES) throw new InvalidArgumentError(`at least 128MB: DuckDB needs that much for its own buffers, got '${v}'`);
  return v;
}
