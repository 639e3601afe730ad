// minerwatch — SPDX-License-Identifier: Apache-2.0
// ndpi_compare: classifies every flow of a pcap with Debian's libndpi (4.2) and prints the
// throughput, so `scripts/bench-sensor.sh` can compare `minerwatch scan pcap` with nDPI on the
// same file in the same run. It does what nDPI's own ndpiReader does per packet (flow lookup,
// ndpi_detection_process_packet until the flow is classified and no extra dissection is
// possible, give-up at the end) and nothing more: no output per flow, no JSON.
//
// Memory is bounded: flows idle for --idle seconds (packet time) are freed, and at most
// --max-flows are kept (the least recently used flow is evicted first).
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <ndpi_api.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { kMaxDissectPackets = 32 };  // ndpiReader gives up after a few dozen packets too

struct FlowKey {
  uint8_t version, proto;
  uint16_t port_lo, port_hi;
  uint8_t addr_lo[16], addr_hi[16];
};

struct Flow {
  struct FlowKey key;
  struct ndpi_flow_struct* ndpi;
  uint64_t last_ms;
  uint32_t packets;
  uint32_t next_in_bucket;  // 0 = none; indices are 1-based
  uint32_t lru_prev, lru_next;
  uint8_t done, in_use;
  uint16_t app_protocol, master_protocol;
};

struct Table {
  struct Flow* flows;  // [1..capacity]
  uint32_t* buckets;
  uint32_t bucket_mask, capacity, free_head, used;
  uint32_t lru_head, lru_tail;  // oldest at head
};

struct Stats {
  uint64_t packets, bytes, wire_bytes, non_ip, flows, evicted, detected, mining;
};

static struct ndpi_detection_module_struct* g_ndpi;
static struct Stats g_stats;
static int g_print_mining;
static int g_read_only;  // only read the file with libpcap: the cost nDPI adds is the rest

static uint64_t HashKey(const struct FlowKey* k) {
  // FNV-1a over the key bytes: plenty for a benchmark flow table.
  const uint8_t* p = (const uint8_t*)k;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < sizeof(*k); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h ^ (h >> 29);
}

static void LruUnlink(struct Table* t, uint32_t i) {
  struct Flow* f = &t->flows[i];
  if (f->lru_prev)
    t->flows[f->lru_prev].lru_next = f->lru_next;
  else
    t->lru_head = f->lru_next;
  if (f->lru_next)
    t->flows[f->lru_next].lru_prev = f->lru_prev;
  else
    t->lru_tail = f->lru_prev;
  f->lru_prev = f->lru_next = 0;
}

static void LruPushTail(struct Table* t, uint32_t i) {
  struct Flow* f = &t->flows[i];
  f->lru_prev = t->lru_tail;
  f->lru_next = 0;
  if (t->lru_tail)
    t->flows[t->lru_tail].lru_next = i;
  else
    t->lru_head = i;
  t->lru_tail = i;
}

static void FinishFlow(struct Flow* f) {
  if (!f->done) {
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(g_ndpi, f->ndpi, 1, &guessed);
    f->app_protocol = p.app_protocol;
    f->master_protocol = p.master_protocol;
  }
  if (f->app_protocol != NDPI_PROTOCOL_UNKNOWN || f->master_protocol != NDPI_PROTOCOL_UNKNOWN)
    ++g_stats.detected;
  if (f->app_protocol == NDPI_PROTOCOL_MINING || f->master_protocol == NDPI_PROTOCOL_MINING) {
    ++g_stats.mining;
    if (g_print_mining) {
      char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
      int af = f->key.version == 4 ? AF_INET : AF_INET6;
      inet_ntop(af, f->key.addr_lo, a, sizeof(a));
      inet_ntop(af, f->key.addr_hi, b, sizeof(b));
      printf("mining flow: %s %s:%u <-> %s:%u\n", f->key.proto == 6 ? "TCP" : "UDP", a,
             f->key.port_lo, b, f->key.port_hi);
    }
  }
  ndpi_free_flow(f->ndpi);
  f->ndpi = NULL;
}

static void RemoveFlow(struct Table* t, uint32_t i) {
  struct Flow* f = &t->flows[i];
  uint32_t* link = &t->buckets[HashKey(&f->key) & t->bucket_mask];
  while (*link != i) link = &t->flows[*link].next_in_bucket;
  *link = f->next_in_bucket;
  LruUnlink(t, i);
  FinishFlow(f);
  f->in_use = 0;
  f->next_in_bucket = t->free_head;
  t->free_head = i;
  --t->used;
}

static int TableInit(struct Table* t, uint32_t capacity) {
  uint32_t nb = 1;
  while (nb < capacity * 2) nb <<= 1;
  t->flows = calloc((size_t)capacity + 1, sizeof(struct Flow));
  t->buckets = calloc(nb, sizeof(uint32_t));
  if (!t->flows || !t->buckets) return -1;
  t->bucket_mask = nb - 1;
  t->capacity = capacity;
  for (uint32_t i = capacity; i >= 1; --i) {
    t->flows[i].next_in_bucket = t->free_head;
    t->free_head = i;
  }
  return 0;
}

