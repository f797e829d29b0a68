/** The certs rows as DuckDB values (few; appended directly). */
import { DuckDBListValue, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import type { CertRec } from '../inspect/records.js';

function tsSec(s: number | null): DuckDBTimestampValue | null {
  return s === null || !Number.isFinite(s) ? null : new DuckDBTimestampValue(BigInt(Math.trunc(s)) * 1000000n);
}

const list = (xs: readonly DuckDBValue[]): DuckDBListValue => new DuckDBListValue(xs);

export function certRow(c: CertRec, captureId: number): DuckDBValue[] {
  return [
    c.sha256, c.subject, c.issuer, c.commonName, list(c.sanDns), list(c.sanIp),
    tsSec(c.notBeforeSec), tsSec(c.notAfterSec), c.keyType, c.keyBits, c.curve, c.serial, c.ca, c.selfIssued, captureId,
  ];
}
