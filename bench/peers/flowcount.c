/*
 * The hardware floor for the peer table: libpcap reads the file, a fixed-size open-addressing
 * table counts bidirectional 5-tuple flows (IPv4/IPv6 over Ethernet with up to two VLAN tags).
 * No flow features, no output but the counts: what any flow tool has to do at the least.
 * Build: cc -O2 -o flowcount flowcount.c -lpcap
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (1u << 22)

typedef struct { uint32_t a[4], b[4]; uint32_t ports; uint8_t proto, used; uint64_t pkts, bytes; } Flow;

static Flow *table;
static uint64_t flows, packets, ip_packets;

static uint32_t mix(const uint32_t *w, int n) {
  uint32_t h = 0x9e3779b9u;
  for (int i = 0; i < n; i++) { h ^= w[i]; h *= 0x85ebca6bu; h ^= h >> 13; }
  h *= 0xc2b2ae35u; return h ^ (h >> 16);
}

static void account(const uint32_t *src, const uint32_t *dst, uint16_t sp, uint16_t dp, uint8_t proto, uint32_t len) {
  uint32_t k[10];
  int low = memcmp(src, dst, 16) < 0 || (memcmp(src, dst, 16) == 0 && sp <= dp);
  memcpy(k, low ? src : dst, 16); memcpy(k + 4, low ? dst : src, 16);
  k[8] = low ? ((uint32_t)sp << 16 | dp) : ((uint32_t)dp << 16 | sp); k[9] = proto;
  for (uint32_t s = mix(k, 10) & (SLOTS - 1);; s = (s + 1) & (SLOTS - 1)) {
    Flow *f = &table[s];
    if (!f->used) { memcpy(f->a, k, 16); memcpy(f->b, k + 4, 16); f->ports = k[8]; f->proto = proto; f->used = 1; flows++; }
    else if (f->ports != k[8] || f->proto != proto || memcmp(f->a, k, 16) || memcmp(f->b, k + 4, 16)) continue;
    f->pkts++; f->bytes += len; return;
  }
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *p) {
  (void)user; packets++;
  uint32_t off = 14, cap = h->caplen;
  if (cap < 14) return;
  uint16_t type = (uint16_t)(p[12] << 8 | p[13]);
  for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8) && cap >= off + 4; i++) { type = (uint16_t)(p[off + 2] << 8 | p[off + 3]); off += 4; }
  uint32_t src[4] = {0, 0, 0xffff, 0}, dst[4] = {0, 0, 0xffff, 0};
  uint8_t proto; uint32_t l4;
  if (type == 0x0800 && cap >= off + 20) {
    memcpy(&src[3], p + off + 12, 4); memcpy(&dst[3], p + off + 16, 4);
    proto = p[off + 9]; l4 = off + (p[off] & 15) * 4;
    if ((p[off + 6] & 0x1f) | p[off + 7]) l4 = cap; /* later fragment: no ports */
  } else if (type == 0x86dd && cap >= off + 40) {
    memcpy(src, p + off + 8, 16); memcpy(dst, p + off + 24, 16); proto = p[off + 6]; l4 = off + 40;
  } else return;
  ip_packets++;
  uint16_t sp = 0, dp = 0;
  if ((proto == 6 || proto == 17) && cap >= l4 + 4) { sp = (uint16_t)(p[l4] << 8 | p[l4 + 1]); dp = (uint16_t)(p[l4 + 2] << 8 | p[l4 + 3]); }
  account(src, dst, sp, dp, proto, h->len);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: flowcount FILE\n"); return 2; }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(argv[1], err);
  if (!pc) { fprintf(stderr, "flowcount: %s\n", err); return 1; }
  table = calloc(SLOTS, sizeof(Flow));
  if (!table) return 1;
  pcap_loop(pc, -1, on_packet, NULL);
  printf("packets %llu ip %llu flows %llu\n", (unsigned long long)packets, (unsigned long long)ip_packets, (unsigned long long)flows);
  pcap_close(pc);
  return 0;
}
