/**
 * DuckDB values -> JSON-friendly JS for `onpath sql`: integers as numbers when
 * exact (else decimal strings), timestamps as ISO 8601 UTC with nanoseconds,
 * blobs as lowercase hex, nested types as arrays / objects.
 */
import {
  DuckDBArrayValue, DuckDBBlobValue, DuckDBListValue, DuckDBMapValue, DuckDBStructValue,
  DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue, DuckDBTimestampValue, DuckDBUnionValue, DuckDBVariantValue, type DuckDBValue,
} from '@duckdb/node-api';
import { hexOf } from './addr.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const NS_PER_S = 1000000000n;
/** Largest |ms| a JS Date holds. */
const DATE_MAX_MS = 8.64e15;

/** 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ' for nanoseconds since the epoch; `fallback` when a Date cannot hold it. */
export function isoFromNanos(nanos: bigint, fallback: () => string): string {
  let sec = nanos / NS_PER_S;
  let ns = nanos % NS_PER_S;
  if (ns < 0n) { ns += NS_PER_S; sec -= 1n; }
  const ms = Number(sec) * 1000;
  if (!(Math.abs(ms) <= DATE_MAX_MS)) return fallback();
  const whole = new Date(ms).toISOString(); // ...SS.000Z
  return `${whole.slice(0, -4)}${ns.toString().padStart(9, '0')}Z`;
}

function bigintJson(x: bigint): number | string {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x.toString();
}

export function toJsonValue(v: DuckDBValue): JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return bigintJson(v);
  if (v instanceof DuckDBTimestampNanosecondsValue) return isoFromNanos(v.nanos, () => v.toString());
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) {
    return isoFromNanos(v.micros * 1000n, () => v.toString());
  }
  if (v instanceof DuckDBTimestampMillisecondsValue) return isoFromNanos(v.millis * 1000000n, () => v.toString());
  if (v instanceof DuckDBTimestampSecondsValue) return isoFromNanos(v.seconds * NS_PER_S, () => v.toString());
  if (v instanceof DuckDBBlobValue) return hexOf(v.bytes);
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(toJsonValue);
  if (v instanceof DuckDBStructValue) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v.entries)) out[k] = toJsonValue(x);
    return out;
  }
  if (v instanceof DuckDBMapValue) return v.entries.map((e) => ({ key: toJsonValue(e.key), value: toJsonValue(e.value) }));
  if (v instanceof DuckDBUnionValue) return { tag: v.tag, value: toJsonValue(v.value) };
  if (v instanceof DuckDBVariantValue) return toJsonValue(v.value);
  // Date, time, interval, decimal, uuid, bit, geometry: DuckDB's own text.
  return v.toString();
}
