/**
 * `onpath context load`: member exports, prefix-to-AS tables and MRT dumps into the context
 * tables, one transaction per file. A file is known by its SHA-256: loading the same content again
 * is skipped unless `replace`, which drops the rows it loaded before. Bad values are anomaly rows
 * (context_anomalies); a file that cannot be read at all is an error naming it, and loads nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { DuckSink } from '../sink/duckdb.js';
import { readIxf } from './ixf.js';
import { readPfx2as } from './pfx2as.js';
import { readMrt } from './mrt.js';
import { ipv4Text, ipv6Text } from '../wire/addr-text.js';
import { contextColumns, CONTEXT_TABLES } from './schema.js';

export type ContextKind = 'ixf' | 'pfx2as' | 'mrt';

export interface LoadSummary {
  kind: ContextKind;
  path: string;
  sourceId: number | null;
  action: 'loaded' | 'skipped' | 'replaced';
  records: number;
  anomalies: number;
  /** Set when the file stopped early (the rows before the fault are loaded). */
  error: string | null;
  detail: string;
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Bulk rows go to DuckDB as JSON lines, this many at a time. */
const BATCH = 50000;

export class ContextWriter {
  private lines = new Map<string, string[]>();
  records = 0;
  anomalies = 0;

  constructor(private readonly sink: DuckSink, readonly sourceId: number) {}

  /** Queues a row (flushed by flush(), in batches). */
  row(table: (typeof CONTEXT_TABLES)[number], obj: Record<string, unknown>): void {
    let l = this.lines.get(table);
    if (!l) { l = []; this.lines.set(table, l); }
    obj.source_id = this.sourceId;
    l.push(JSON.stringify(obj));
    if (table !== 'context_anomalies') this.records++;
  }

  /** Writes what is queued once a table holds a batch (callers that can wait do, to bound memory). */
  async maybeFlush(): Promise<void> {
    for (const [t, l] of this.lines) if (l.length >= BATCH) await this.flushTable(t as (typeof CONTEXT_TABLES)[number]);
  }

  anomaly(kind: string, location: string, value: string): void {
    this.anomalies++;
    this.row('context_anomalies', { kind, location, value });
  }

  private async flushTable(table: (typeof CONTEXT_TABLES)[number]): Promise<void> {
    const l = this.lines.get(table);
    if (!l || l.length === 0) return;
    this.lines.set(table, []);
    for (let i = 0; i < l.length; i += BATCH) await this.sink.insertLines(table, contextColumns(table), l.slice(i, i + BATCH));
  }

  async flush(): Promise<void> {
    for (const t of [...this.lines.keys()]) await this.flushTable(t as (typeof CONTEXT_TABLES)[number]);
  }
}

/**
 * Runs `fill` for one file inside a transaction, with its context_sources row. Returns the summary;
 * a thrown error rolls the file back entirely (nothing of it is loaded) and is rethrown.
 */
export async function loadSource(
  sink: DuckSink, kind: ContextKind, path: string, replace: boolean,
  fill: (w: ContextWriter) => Promise<{ version: string | null; error: string | null; detail: string }>,
): Promise<LoadSummary> {
  const sha = await fileSha256(path);
  const old = (await sink.query(`SELECT source_id FROM context_sources WHERE kind = '${kind}' AND sha256 = '${sha}' ORDER BY source_id DESC LIMIT 1`)).rows;
  const oldId = old.length > 0 ? Number(old[0][0]) : null;
  if (oldId !== null && !replace) {
    return { kind, path, sourceId: oldId, action: 'skipped', records: 0, anomalies: 0, error: null, detail: 'same content already loaded (use --replace to load it again)' };
  }
  await sink.run('BEGIN TRANSACTION');
  try {
    const id = Number((await sink.query('SELECT coalesce(max(source_id), 0) + 1 FROM context_sources')).rows[0][0]);
    if (oldId !== null) {
      for (const t of CONTEXT_TABLES) if (t !== 'addr_origins') await sink.run(`DELETE FROM ${t} WHERE source_id = ${oldId}`);
    }
    const w = new ContextWriter(sink, id);
    const r = await fill(w);
    await w.flush();
    await sink.insertLines('context_sources', contextColumns('context_sources'), [JSON.stringify({
      source_id: id, kind, path, sha256: sha, version: r.version, records: w.records, anomalies: w.anomalies, error: r.error,
      loaded_at: new Date().toISOString(),
    })]);
    await sink.run('COMMIT');
    return { kind, path, sourceId: id, action: oldId !== null ? 'replaced' : 'loaded', records: w.records, anomalies: w.anomalies, error: r.error, detail: r.detail };
  } catch (e) {
    await sink.run('ROLLBACK').catch(() => {});
    throw e;
  }
}

export async function loadIxf(sink: DuckSink, path: string, replace: boolean): Promise<LoadSummary> {
  const x = await readIxf(path); // a schema error throws before anything is written
  return loadSource(sink, 'ixf', path, replace, async (w) => {
    for (const m of x.members) {
      w.row('members', {
        asn: m.asn, name: m.name, member_type: m.memberType, url: m.url, peering_policy: m.peeringPolicy,
        connections: m.connections, vlans: m.vlans, ipv4: m.ipv4, ipv6: m.ipv6, macs: m.macs,
      });
    }
    for (const a of x.addresses) {
      w.row('member_addrs', {
        address: a.address, asn: a.asn, ixp_id: a.ixpId, vlan_id: a.vlanId, family: a.family,
        routeserver: a.routeserver, as_macro: a.asMacro, max_prefix: a.maxPrefix,
      });
    }
    for (const m of x.macs) w.row('ixf_macs', { mac: m.mac, asn: m.asn });
    for (const a of x.anomalies) w.anomaly(a.kind, a.path, a.value);
    return {
      version: x.version, error: null,
      detail: `IX-F ${x.version}: ${x.members.length} members, ${x.addresses.length} addresses, ${x.macs.length} MACs, ${x.exchanges.length} exchanges`,
    };
  });
}

