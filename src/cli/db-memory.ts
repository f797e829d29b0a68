import { InvalidArgumentError } from 'commander';

/** DuckDB's buffer pool while writing captures: enough for the appenders, small enough that memory stays flat. */
export const DEFAULT_DB_MEMORY = '256MB';

/** A DuckDB memory size such as 256MB, 2GB or 1G (DuckDB's units: K/M/G/T and KB.. are powers of 1000, KiB.. of 1024). */
export function sizeArg(v: string): string {
  if (!/^\d+(\.\d+)?\s*(B|K|M|G|T|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v)) throw new InvalidArgumentError(`expected a size such as 256MB or 2GB, got '${v}'`);
  return v;
}
