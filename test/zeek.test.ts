import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { CORPUS, corpusPath, readZeekLog } from './helpers/corpus.js';
import { ingestAll, rows } from './helpers/ingest.js';

/**
 * Zeek's conn.log baselines: conn_state, history, and packets and IP bytes each way, flow by
 * flow. Where Zeek did not know the transport (unknown_transport, ports 0), our flows of that
 * address pair and protocol are summed first.
 */
const logs = readdirSync(CORPUS).filter((f) => /\.zeek-conn\.log(\.cut)?$/.test(f));
const PROTO: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

interface Tally { flows: number; matched: number }
const total: Tally = { flows: 0, matched: 0 };

describe('zeek conn.log baselines', () => {
  for (const log of logs) {
    const capture = log.replace(/\.zeek-conn\.log(\.cut)?$/, '');
    it(`${capture} (${log.endsWith('.cut') ? 'cut' : 'full'})`, async () => {
      const zeek = readZeekLog(corpusPath(log));
      expect(zeek.length).toBeGreaterThan(0);
      const { sink } = await ingestAll([corpusPath(capture)]);
      try {
        const ours = await rows(sink, `SELECT proto, orig_addr, orig_port, resp_addr, resp_port, orig_pkts, orig_ip_bytes,
          resp_pkts, resp_ip_bytes, conn_state, coalesce(history, '-') AS history, vlan_outer, vlan_inner FROM flows ORDER BY first_ts`);
        const cols = Object.keys(zeek[0]);
        for (const z of zeek) {
          total.flows++;
          let mine: Record<string, unknown>[];
          if ('id.orig_h' in z) {
            const unknown = z.proto === 'unknown_transport';
            const proto = unknown ? Number(z.ip_proto) : PROTO[z.proto];
            mine = ours.filter((f) => f.proto === proto && f.orig_addr === z['id.orig_h'] && f.resp_addr === z['id.resp_h'] &&
              (unknown || (f.orig_port === Number(z['id.orig_p']) && f.resp_port === Number(z['id.resp_p']))));
            if (unknown && mine.length > 1) {
              const sum = (k: string) => mine.reduce((s, f) => s + Number(f[k]), 0);
              mine = [{ ...mine[0], orig_pkts: sum('orig_pkts'), orig_ip_bytes: sum('orig_ip_bytes'), resp_pkts: sum('resp_pkts'), resp_ip_bytes: sum('resp_ip_bytes') }];
            }
          } else {
            // A .cut log without the 5-tuple: the captures it comes with hold a single flow.
            mine = ours;
          }
          expect(mine.length, `flow for ${JSON.stringify(z)}`).toBe(1);
          const f = mine[0];
          const want: Record<string, unknown> = {}, got: Record<string, unknown> = {};
          const check = (zk: string, ok: string, conv: (v: string) => unknown = (v) => v) => {
            if (cols.includes(zk)) { want[zk] = conv(z[zk]); got[zk] = f[ok]; }
          };
          check('conn_state', 'conn_state');
          check('history', 'history');
          check('orig_pkts', 'orig_pkts', Number);
          check('orig_ip_bytes', 'orig_ip_bytes', Number);
          check('resp_pkts', 'resp_pkts', Number);
          check('resp_ip_bytes', 'resp_ip_bytes', Number);
          check('vlan', 'vlan_outer', (v) => (v === '-' ? null : Number(v)));
          check('inner_vlan', 'vlan_inner', (v) => (v === '-' ? null : Number(v)));
          expect(Object.keys(want).length).toBeGreaterThan(0);
          expect(got).toEqual(want);
          total.matched++;
        }
      } finally {
        sink.close();
      }
    });
  }

  it('matches on at least 99% of Zeek\'s flows overall', () => {
    expect(total.flows).toBeGreaterThanOrEqual(9);
    expect(total.matched / total.flows).toBeGreaterThanOrEqual(0.99);
  });
});
