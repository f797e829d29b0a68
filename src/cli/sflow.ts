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
import { SflowCapture, SflowCollector } from '../pipeline/sflow-rows.js';
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
  const rows = new SflowCapture(captureId);
  let collector = new SflowCollector();
  let datagrams = 0, bytes = 0, flows = 0, counters = 0;
  const wall0 = BigInt(Date.now()) * 1000000n, mono0 = process.hrtime.bigint();
  let firstNs: bigint | null = null, lastNs: bigint | null = null;
  const path = `sflow://${o.listen}`;

  const record = (status: CaptureRecord['status']): CaptureRecord => ({
    path, size: bytes, sha256: '', format: 'sflow', linktypes: [], packets: datagrams, bytes,
    firstSec: firstNs === null ? null : Number(firstNs / 1000000000n), firstNs: firstNs === null ? 0 : Number(firstNs % 1000000000n),
    lastSec: lastNs === null ? null : Number(lastNs / 1000000000n), lastNs: lastNs === null ? 0 : Number(lastNs % 1000000000n),
    snaplen: null, status, error: null, errorOffset: null,
    isb: { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null }, flows: 0, toolVersion: VERSION, files: [],
  });

  const takeRows = async (withAgents: boolean): Promise<void> => {
    const r = collector.rows;
    collector = new SflowCollector();
    flows += r.flows.length; counters += r.counters.length;
    rows.add(r);
    const t = rows.take(withAgents);
    await sink.appendSflow(captureId, t.flows, t.counters, t.agents);
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
      await sink.checkpointCapture(captureId, record('running'), rows.anomalyRecords(), []);
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
  await sink.finishCapture(captureId, record('complete'), rows.anomalyRecords(), [], {});
  sink.close();
  if (!o.quiet) process.stderr.write(`onpath sflow: ${datagrams} datagrams, ${flows} flow samples, ${counters} counter samples, ${rows.agentCount} agents, ${rows.lost} datagrams lost\n`);
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
