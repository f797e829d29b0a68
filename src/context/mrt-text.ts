/**
 * MRT entries as `bgpdump -m` lines (one line per route, '|'-separated):
 *   TABLE_DUMP2|time|B|peer ip|peer as|prefix|as path|origin|next hop|local pref|med|communities|AG or NAG|aggregator|
 *   BGP4MP|time|A|peer ip|peer as|prefix|as path|origin|next hop|local pref|med|communities|AG or NAG|aggregator|
 *   BGP4MP|time|W|peer ip|peer as|prefix
 *   BGP4MP|time|STATE|peer ip|peer as|old state|new state
 * The ADD-PATH forms (TABLE_DUMP2_AP, BGP4MP_AP) put the path identifier after the prefix.
 *
 * Two dialects, for comparing with the two reference tools:
 * - 'bgpdump': IPv6 text with the longest zero run compressed even when it is a single group
 *   (2001:7f8:30::2:1:0:8447), the well-known communities by name (no-export, no-advertise,
 *   local-AS), one line per route with the first (global) next hop, and 255.255.255.255 where no
 *   next hop was given (bgpdump's unset address).
 * - 'mrtparse' (t2mune/mrtparse examples/mrt2bgpdump.py): RFC 5952 IPv6, numeric communities, one
 *   line per next hop (an IPv6 global + link-local pair gives two lines).
 * Not checked against a reference (no fixture has them): BGP4MP_ET times (printed sec.usec), the
 * BGP4MP ADD-PATH label, TABLE_DUMP (v1) lines.
 */
import type { MrtEntry, MrtRouteFields } from './mrt.js';

export type MrtTextStyle = 'bgpdump' | 'mrtparse';

/** IPv6 text as bgpdump writes it: the first longest run of zero groups, even a single one, as '::'. */
export function bgpdumpIpv6(text: string): string {
  if (!text.includes(':') || text.includes('.')) return text; // IPv4, or IPv4-mapped (kept as is)
  const halves = text.split('::');
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length > 1 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const g = halves.length > 1 ? [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  let bestAt = -1, bestLen = 0, runAt = -1;
  for (let i = 0; i <= g.length; i++) {
    if (i < g.length && parseInt(g[i]!, 16) === 0) {
      if (runAt < 0) runAt = i;
    } else if (runAt >= 0) {
      if (i - runAt > bestLen) { bestAt = runAt; bestLen = i - runAt; }
      runAt = -1;
    }
  }
  const hex = (a: number, b: number): string => g.slice(a, b).map((x) => parseInt(x, 16).toString(16)).join(':');
  if (bestAt < 0) return hex(0, g.length);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, g.length)}`;
}

function addr(text: string, style: MrtTextStyle): string {
  return style === 'bgpdump' ? bgpdumpIpv6(text) : text;
}

function prefix(text: string, style: MrtTextStyle): string {
  if (style !== 'bgpdump') return text;
  const slash = text.indexOf('/');
  return `${bgpdumpIpv6(text.slice(0, slash))}${text.slice(slash)}`;
}

const WELL_KNOWN: Readonly<Record<string, string>> = {
  '65535:65281': 'no-export', '65535:65282': 'no-advertise', '65535:65283': 'local-AS',
};

function timeText(e: MrtEntry): string {
  return e.type === 17 ? `${e.time}.${String(e.micros).padStart(6, '0')}` : String(e.time);
}

function routeTail(r: MrtRouteFields, nextHop: string, style: MrtTextStyle): string {
  const comms = style === 'bgpdump' ? r.communities.map((c) => WELL_KNOWN[c] ?? c) : r.communities;
  const aggr = r.aggregator === null ? '' : `${r.aggregator.asn} ${r.aggregator.ip}`;
  return `${r.asPathText}|${r.origin ?? 'INCOMPLETE'}|${nextHop}|${r.localPref ?? 0}|${r.med ?? 0}|${comms.join(' ')}|${r.atomicAggregate ? 'AG' : 'NAG'}|${aggr}|`;
}

function nextHopsFor(r: MrtRouteFields, style: MrtTextStyle): string[] {
  if (style === 'bgpdump') return [r.nextHop === null ? '255.255.255.255' : addr(r.nextHop, style)];
  return r.nextHops.length > 0 ? r.nextHops : [''];
}

/** The lines of one entry (none for peer tables and non-UPDATE messages). */
export function mrtEntryLines(e: MrtEntry, style: MrtTextStyle = 'bgpdump'): string[] {
  const t = timeText(e);
  switch (e.kind) {
    case 'rib': {
      const label = e.type === 12 ? 'TABLE_DUMP' : e.pathId !== null ? 'TABLE_DUMP2_AP' : 'TABLE_DUMP2';
      const head = `${label}|${t}|B|${addr(e.peerIp, style)}|${e.peerAs}|${prefix(e.prefix, style)}|${e.pathId !== null ? `${e.pathId}|` : ''}`;
      return nextHopsFor(e, style).map((nh) => head + routeTail(e, nh, style));
    }
    case 'announce': {
      const label = e.type === 17 ? 'BGP4MP_ET' : 'BGP4MP';
      const head = `${label}${e.pathId !== null ? '_AP' : ''}|${t}|A|${addr(e.peerIp, style)}|${e.peerAs}|${prefix(e.prefix, style)}|${e.pathId !== null ? `${e.pathId}|` : ''}`;
      return nextHopsFor(e, style).map((nh) => head + routeTail(e, nh, style));
    }
    case 'withdraw': {
      const label = e.type === 17 ? 'BGP4MP_ET' : 'BGP4MP';
      return [`${label}${e.pathId !== null ? '_AP' : ''}|${t}|W|${addr(e.peerIp, style)}|${e.peerAs}|${prefix(e.prefix, style)}${e.pathId !== null ? `|${e.pathId}` : ''}`];
    }
    case 'state': {
      const label = e.type === 17 ? 'BGP4MP_ET' : 'BGP4MP';
      return [`${label}|${t}|STATE|${addr(e.peerIp, style)}|${e.peerAs}|${e.oldState}|${e.newState}`];
    }
    default:
      return [];
  }
}
