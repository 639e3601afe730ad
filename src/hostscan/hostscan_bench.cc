// minerwatch — SPDX-License-Identifier: Apache-2.0
// Memory-scan throughput with the shipped rules, one thread.
//   BM_ScanRandom      : 256 MiB of random bytes (worst case for YARA: no zero pages).
//   BM_ScanMixed       : 256 MiB, half zero pages (typical process heaps and arenas).
//   BM_ScanDump        : a memory dump file named by $MW_BENCH_DUMP (compare with `yara`).
//   BM_ScanProcess*    : a live process named by $MW_BENCH_PID, first pass and unchanged passes.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

#include "hostscan/host_monitor.h"
#include "hostscan/memory_scanner.h"
#include "match/yara_rules.h"

namespace mw::hostscan {
namespace {

std::shared_ptr<const match::YaraRules> Rules() {
  static auto rules = *match::YaraRules::Load(true, {});
  return rules;
}

std::vector<uint8_t> MakeBuffer(size_t n, bool half_zero) {
  std::vector<uint8_t> b(n);
  std::mt19937_64 rng(7);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t r = rng();
    std::memcpy(&b[i], &r, 8);
  }
  if (half_zero) {
    for (size_t p = 0; p + 4096 <= n; p += 8192)
      std::memset(&b[p], 0, 4096 * ((p / 8192) % 2 ? 1 : 0));
    for (size_t p = 0; p + 65536 <= n; p += 131072) std::memset(&b[p], 0, 65536);
  }
  return b;
}

void ScanVector(benchmark::State& state, bool half_zero) {
  auto buf = MakeBuffer(256u << 20, half_zero);
  MemoryScanner scanner(Rules(), MemScanOptions{});
  std::vector<match::RuleMatch> out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(scanner.ScanBuffer(buf, 0, &out));
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(buf.size()));
}

void BM_ScanRandom(benchmark::State& state) { ScanVector(state, false); }
void BM_ScanMixed(benchmark::State& state) { ScanVector(state, true); }

void BM_ScanDump(benchmark::State& state) {
  const char* path = std::getenv("MW_BENCH_DUMP");
  if (!path) {
    state.SkipWithError("set MW_BENCH_DUMP to a memory dump file");
    return;
  }
  int fd = open(path, O_RDONLY);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
    state.SkipWithError("cannot open MW_BENCH_DUMP");
    return;
  }
  void* p = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  ByteView data(static_cast<const uint8_t*>(p), size_t(st.st_size));
  MemScanOptions o;
  o.skip_zero_pages = state.range(0) != 0;
  MemoryScanner scanner(Rules(), o);
  std::vector<match::RuleMatch> out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(scanner.ScanBuffer(data, 0, &out));
  }
  state.counters["rules_matched"] = double(out.size());
  state.SetBytesProcessed(int64_t(state.iterations()) * st.st_size);
  munmap(p, size_t(st.st_size));
}

void ScanProcess(benchmark::State& state, bool warm) {
  const char* pid_env = std::getenv("MW_BENCH_PID");
  if (!pid_env) {
    state.SkipWithError("set MW_BENCH_PID to a process id");
    return;
  }
  pid_t pid = std::atoi(pid_env);
  MemScanOptions o;
  o.max_bytes_per_process = 4ull << 30;
  auto scanner = std::make_unique<MemoryScanner>(Rules(), o);
  if (warm) {
    scanner->BeginPass();
    scanner->ScanProcess(pid, "/", "");
  }
  uint64_t bytes = 0;
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      scanner = std::make_unique<MemoryScanner>(Rules(), o);
      state.ResumeTiming();
    }
    scanner->BeginPass();
    auto r = scanner->ScanProcess(pid, "/", "");
    bytes += r.stats.bytes_read;
    state.counters["hits"] = double(r.hits.size());
    state.counters["MiB_to_yara"] = double(r.stats.bytes_yara) / 1048576.0;
  }
  state.SetBytesProcessed(int64_t(bytes));
}

void BM_ScanProcessFirstPass(benchmark::State& state) { ScanProcess(state, false); }
void BM_ScanProcessUnchanged(benchmark::State& state) { ScanProcess(state, true); }

// CPU cost of one pass of the periodic loop over this host (all processes, autostart files;
// the dpkg check runs every 12th pass), after a first pass warmed the caches. Multiply by
// passes per hour for the loop's cost at the default 5-minute interval.
void BM_MonitorPassWarm(benchmark::State& state) {
  HostMonitorOptions o;
  o.scan.rules = Rules();
  o.scan.cpu_sample_ms = 0;
  o.default_read_rate_bytes_per_sec = 0;  // measure CPU, not the sleep of the rate cap
  o.scan.memory.read_rate_bytes_per_sec = 0;
  HostMonitor monitor(o, nullptr);
  monitor.RunOnce();
  for (auto _ : state) monitor.RunOnce();
  auto st = monitor.stats();
  state.counters["cpu_s_per_pass"] = st.cpu_seconds / double(st.passes);
  state.counters["MiB_read"] = double(st.last_report.memory.bytes_read) / 1048576.0;
  state.counters["processes"] = double(st.last_report.processes);
}

BENCHMARK(BM_MonitorPassWarm)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ScanRandom)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ScanMixed)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ScanDump)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ScanProcessFirstPass)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_ScanProcessUnchanged)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace mw::hostscan

BENCHMARK_MAIN();
