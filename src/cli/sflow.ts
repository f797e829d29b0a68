/**
 * `onpath sflow --listen HOST:PORT --db X`: an sFlow v5 collector. Datagrams are decoded as they
 * arrive (the same decoder as for sFlow inside captures) into sflow_flows, sflow_counters and
 * sflow_agents, under one `captures` row for the session (format 'sflow'). What arrived is
 * committed every few seconds; SIGINT or SIGTERM stops the socket, writes the rest and exits 0.
 * A second signal exits at once; the database then holds the last commit.
 */
import { createSocket } from 'node:dgram';
import { InvalidArgumentError, type Command } from 'commander';
import { DuckSink } from '../sink/duckdb.js';
import { SflowCollector } from '../pipeline/sflow-rows.js';
import { SflowSequence } from '../wire/sflow.js';
import type { CaptureRecord } from '../sink/records.js';
import { VERSION } from '../version.js';

interface SflowOptions { listen: string; db: string; checkpoint: number; duration?: number; quiet: boolean }

function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s);
  if (!m) throw new Error(`--listen wants HOST:PORT (or [IPv6]:PORT), got '${s}'`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

export async function runSflow(o: SflowOptions): Promise<number> {
  const { host, port } = parseListen(o.listen);
  const sink = await DuckSink.open(o.db);
  const captureId = await sink.beginCapture();
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const seq = new SflowSequence();
  const agents = new Map<string, { agent: string; sub: number; datagrams: number; lost: number; resets: number }>();
  let collector = new SflowCollector();
  let datagrams = 0, bytes = 0, flows = 0, counters = 0;
  const anomalies = new Map<string, [number, number]>();
  const anomalyRecords = (): { kind: string; count: number; firstOffset: number }[] =>
    [...anomalies].map(([kind, [count, firstOffset]]) => ({ kind, count, firstOffset }));
  const wall0 = BigInt(Date.now()) * 1000000n, mono0 = process.hrtime.bigint();
  let firstNs: bigint | null = null, lastNs: bigint | null = null;
  const path = `sflow://${o.listen}`;

  const record = (status: CaptureRecord['status']): CaptureRecord => ({
    path, size: bytes, sha256: '', format: 'sflow', linktypes: [], packets: datagrams, bytes,
    firstSec: firstNs === null ? null : Number(firstNs / 1000000000n), firstNs: firstNs === null ? 0 : Number(firstNs % 1000000000n),
    lastSec: lastNs === null ? null : Number(lastNs / 1000000000n), lastNs: lastNs === null ? 0 : Number(lastNs % 1000000000n),
    snaplen: null, status, error: null, errorOffset: null,
    isb: { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null }, flows: 0, toolVersion: VERSION,
  });

  const takeRows = async (withAgents: boolean): Promise<void> => {
    const r = collector.rows;
    collector = new SflowCollector();
    const pre = `{"capture_id":${captureId},`;
    for (let i = 0; i < r.seqs.length; i += 3) {
      const agent = r.seqs[i] as string, sub = r.seqs[i + 1] as number, s = r.seqs[i + 2] as number;
      const key = `${agent}/${sub}`;
      let e = agents.get(key);
      if (!e) { e = { agent, sub, datagrams: 0, lost: 0, resets: 0 }; agents.set(key, e); }
      const resets = seq.resets;
      e.lost += seq.see(agent, sub, s);
      e.resets += seq.resets - resets;
      e.datagrams++;
    }
    flows += r.flows.length; counters += r.counters.length;
    for (const [kind, count, first] of r.anomalies) {
      const e = anomalies.get(kind);
      if (e) e[0] += count; else anomalies.set(kind, [count, first]);
    }
    const agentLines = withAgents ? [...agents.values()].map((x) => JSON.stringify({
      capture_id: captureId, agent: x.agent, sub_agent: x.sub, datagrams: x.datagrams, lost_datagrams: x.lost, sequence_resets: x.resets,
    })) : [];
    await sink.appendSflow(captureId, r.flows.map((l) => pre + l.slice(1)), r.counters.map((l) => pre + l.slice(1)), agentLines);
  };

  sock.on('message', (msg: Buffer) => {
    const t = wall0 + (process.hrtime.bigint() - mono0);
    if (firstNs === null) firstNs = t;
    lastNs = t;
    datagrams++;
    const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    collector.datagramAt(dv, 0, msg.byteLength, Number(t / 1000000000n), Number(t % 1000000000n), bytes);
    bytes += msg.byteLength;
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => { sock.off('error', reject); resolve(); });
  });
  if (!o.quiet) process.stderr.write(`onpath sflow: listening on ${host}:${sock.address().port}, writing to ${o.db} (capture ${captureId}); Ctrl-C to stop\n`);

  let stopping = false;
  let busy: Promise<void> = Promise.resolve();
  const checkpoint = (): void => {
    busy = busy.then(async () => {
      if (stopping) return;
      await takeRows(false);
      await sink.checkpointCapture(captureId, record('running'), anomalyRecords(), []);
    });
  };
  const timer = setInterval(checkpoint, o.checkpoint * 1000);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) { process.stderr.write('onpath sflow: second signal, exiting now (the database keeps the last commit)\n'); process.exit(130); }
      stopping = true;
      resolve();
    };
    if (o.duration !== undefined) setTimeout(stop, o.duration * 1000).unref();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  clearInterval(timer);
  await new Promise<void>((r) => sock.close(() => r()));
  await busy;
  await takeRows(true);
  await sink.finishCapture(captureId, record('complete'), anomalyRecords(), [], {});
  sink.close();
  let lost = 0;
  for (const a of agents.values()) lost += a.lost;
  if (!o.quiet) process.stderr.write(`onpath sflow: ${datagrams} datagrams, ${flows} flow samples, ${counters} counter samples, ${agents.size} agents, ${lost} datagrams lost\n`);
  return 0;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of seconds, got '${v}'`);
  return n;
}

export function registerSflowCommand(program: Command, setExit: (code: number) => void): void {
  program.command('sflow')
    .description('sFlow v5 collector: datagrams into sflow_flows / sflow_counters until SIGINT')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:6343')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .option('--checkpoint <sec>', 'commit what arrived every S seconds', seconds, 2)
    .option('--duration <sec>', 'stop after S seconds', seconds)
    .option('-q, --quiet', 'print errors only', false)
    .action(async (o: SflowOptions) => setExit(await runSflow(o)));
}