/** The prefix as text with any bits past its length cleared. */
export function prefixText(family: 4 | 6, words: ArrayLike<number>, len: number): string {
  if (family === 4) {
    const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return `${ipv4Text((words[0]! & m) >>> 0)}/${len}`;
  }
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const take = Math.max(0, Math.min(32, len - 32 * k));
    const m = take === 0 ? 0 : take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    w[k] = (words[k]! & m) >>> 0;
  }
  return `${ipv6Text(w, 0)}/${len}`;
}

export async function loadPfx2as(sink: DuckSink, path: string, replace: boolean): Promise<LoadSummary> {
  return loadSource(sink, 'pfx2as', path, replace, async (w) => {
    let v4 = 0, v6 = 0, lastLine = 0;
    const read = readPfx2as(path, (e) => {
      if (e.family === 4) v4++; else v6++;
      lastLine = e.line;
      const asns: number[] = [];
      for (const set of e.origins) for (const a of set) if (!asns.includes(a)) asns.push(a);
      w.row('prefixes', {
        prefix: prefixText(e.family, e.words, e.length), length: e.length, family: e.family, origin_asns: asns,
        origin_text: e.origins.map((set) => set.join(',')).join('_'), source: 'pfx2as', time: null,
      });
    }, { maxAnomalies: 100000 });
    let s: Awaited<typeof read>;
    try {
      s = await read;
    } catch (e) {
      // A stream that breaks (a gzip file cut short): the lines read before are kept, as for MRT.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw e;
      return {
        version: null, error: `${path}: after line ${lastLine}: ${(e as Error).message} (the ${v4 + v6} prefixes before it are kept)`,
        detail: `pfx2as, cut short: ${v4} IPv4 and ${v6} IPv6 prefixes`,
      };
    }
    for (const a of s.anomalies) w.anomaly(`pfx2as_${a.kind.replaceAll('-', '_')}`, `line ${a.line}`, a.text);
    if (s.anomalyCount > s.anomalies.length) w.anomaly('pfx2as_more_anomalies', '', `${s.anomalyCount - s.anomalies.length} more not listed`);
    return { version: s.format, error: null, detail: `${s.format ?? 'empty'}${s.gzip ? ' (gzip)' : ''}: ${s.v4} IPv4 and ${s.v6} IPv6 prefixes` };
  });
}

/**
 * MRT: every RIB entry, announcement and withdrawal is an as_paths row (kind rib / announce /
 * withdraw, with the peer and time); each prefix also becomes a prefixes row with the origin ASes
 * seen for it (the last AS of each path). A record cut short stops the file: what came before is
 * loaded and the error is reported.
 */
export async function loadMrt(sink: DuckSink, path: string, replace: boolean): Promise<LoadSummary> {
  return loadSource(sink, 'mrt', path, replace, async (w) => {
    const origins = new Map<string, { family: 4 | 6; length: number; asns: number[]; time: number }>();
    const iso = (t: number): string => new Date(t * 1000).toISOString();
    // Entries made from one record share its anomaly list: it is noted once.
    let noted: string[] | null = null;
    const note = (list: string[], where: string, value: string): void => {
      if (list.length === 0 || list === noted) return;
      noted = list;
      for (const a of list) w.anomaly(a, where, value);
    };
    const s = await readMrt(path, (e) => {
      if (e.kind === 'rib' || e.kind === 'announce') {
        w.row('as_paths', {
          prefix: e.prefix, peer_ip: e.peerIp, peer_as: e.peerAs, path: e.asPath, path_text: e.asPathText,
          origin_as: e.originAs, next_hop: e.nextHop, kind: e.kind, time: iso(e.time),
        });
        let o = origins.get(e.prefix);
        if (!o) {
          const slash = e.prefix.lastIndexOf('/');
          o = { family: e.prefix.includes(':') ? 6 : 4, length: Number(e.prefix.slice(slash + 1)), asns: [], time: e.time };
          origins.set(e.prefix, o);
        }
        if (e.originAs !== null && !o.asns.includes(e.originAs)) o.asns.push(e.originAs);
        note(e.anomalies, `byte ${e.offset}`, e.prefix);
        return w.maybeFlush();
      } else if (e.kind === 'withdraw') {
        w.row('as_paths', {
          prefix: e.prefix, peer_ip: e.peerIp, peer_as: e.peerAs, path: [], path_text: '', origin_as: null, next_hop: null,
          kind: 'withdraw', time: iso(e.time),
        });
        note(e.anomalies, `byte ${e.offset}`, e.prefix);
      }
    });
    for (const [prefix, o] of origins) {
      w.row('prefixes', {
        prefix, length: o.length, family: o.family, origin_asns: o.asns, origin_text: o.asns.join('_'), source: 'mrt', time: iso(o.time),
      });
    }
    const kinds = Object.entries(s.entries).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
    return {
      version: s.compression, error: s.error, detail: `MRT (${s.compression}): ${s.records} records; ${kinds}; ${origins.size} prefixes`,
    };
  });
}
