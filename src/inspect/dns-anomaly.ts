/**
 * What can be wrong with a DNS message, as codes. A parse never throws: it returns what it could
 * read and lists these names on the message (each name once). `DNS_ANOMALY[name]` is a stable
 * small integer for callers that count kinds in arrays, in the way of src/wire/anomaly.ts.
 */
export const DNS_ANOMALY_NAMES = [
  /** Fewer than 12 bytes: no header (parseDns returns null; DnsTcpBuffer counts it). */
  'dns_short_header',
  /** The bytes end before the records the header counts promise (snaplen, lost fragment, cut TCP). */
  'dns_truncated',
  /** A record's rdlength runs past the end of the message. */
  'dns_rdata_truncated',
  /** Bytes left over after every counted record. */
  'dns_trailing_bytes',
  /** A name's labels run past the end of the message (or of the rdata holding it). */
  'dns_name_truncated',
  /** A name longer than 255 octets in wire form. */
  'dns_name_too_long',
  /** A label type other than plain (00) or pointer (11): 01 and 10 are not in use. */
  'dns_bad_label_type',
  /** A compression pointer at or past the end of the message. */
  'dns_pointer_out_of_bounds',
  /** A compression pointer to a later offset (RFC 1035 4.1.4: pointers go to a prior occurrence). */
  'dns_pointer_forward',
  /** A compression pointer back into the name it belongs to (itself, or a label already read): a loop. */
  'dns_pointer_loop',
  /** More pointer hops than any legal name can need. */
  'dns_too_many_pointers',
  /** A name inside rdata continues past the rdata length. */
  'dns_rdata_overrun',
  /** An rdata length that does not fit its type (A not 4 bytes, AAAA not 16, MX shorter than 3, ...). */
  'dns_bad_rdata_length',
  /** Bytes left inside rdata after its fields were read. */
  'dns_rdata_trailing_bytes',
  /** More records than the parser keeps (the rest are counted but not decoded). */
  'dns_too_many_records',
  /** More than one OPT record (RFC 6891 6.1.1). */
  'dns_multiple_opt',
  /** An OPT record outside the additional section, or with a name other than the root. */
  'dns_opt_misplaced',
  /** An EDNS option running past the end of the OPT rdata. */
  'dns_opt_option_truncated',
  /** SVCB/HTTPS SvcParams not in strictly increasing key order (RFC 9460 2.2). */
  'dns_svcparam_order',
  /** An SvcParam value that does not fit its key (ipv4hint not a multiple of 4, port not 2 bytes, ...). */
  'dns_svcparam_bad_value',
  /** A TXT character-string running past its rdata. */
  'dns_txt_truncated',
  /** DNS over TCP: a length prefix of zero. */
  'dns_tcp_zero_length',
  /** DNS over TCP: a length prefix smaller than a DNS header. */
  'dns_tcp_short_message',
  /** DNS over TCP: the caller reported missing bytes; the buffer dropped what it held. */
  'dns_tcp_gap',
  /** DnsTransactions: a query was dropped to stay within the bound on outstanding queries. */
  'dns_outstanding_evicted',
] as const;

export type DnsAnomaly = (typeof DNS_ANOMALY_NAMES)[number];

/** Name -> stable code (index in DNS_ANOMALY_NAMES). */
export const DNS_ANOMALY = Object.fromEntries(DNS_ANOMALY_NAMES.map((n, i) => [n, i])) as { readonly [K in DnsAnomaly]: number };

/** Adds `a` to `list` unless already there (lists stay short: one entry per kind). */
export function noteAnomaly(list: DnsAnomaly[], a: DnsAnomaly): void {
  if (!list.includes(a)) list.push(a);
}
