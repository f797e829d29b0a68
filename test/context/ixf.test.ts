/**
 * IX-F member exports: every real export in ../shared/ixp of every schema version loads (with
 * its quirks reported as anomalies), files that break the schema give an error naming the JSON
 * path, and loading into DuckDB is idempotent by content.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIxf, parseIxf, IxfError, normalizeMac } from '../../src/context/ixf.js';
import { loadIxf } from '../../src/context/load.js';
import { DuckSink } from '../../src/sink/duckdb.js';
import { rows, tempDir } from '../helpers/ingest.js';

const IXP = new URL('../../../shared/ixp/', import.meta.url).pathname;

describe('IX-F member exports in ../shared/ixp', () => {
  it('IXP Manager exports of 0.6, 0.7 and 1.0 describe the same members', async () => {
    for (const v of ['0.6', '0.7', '1.0']) {
      const x = await readIxf(join(IXP, `ixpmanager-ixf-export-${v}.json`));
      expect(x.version).toBe(v);
      expect(x.members.map((m) => m.asn).sort((a, b) => a - b)).toEqual([42, 112, 1213, 25441]);
      expect(x.addresses).toHaveLength(10);
      expect(x.exchanges).toHaveLength(2);
      expect(x.macs).toEqual([]); // the lists are present and empty
      // The member addresses lie outside the declared peering LANs: reported, kept.
      expect(x.anomalies.filter((a) => a.kind === 'ixf_address_outside_vlan').length).toBe(10);
      expect(x.addresses.some((a) => a.address === '2001:db8:1::10')).toBe(true);
    }
  });

  it('the real BCIX export (0.6) loads all 81 members and 182 addresses; its missing ixf_id is an anomaly', async () => {
    const x = await readIxf(join(IXP, 'arouteserver-ixf-bcix-0.6.json'));
    expect(x.members).toHaveLength(81);
    expect(x.addresses).toHaveLength(182);
    const google = x.addresses.filter((a) => a.asn === 15169).map((a) => a.address).sort();
    expect(google).toEqual(['193.178.185.100', '2001:7f8:19:1::3b41:1']);
    expect(x.anomalies.map((a) => a.kind)).toEqual(['ixf_missing_ixf_id']);
  });

  it('reads the singular mac_address lists and normalizes MACs', async () => {
    const x = await readIxf(join(IXP, 'arouteserver-ixf-euroix-example-0.6.json'));
    expect(x.macs).toEqual([{ mac: '00:0a:95:9d:68:16', asn: 2906 }]);
    expect(normalizeMac('00-0A-95-9D-68-16')).toBe('00:0a:95:9d:68:16');
    expect(normalizeMac('000a.959d.6816')).toBe('00:0a:95:9d:68:16');
    expect(normalizeMac('00:0a:95:9d:68')).toBeNull();
  });

  it('PeeringDB test exports: invalid and duplicate addresses and unknown exchanges are anomalies, the rest loads', async () => {
    const x = await readIxf(join(IXP, 'peeringdb-ixf-member-dupe-ip-1.0.json'));
    const bad = x.anomalies.filter((a) => a.kind === 'ixf_bad_address').map((a) => a.value);
    expect(bad).toContain('195.69.147.300');
    expect(x.anomalies.some((a) => a.kind === 'ixf_duplicate_address')).toBe(true);
    expect(x.anomalies.some((a) => a.kind === 'ixf_unknown_ixp_id' && a.path.endsWith('/ixp_id'))).toBe(true);
    expect(x.addresses.length).toBeGreaterThan(0);
    for (const a of x.addresses) expect(a.address).not.toMatch(/300|error/);
  });

  it('a file that breaks the schema is an error naming the JSON path', async () => {
    await expect(readIxf(join(IXP, 'peeringdb-ixf-members-0.6.json'))).rejects.toThrow(/at \/: missing "ixp_list"/);
    const base = { version: '1.0', timestamp: 't', ixp_list: [{ ixp_id: 1, ixf_id: 1, shortname: 'X' }], member_list: [] as unknown[] };
    const err = (doc: unknown): string => { try { parseIxf('f.json', doc); return 'no error'; } catch (e) { expect(e).toBeInstanceOf(IxfError); return (e as Error).message; } };
    expect(err({ ...base, member_list: [{ asnum: 'AS1', connection_list: [] }] })).toBe('f.json: not an IX-F member export: at /member_list/0/asnum: must be integer');
    expect(err({ ...base, member_list: [{ asnum: 1, connection_list: [{ state: 'active' }] }] })).toMatch(/at \/member_list\/0\/connection_list\/0: missing "ixp_id"/);
    expect(err({ ...base, member_list: [{ asnum: 1, member_type: 'routeserver', connection_list: [] }] })).toMatch(/at \/member_list\/0\/member_type: must be equal to one of the allowed values/);
    expect(err({ ...base, version: '0.5' })).toMatch(/at \/version: unsupported version "0.5"/);
    expect(err([1, 2])).toMatch(/the top level is not an object/);
    // 0.6 still allows the routeserver member type.
    expect(err({ ...base, version: '0.6', member_list: [{ asnum: 1, member_type: 'routeserver', connection_list: [] }] })).toBe('no error');
  });

  it('not JSON at all', async () => {
    const dir = tempDir();
    const p = join(dir, 'x.json');
    writeFileSync(p, '{"version": "1.0", ');
    await expect(readIxf(p)).rejects.toThrow(/x.json: not an IX-F member export: at \/: not JSON/);
  });
});

describe('loading into DuckDB', () => {
  it('writes members, addresses, MACs and anomalies; the same file again is skipped, --replace replaces', async () => {
    const db = join(tempDir(), 'ctx.duckdb');
    const sink = await DuckSink.open(db);
    try {
      const a = await loadIxf(sink, join(IXP, 'arouteserver-ixf-euroix-example-0.6.json'), false);
      expect(a.action).toBe('loaded');
      const [m] = await rows(sink, "SELECT asn, ipv4, ipv6, macs FROM members");
      expect(m).toEqual({ asn: 2906, ipv4: ['195.69.146.250', '195.69.147.250'], ipv6: ['2001:7f8:1::a500:2906:2', '2001:7f8:1::a500:2906:1'], macs: ['00:0a:95:9d:68:16'] });
      expect((await rows(sink, 'SELECT mac, asn, source FROM member_macs'))).toEqual([{ mac: '00:0a:95:9d:68:16', asn: 2906, source: 'ixf' }]);
      const again = await loadIxf(sink, join(IXP, 'arouteserver-ixf-euroix-example-0.6.json'), false);
      expect(again.action).toBe('skipped');
      const r = await loadIxf(sink, join(IXP, 'arouteserver-ixf-euroix-example-0.6.json'), true);
      expect(r.action).toBe('replaced');
      const [c] = await rows(sink, 'SELECT (SELECT count(*) FROM members) AS m, (SELECT count(*) FROM member_addrs) AS a, (SELECT count(*) FROM context_anomalies) AS x');
      expect(c).toEqual({ m: 1, a: 4, x: 2 });
      await expect(loadIxf(sink, join(IXP, 'peeringdb-ixf-members-0.6.json'), false)).rejects.toThrow(IxfError);
      const [n] = await rows(sink, 'SELECT count(*) AS n FROM context_sources');
      expect(n.n).toBe(1); // the failed file left nothing
    } finally { sink.close(); }
  });
});