static struct Flow* Lookup(struct Table* t, const struct FlowKey* k, uint64_t now_ms,
                           uint64_t idle_ms) {
  // Expire idle flows from the old end of the LRU list first: bounded, amortised O(1).
  while (t->lru_head && t->flows[t->lru_head].last_ms + idle_ms < now_ms) {
    ++g_stats.evicted;
    RemoveFlow(t, t->lru_head);
  }
  uint32_t* bucket = &t->buckets[HashKey(k) & t->bucket_mask];
  for (uint32_t i = *bucket; i; i = t->flows[i].next_in_bucket) {
    if (memcmp(&t->flows[i].key, k, sizeof(*k)) == 0) {
      LruUnlink(t, i);
      LruPushTail(t, i);
      t->flows[i].last_ms = now_ms;
      return &t->flows[i];
    }
  }
  if (!t->free_head) {
    ++g_stats.evicted;
    RemoveFlow(t, t->lru_head);
    bucket = &t->buckets[HashKey(k) & t->bucket_mask];
  }
  uint32_t i = t->free_head;
  struct Flow* f = &t->flows[i];
  t->free_head = f->next_in_bucket;
  memset(f, 0, sizeof(*f));
  f->key = *k;
  f->ndpi = ndpi_flow_malloc(ndpi_detection_get_sizeof_ndpi_flow_struct());
  if (!f->ndpi) {
    fprintf(stderr, "ndpi_compare: out of memory\n");
    exit(2);
  }
  memset(f->ndpi, 0, ndpi_detection_get_sizeof_ndpi_flow_struct());
  f->in_use = 1;
  f->last_ms = now_ms;
  f->next_in_bucket = *bucket;
  *bucket = i;
  LruPushTail(t, i);
  ++t->used;
  ++g_stats.flows;
  return f;
}

// Finds the IP header behind the link layer; returns its offset or -1.
static int L3Offset(int dlt, const uint8_t* p, uint32_t len) {
  uint32_t off;
  uint16_t type;
  switch (dlt) {
    case DLT_EN10MB:
      if (len < 14) return -1;
      type = (uint16_t)(p[12] << 8 | p[13]);
      off = 14;
      while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && off + 4 <= len) {
        type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
        off += 4;
      }
      return (type == 0x0800 || type == 0x86dd) ? (int)off : -1;
    case DLT_LINUX_SLL:
      if (len < 16) return -1;
      type = (uint16_t)(p[14] << 8 | p[15]);
      return (type == 0x0800 || type == 0x86dd) ? 16 : -1;
    case 12:  // DLT_RAW on most systems
    case 14:
    case 101:
    case 228:
    case 229:
      return 0;
    case DLT_NULL:
    case DLT_LOOP:
      return len >= 4 ? 4 : -1;
    default:
      return -1;
  }
}

static int MakeKey(const uint8_t* ip, uint32_t len, struct FlowKey* k) {
  memset(k, 0, sizeof(*k));
  if (len < 1) return -1;
  const uint8_t *src, *dst, *l4;
  uint32_t l4_len;
  size_t alen;
  if ((ip[0] >> 4) == 4) {
    uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if (len < 20 || ihl < 20 || ihl > len) return -1;
    k->version = 4;
    k->proto = ip[9];
    src = ip + 12;
    dst = ip + 16;
    alen = 4;
    int first_fragment = ((ip[6] & 0x1f) << 8 | ip[7]) == 0;
    l4 = ip + ihl;
    l4_len = first_fragment ? len - ihl : 0;
  } else if ((ip[0] >> 4) == 6) {
    if (len < 40) return -1;
    k->version = 6;
    k->proto = ip[6];
    src = ip + 8;
    dst = ip + 24;
    alen = 16;
    l4 = ip + 40;
    l4_len = len - 40;  // extension headers are left to nDPI; ports may then be wrong
  } else {
    return -1;
  }
  uint16_t sport = 0, dport = 0;
  if ((k->proto == 6 || k->proto == 17) && l4_len >= 4) {
    sport = (uint16_t)(l4[0] << 8 | l4[1]);
    dport = (uint16_t)(l4[2] << 8 | l4[3]);
  }
  // One key for both directions: the lower (address, port) pair first.
  int c = memcmp(src, dst, alen);
  if (c < 0 || (c == 0 && sport <= dport)) {
    memcpy(k->addr_lo, src, alen);
    memcpy(k->addr_hi, dst, alen);
    k->port_lo = sport;
    k->port_hi = dport;
  } else {
    memcpy(k->addr_lo, dst, alen);
    memcpy(k->addr_hi, src, alen);
    k->port_lo = dport;
    k->port_hi = sport;
  }
  return 0;
}

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void Usage(void) {
  fprintf(stderr,
          "usage: ndpi_compare [--max-flows N] [--idle SECONDS] [--print-mining] [--read-only]\n"
          "                    FILE...\n"
          "Classifies every flow of the capture files with nDPI %s and prints packets/s and\n"
          "Gbit/s (captured bytes) over the whole run. --read-only only reads the packets.\n",
          ndpi_revision());
}

