/**
 * Pairs the DNS messages of one flow into transactions: a response goes with the latest copy of
 * the query that has the same id, name and type and came before it; the RTT is measured from
 * that copy. Responses without a query and queries without a response are transactions too.
 */

/** What pairing reads of a message. */
export interface DnsMsgKey {
  sec: number;
  ns: number;
  response: boolean;
  id: number;
  qname: string | null;
  qtype: number;
}

export interface DnsTransaction<M extends DnsMsgKey = DnsMsgKey> {
  query: M | null;
  response: M | null;
  /** Copies of the query seen (retransmissions). */
  queries: number;
  /** Time of the latest query copy before the response, for the RTT. */
  lastQuerySec: number;
  lastQueryNs: number;
}

const keyOf = (m: DnsMsgKey): string => `${m.id}|${m.qname ?? ''}|${m.qtype}`;

function before(aSec: number, aNs: number, bSec: number, bNs: number): boolean {
  return aSec < bSec || (aSec === bSec && aNs <= bNs);
}

export function pairDns<M extends DnsMsgKey>(msgs: M[]): DnsTransaction<M>[] {
  if (msgs.length === 2) {
    // The common flow: a query and its response. Same result as the general path below, without its sort, map and key text.
    let a = msgs[0], b = msgs[1];
    if (b.sec < a.sec || (b.sec === a.sec && b.ns < a.ns)) { a = msgs[1]; b = msgs[0]; }
    if (!a.response && b.response && a.id === b.id && a.qname === b.qname && a.qtype === b.qtype) {
      return [{ query: a, response: b, queries: 1, lastQuerySec: a.sec, lastQueryNs: a.ns }];
    }
  }
  const sorted = msgs.length > 1 ? [...msgs].sort((a, b) => a.sec - b.sec || a.ns - b.ns) : msgs;
  if (sorted.length === 1) {
    const m = sorted[0];
    return [m.response
      ? { query: null, response: m, queries: 0, lastQuerySec: NaN, lastQueryNs: 0 }
      : { query: m, response: null, queries: 1, lastQuerySec: m.sec, lastQueryNs: m.ns }];
  }
  const open = new Map<string, DnsTransaction<M>>();
  const out: DnsTransaction<M>[] = [];
  for (const m of sorted) {
    const k = keyOf(m);
    if (!m.response) {
      const t = open.get(k);
      if (t !== undefined) { t.queries++; t.lastQuerySec = m.sec; t.lastQueryNs = m.ns; continue; }
      const n: DnsTransaction<M> = { query: m, response: null, queries: 1, lastQuerySec: m.sec, lastQueryNs: m.ns };
      open.set(k, n);
      out.push(n);
      continue;
    }
    const t = open.get(k);
    if (t !== undefined && before(t.lastQuerySec, t.lastQueryNs, m.sec, m.ns)) {
      t.response = m;
      open.delete(k);
    } else {
      out.push({ query: null, response: m, queries: 0, lastQuerySec: NaN, lastQueryNs: 0 });
    }
  }
  return out;
}
