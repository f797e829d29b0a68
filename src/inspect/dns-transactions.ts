import { type DnsAnomaly, noteAnomaly } from './dns-anomaly.js';
import type { DnsMessage } from './dns-types.js';

export interface DnsTransactionsOptions {
  /** Queries waiting for a response at most; past it the oldest is dropped (default 256). */
  maxOutstanding?: number;
}

/** A response matched to its query. */
export interface DnsMatch {
  id: number;
  name: string | null;
  type: number;
  /** Response time minus the time of the latest copy of the query sent before it, in ns. */
  rttNs: number;
  /** Response time minus the time of the first copy of the query, in ns (differs from rttNs on retransmits). */
  sinceFirstNs: number;
  /** How many copies of the query were seen (1 without retransmission). */
  queries: number;
  /** Time of the first copy of the query. */
  querySec: number;
  queryNs: number;
}

/** A query with no response yet (see drain). */
export interface DnsUnanswered {
  id: number;
  name: string | null;
  type: number;
  sec: number;
  ns: number;
  queries: number;
}

interface Pending {
  id: number;
  name: string | null;
  type: number;
  firstSec: number;
  firstNs: number;
  lastSec: number;
  lastNs: number;
  queries: number;
}

const diffNs = (sec: number, ns: number, sec0: number, ns0: number): number => (sec - sec0) * 1e9 + (ns - ns0);

/**
 * Matches queries to responses within one flow by (id, question name, question type) and gives
 * the response time in ns. Timestamps are passed as whole seconds plus nanoseconds, so the
 * difference is exact for any realistic gap. The number of outstanding queries is bounded.
 * A repeated query (same key, no response yet) counts as a retransmission of the first.
 * A response without a question matches by id alone when exactly one query with that id waits.
 * Meant for unicast DNS and LLMNR; mDNS responses usually carry no question and id 0.
 */
export class DnsTransactions {
  readonly anomalies: DnsAnomaly[] = [];
  /** Queries dropped to stay within maxOutstanding. */
  evicted = 0;
  /** Responses with no waiting query. */
  unmatchedResponses = 0;
  private readonly waiting = new Map<string, Pending>();
  private readonly max: number;

  constructor(opts: DnsTransactionsOptions = {}) {
    this.max = Math.max(1, opts.maxOutstanding ?? 256);
  }

  get outstanding(): number {
    return this.waiting.size;
  }

  /** A message of the flow, either way: queries are remembered, responses matched. */
  observe(msg: DnsMessage, sec: number, ns: number): DnsMatch | null {
    if (msg.header.qr) return this.response(msg, sec, ns);
    this.query(msg, sec, ns);
    return null;
  }

  query(msg: DnsMessage, sec: number, ns: number): void {
    const q = msg.question;
    const name = q?.name ?? null, type = q?.type ?? -1;
    const key = keyOf(msg.header.id, name, type);
    const had = this.waiting.get(key);
    if (had !== undefined) {
      had.queries++;
      had.lastSec = sec;
      had.lastNs = ns;
      return;
    }
    if (this.waiting.size >= this.max) {
      const oldest = this.waiting.keys().next().value as string;
      this.waiting.delete(oldest);
      this.evicted++;
      noteAnomaly(this.anomalies, 'dns_outstanding_evicted');
    }
    this.waiting.set(key, { id: msg.header.id, name, type, firstSec: sec, firstNs: ns, lastSec: sec, lastNs: ns, queries: 1 });
  }

  response(msg: DnsMessage, sec: number, ns: number): DnsMatch | null {
    const q = msg.question;
    let key: string | null = null;
    if (q !== null) {
      key = keyOf(msg.header.id, q.name, q.type);
      if (!this.waiting.has(key)) key = null;
    } else {
      for (const [k, w] of this.waiting) {
        if (w.id !== msg.header.id) continue;
        if (key !== null) { key = null; break; } // ambiguous
        key = k;
      }
    }
    const w = key === null ? undefined : this.waiting.get(key);
    if (key === null || w === undefined) { this.unmatchedResponses++; return null; }
    this.waiting.delete(key);
    return {
      id: w.id, name: w.name, type: w.type, rttNs: diffNs(sec, ns, w.lastSec, w.lastNs), sinceFirstNs: diffNs(sec, ns, w.firstSec, w.firstNs),
      queries: w.queries, querySec: w.firstSec, queryNs: w.firstNs,
    };
  }

  /** The queries still waiting (oldest first), removed from the table: call at the end of the flow. */
  drain(): DnsUnanswered[] {
    const out: DnsUnanswered[] = [];
    for (const w of this.waiting.values()) out.push({ id: w.id, name: w.name, type: w.type, sec: w.firstSec, ns: w.firstNs, queries: w.queries });
    this.waiting.clear();
    return out;
  }
}

function keyOf(id: number, name: string | null, type: number): string {
  return `${id}|${type}|${name ?? ''}`;
}