int main(int argc, char** argv) {
  uint32_t max_flows = 1u << 20;
  uint64_t idle_ms = 600000;  // nDPI flows of a long-lived mining session go quiet for minutes
  int first_file = argc;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--max-flows") && i + 1 < argc) {
      max_flows = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--idle") && i + 1 < argc) {
      idle_ms = strtoull(argv[++i], NULL, 10) * 1000;
    } else if (!strcmp(argv[i], "--read-only")) {
      g_read_only = 1;
    } else if (!strcmp(argv[i], "--print-mining")) {
      g_print_mining = 1;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      Usage();
      return 0;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "ndpi_compare: unknown option %s\n", argv[i]);
      Usage();
      return 2;
    } else {
      first_file = i;
      break;
    }
  }
  if (first_file >= argc || max_flows < 16) {
    Usage();
    return 2;
  }
  if (!g_read_only) {
    g_ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (!g_ndpi) {
      fprintf(stderr, "ndpi_compare: ndpi_init_detection_module failed\n");
      return 2;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(g_ndpi, &all);
    ndpi_finalize_initialization(g_ndpi);
  }

  struct Table table = {0};
  if (!g_read_only && TableInit(&table, max_flows) != 0) {
    fprintf(stderr, "ndpi_compare: cannot allocate a table of %u flows\n", max_flows);
    return 2;
  }
  double start = Now();
  for (int fi = first_file; fi < argc; ++fi) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* pc = pcap_open_offline(argv[fi], err);
    if (!pc) {
      fprintf(stderr, "ndpi_compare: %s: %s\n", argv[fi], err);
      return 2;
    }
    int dlt = pcap_datalink(pc);
    struct pcap_pkthdr* h;
    const u_char* data;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
      ++g_stats.packets;
      g_stats.bytes += h->caplen;
      g_stats.wire_bytes += h->len;
      if (g_read_only) continue;
      int off = L3Offset(dlt, data, h->caplen);
      struct FlowKey key;
      if (off < 0 || MakeKey(data + off, h->caplen - (uint32_t)off, &key) != 0) {
        ++g_stats.non_ip;
        continue;
      }
      uint64_t now_ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
      struct Flow* f = Lookup(&table, &key, now_ms, idle_ms);
      ++f->packets;
      if (f->done) continue;
      uint32_t l3_len = h->caplen - (uint32_t)off;
      ndpi_protocol p = ndpi_detection_process_packet(
          g_ndpi, f->ndpi, data + off, (unsigned short)(l3_len > 65535 ? 65535 : l3_len), now_ms);
      int known =
          p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
      if ((known && !ndpi_extra_dissection_possible(g_ndpi, f->ndpi)) ||
          f->packets >= kMaxDissectPackets) {
        if (known) {
          f->app_protocol = p.app_protocol;
          f->master_protocol = p.master_protocol;
          f->done = 1;
        }
        if (!known) {
          uint8_t guessed = 0;
          p = ndpi_detection_giveup(g_ndpi, f->ndpi, 1, &guessed);
          f->app_protocol = p.app_protocol;
          f->master_protocol = p.master_protocol;
          f->done = 1;
        }
      }
    }
    if (rc == -1) {
      fprintf(stderr, "ndpi_compare: %s: %s\n", argv[fi], pcap_geterr(pc));
      pcap_close(pc);
      return 2;
    }
    pcap_close(pc);
  }
  while (table.lru_head) RemoveFlow(&table, table.lru_head);
  double secs = Now() - start;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("ndpi %s\n", ndpi_revision());
  printf("packets %" PRIu64 "\nbytes %" PRIu64 "\nwire_bytes %" PRIu64 "\nnon_ip %" PRIu64
         "\nflows %" PRIu64 "\nflows_evicted %" PRIu64 "\nflows_detected %" PRIu64
         "\nmining_flows %" PRIu64 "\n",
         g_stats.packets, g_stats.bytes, g_stats.wire_bytes, g_stats.non_ip, g_stats.flows,
         g_stats.evicted, g_stats.detected, g_stats.mining);
  // Gbit/s counts captured bytes: public captures are often cut at a small snaplen, so their
  // wire lengths describe traffic that was never read.
  printf("seconds %.3f\npackets_per_second %.0f\ngbit_per_second %.3f\npeak_rss_kb %ld\n", secs,
         secs > 0 ? (double)g_stats.packets / secs : 0.0,
         secs > 0 ? (double)g_stats.bytes * 8 / secs / 1e9 : 0.0, ru.ru_maxrss);
  free(table.flows);
  free(table.buckets);
  if (g_ndpi) ndpi_exit_detection_module(g_ndpi);
  return 0;
}
