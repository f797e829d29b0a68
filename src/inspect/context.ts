/** What every inspection session of one range shares: the output, the anomaly counts and the packet being read. */
import { describeCert } from './x509.js';
import type { DnsMsgRec, HttpRec, QuicRec, TlsRec } from './records.js';
import { emptyInspectRows, packDnsRow, packHttpRow, packQuicRow, packTlsRow, type InspectRows } from './row-json.js';
import { createHash } from 'node:crypto';

/** Anomaly kinds that only say the bytes ended early: expected when the capture cut them. */
const CUT_KINDS: ReadonlySet<string> = new Set([
  'tls_record_truncated', 'tls_handshake_truncated', 'tls_input_truncated', 'tls_hello_truncated', 'tls_extensions_truncated',
  'tls_extension_truncated', 'dns_truncated', 'dns_rdata_truncated', 'dns_name_truncated', 'http_gap',
  'quic_length_exceeds_datagram', 'quic_truncated_header', 'http_head_incomplete',
  'bgp_gap', 'bgp_message_cut', 'bgp_resync',
]);

/** Certificates remembered per range (so a chain seen on many flows is described once). */
const MAX_CERT_CACHE = 4096;

export class InspectContext {
  /** What the range learned, as row text (src/inspect/row-json.ts). */
  readonly out: InspectRows = emptyInspectRows();
  private readonly anomalyIndex = new Map<string, number>();
  private readonly certSeen = new Set<string>();
  /** The packet being inspected. */
  sec = 0;
  ns = 0;
  recordOffset = 0;

  /** A complete record becomes its row text at once. */
  tls(r: TlsRec): void { packTlsRow(this.out.tls, r); }
  quic(r: QuicRec): void { packQuicRow(this.out.quic, r); }
  dns(r: DnsMsgRec): void { packDnsRow(this.out.dns, r); }
  http(r: HttpRec): void { packHttpRow(this.out.http, r); }

  /** Counts an inspection anomaly (a malformed field), at the current packet. */
  note(kind: string, n = 1): void {
    const i = this.anomalyIndex.get(kind);
    if (i === undefined) {
      this.anomalyIndex.set(kind, this.out.anomalies.length);
      this.out.anomalies.push([kind, n, this.recordOffset]);
    } else {
      this.out.anomalies[i][1] += n;
    }
  }

  /** `cut`: the input was cut short by the capture (snaplen, lost segments), so "truncated" kinds are not malformed input. */
  noteAll(kinds: readonly string[], cut = false): void {
    for (const k of kinds) if (!cut || !CUT_KINDS.has(k)) this.note(k);
  }

  /** SHA-256 of a DER certificate; describes it into `out.certs` the first time this range sees it. */
  certificate(der: Uint8Array): string {
    const sha = createHash('sha256').update(der).digest('hex');
    if (this.certSeen.has(sha)) return sha;
    if (this.certSeen.size < MAX_CERT_CACHE) this.certSeen.add(sha);
    const info = describeCert(der);
    if (info === null) { this.note('x509_unparsable_certificate'); return sha; }
    this.out.certs.push({
      sha256: sha, subject: info.subject, issuer: info.issuer, commonName: info.commonName,
      sanDns: info.sanDns, sanIp: info.sanIp, notBeforeSec: info.notBeforeSec, notAfterSec: info.notAfterSec,
      keyType: info.keyType, keyBits: info.keyBits, curve: info.curve, serial: info.serial,
      ca: info.ca, selfIssued: info.selfIssued,
    });
    return sha;
  }
}
