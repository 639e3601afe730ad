// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/memory_scanner.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "hostscan/process.h"

namespace mw::hostscan {
namespace {

constexpr uint64_t kPage = 4096;
// Least context kept around a skipped zero run and between chunks (see overlap_): a string
// that starts just before a boundary still matches in the next chunk.
constexpr uint64_t kOverlap = 4096;
// Read granularity inside a chunk: small enough that a piece is still in L2 (2 MiB a core on
// the benchmark machine) when it is hashed and prefiltered after its copy; 256 KiB-2 MiB
// measured alike, 16 MiB (one read per chunk) cost ~1.5x more CPU. Syscalls stay negligible.
constexpr uint64_t kPiece = 512 << 10;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Perms(const Mapping& m) {
  return {m.read ? 'r' : '-', m.write ? 'w' : '-', m.exec ? 'x' : '-', m.shared ? 's' : 'p'};
}

// Lower is scanned first: the executable image and anonymous executable memory (JIT, unpacked
// code) say most, then heap/stack/small anonymous memory, then shared libraries, then the big
// anonymous arenas (a RandomX dataset is 2 GiB of hash output).
int Priority(const Mapping& m, const std::string& exe) {
  const bool file = m.file_backed();
  std::string_view path = m.path;
  if (path.ends_with(" (deleted)")) path.remove_suffix(10);
  if ((file && path == exe) || m.path.starts_with("/memfd:")) return 0;
  if (m.exec && !file) return 0;
  if (m.path == "[heap]" || m.path == "[stack]") return 1;
  if (!file && m.size() <= (64ull << 20)) return 1;
  if (file) return 2;
  // Mostly-untouched reservations last: their pages read back as zeros.
  if (m.residency_known && m.resident_bytes < m.size() / 16) return 4;
  return 3;
}

// Anonymous memory never touched (nor swapped) holds only zeros: nothing to scan or hash.
bool Untouched(const Mapping& m) {
  return m.residency_known && m.resident_bytes == 0 && !m.file_backed() && !m.shared;
}

bool IsPermissionError(int e) { return e == EPERM || e == EACCES; }

// Private anonymous memory: a page never touched (nor swapped out) reads as zeros, so pagemap
// may stand in for reading it. Not file mappings (an absent page holds the file's bytes) nor
// shared memory (its pages live in shmem, not in this process's page table).
bool PrivateAnonymous(const Mapping& m) {
  if (m.shared || m.file_backed()) return false;
  return m.path.empty() || m.path == "[heap]" || m.path == "[stack]" ||
         m.path.starts_with("[anon:");
}

bool Skippable(const Mapping& m) {
  if (!m.read || m.size() == 0) return true;
  if (m.special() && m.path != "[heap]" && m.path != "[stack]" && m.path != "[vdso]") return true;
  // Device memory (GPU apertures, framebuffers): reading may have side effects or block.
  if (m.path.starts_with("/dev/") && !m.path.starts_with("/dev/shm/") &&
      !m.path.starts_with("/dev/zero")) {
    return true;
  }
  return false;
}

class MemReader {
 public:
  MemReader(pid_t pid, const std::string& root) : pid_(pid), root_(root) {}
  ~MemReader() {
    if (fd_ >= 0) close(fd_);
    if (pagemap_fd_ >= 0) close(pagemap_fd_);
  }
  MemReader(const MemReader&) = delete;
  MemReader& operator=(const MemReader&) = delete;

  // Read() for private anonymous memory: pages pagemap shows were never touched (neither
  // present nor swapped) are zero-filled here instead of copied, which spares the kernel
  // faulting in the zero page for each (six 8 MiB thread stacks of a miner are mostly such
  // pages). "*absent" grows by those bytes. Without pagemap it is Read().
  ssize_t ReadSparse(uint64_t addr, uint8_t* dst, size_t len, uint64_t* absent) {
    if (len == 0) return 0;
    const uint64_t first = addr / kPage;
    const size_t pages = size_t((addr + len - 1) / kPage - first + 1);
    if (!PageFlags(first, pages)) return Read(addr, dst, len);
    constexpr uint64_t kInMemory = 3ull << 62;  // bit 63 present, bit 62 swapped
    size_t zeros = 0;
    for (size_t i = 0; i < pages;) {
      const bool in_memory = (flags_[i] & kInMemory) != 0;
      size_t j = i + 1;
      while (j < pages && ((flags_[j] & kInMemory) != 0) == in_memory) ++j;
      const uint64_t lo = std::max(addr, (first + i) * kPage);
      const uint64_t hi = std::min(addr + len, (first + j) * kPage);
      i = j;
      if (!in_memory) {
        std::memset(dst + (lo - addr), 0, hi - lo);
        zeros += hi - lo;
        continue;
      }
      ssize_t n = Read(lo, dst + (lo - addr), hi - lo);
      // A run that fails ends the read there, as a short read would.
      if (n < ssize_t(hi - lo)) {
        const uint64_t valid = lo - addr + uint64_t(std::max<ssize_t>(n, 0));
        *absent += std::min<uint64_t>(zeros, valid);
        return valid == 0 ? -1 : ssize_t(valid);
      }
    }
    *absent += zeros;
    return ssize_t(len);
  }
  // Reads up to "len" bytes at "addr"; returns bytes read (may be short), -1 with errno.
  ssize_t Read(uint64_t addr, uint8_t* dst, size_t len) {
    if (use_vm_readv_ && (root_.empty() || root_ == "/")) {
      iovec local{dst, len};
      iovec remote{reinterpret_cast<void*>(addr), len};
      ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
      if (n >= 0 || errno == EFAULT || errno == ESRCH) {
        method_ = "process_vm_readv";
        return n;
      }
      use_vm_readv_ = false;  // ENOSYS/EPERM: try /proc/PID/mem
    }
    if (fd_ < 0) {
      fd_ = open(JoinRoot(root_, "/proc/" + std::to_string(pid_) + "/mem").c_str(),
                 O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return -1;
    }
    size_t got = 0;
    while (got < len) {
      ssize_t n = pread(fd_, dst + got, len - got, off_t(addr + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += size_t(n);
    }
    method_ = "/proc/PID/mem";
    return got == 0 && len > 0 ? -1 : ssize_t(got);
  }
  const char* method() const { return method_; }

 private:
  // pagemap entries of "count" pages from page number "first" into flags_; false when pagemap
  // cannot be read (then it is not tried again for this process).
  bool PageFlags(uint64_t first, size_t count) {
    if (!use_pagemap_) return false;
    if (pagemap_fd_ < 0) {
      pagemap_fd_ = open(JoinRoot(root_, "/proc/" + std::to_string(pid_) + "/pagemap").c_str(),
                         O_RDONLY | O_CLOEXEC);
      if (pagemap_fd_ < 0) {
        use_pagemap_ = false;
        return false;
      }
    }
    flags_.resize(count);
    const size_t bytes = count * sizeof(uint64_t);
    ssize_t n;
    do {
      n = pread(pagemap_fd_, flags_.data(), bytes, off_t(first * sizeof(uint64_t)));
    } while (n < 0 && errno == EINTR);
    if (n == ssize_t(bytes)) return true;
    use_pagemap_ = false;
    return false;
  }

  pid_t pid_;
  std::string root_;
  bool use_vm_readv_ = true;
  int fd_ = -1;
  bool use_pagemap_ = true;
  int pagemap_fd_ = -1;
  std::vector<uint64_t> flags_;  // one piece's pagemap entries, reused
  const char* method_ = "";
};

}  // namespace

uint64_t PageHash(const uint8_t* page) { return XXH3_64bits(page, kPage); }

bool IsZeroPage(const uint8_t* page) { return match::IsZeroPage(page); }

MemoryScanner::MemoryScanner(std::shared_ptr<const match::YaraRules> rules, MemScanOptions options)
    : options_(options) {
  overlap_ = kOverlap;
  // Literal strings longer than a page need more context to be whole in one chunk.
  if (rules) overlap_ = std::max<uint64_t>(overlap_, rules->chunk_overlap());
  options_.chunk_bytes = std::max<uint64_t>(options_.chunk_bytes & ~(kPage - 1), 4 * overlap_);
  if (rules && options_.yara) {
    match::ChunkScanOptions co;
    co.chunk_bytes = options_.chunk_bytes;
    co.skip_zero_pages = options_.skip_zero_pages;
    co.prefilter = options_.prefilter;
    yara_ = std::make_unique<match::ChunkScanner>(std::move(rules), co);
  }
}

MemoryScanner::~MemoryScanner() = default;

void MemoryScanner::BeginPass(std::stop_token stop) {
  stop_ = std::move(stop);
  ++pass_;
  pass_bytes_ = 0;
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.seen_pass + 1 < pass_; });
}

bool MemoryScanner::RateLimit(uint64_t bytes) {
  if (options_.read_rate_bytes_per_sec == 0) return !stop_.stop_requested();
  int64_t now = NowNs();
  if (rate_start_ns_ == 0 || now - rate_start_ns_ > 10'000'000'000) {
    rate_start_ns_ = now;
    rate_bytes_ = 0;
  }
  rate_bytes_ += bytes;
  double due_s = double(rate_bytes_) / double(options_.read_rate_bytes_per_sec);
  int64_t due_ns = rate_start_ns_ + int64_t(due_s * 1e9);
  if (due_ns <= now) return !stop_.stop_requested();
  return SleepUnlessStopped(std::chrono::nanoseconds(due_ns - now), stop_);
}

Status MemoryScanner::ScanBuffer(ByteView data, uint64_t base, std::vector<match::RuleMatch>* out) {
  if (!yara_) return Ok();
  return yara_->ScanBuffer(data, base, out);
}

ProcessMemResult MemoryScanner::ScanProcess(pid_t pid, const std::string& root,
                                            const std::string& target) {
  ProcessMemResult r;
  if ((root.empty() || root == "/") && pid == getpid()) {
    r.errors.push_back("refusing to scan the scanner's own process");
    return r;
  }
  // smaps adds residency (see Untouched); maps is the fallback where smaps is not readable.
  const std::string proc_dir = "/proc/" + std::to_string(pid);
  auto maps_text = ReadSmallFile(JoinRoot(root, proc_dir + "/smaps"), 256u << 20);
  if (!maps_text || maps_text->empty()) {
    maps_text = ReadSmallFile(JoinRoot(root, proc_dir + "/maps"), 64u << 20);
  }
  if (!maps_text) {
    r.denied = IsPermissionError(errno);
    r.errors.push_back("cannot read /proc/" + std::to_string(pid) +
                       "/maps: " + std::strerror(errno));
    return r;
  }
  std::vector<Mapping> maps = ParseMaps(*maps_text);
  r.stats.regions = maps.size();
  std::string exe = target;
  std::stable_sort(maps.begin(), maps.end(), [&](const Mapping& a, const Mapping& b) {
    return Priority(a, exe) < Priority(b, exe);
  });
  if (yara_) yara_->yara().SetTarget(target);
  if (ring_.size() < overlap_ + kPiece) ring_.resize(overlap_ + kPiece);
  MemReader reader(pid, root);
  uint64_t proc_bytes = 0;

  for (const Mapping& m : maps) {
    if (stop_.stop_requested()) {
      r.interrupted = true;
      break;
    }
    // Access is decided per process: once it is refused and nothing was readable, every other
    // region would be refused too.
    if (r.stats.regions_denied > 0 && r.read_method.empty()) break;
    if (Skippable(m)) continue;
    if (Untouched(m)) {
      ++r.stats.regions_untouched;
      continue;
    }
    bool file = m.file_backed() && m.inode != 0;
    bool shared_ro = file && !m.write && !m.deleted();
    std::string key = shared_ro
                          ? "f:" + std::to_string(m.dev_major) + ":" + std::to_string(m.dev_minor) +
                                ":" + std::to_string(m.inode) + ":" + std::to_string(m.offset) +
                                ":" + std::to_string(m.size()) + (m.exec ? "x" : "")
                          : "p:" + std::to_string(pid) + ":" + std::to_string(m.start) + ":" +
                                std::to_string(m.end) + ":" + std::to_string(m.inode);
    auto emit_cached = [&](const RegionState& st) {
      for (YaraHit h : st.hits) {  // stored relative to region start
        h.address += m.start;
        h.region_start = m.start;
        h.region_end = m.end;
        h.perms = Perms(m);
        h.path = m.path;
        r.hits.push_back(std::move(h));
      }
      if (m.exec)
        r.exec_page_hashes.insert(r.exec_page_hashes.end(), st.page_hashes.begin(),
                                  st.page_hashes.end());
    };
    auto it = cache_.find(key);
    if (shared_ro && options_.skip_unchanged && it != cache_.end()) {
      it->second.seen_pass = pass_;
      ++r.stats.regions_shared_cached;
      // Charged as if read, so the budget reaches the same regions every pass.
      proc_bytes += std::min(m.size(), options_.max_bytes_per_process);
      emit_cached(it->second);
      continue;
    }
    uint64_t budget_left = std::min(
        options_.max_bytes_per_process - std::min(proc_bytes, options_.max_bytes_per_process),
        options_.max_bytes_per_pass - std::min(pass_bytes_, options_.max_bytes_per_pass));
    // Executable pages are always hashed in full (page-hash matching needs all of them).
    if (budget_left == 0 && !m.exec) {
      ++r.stats.regions_over_budget;
      r.budget_exhausted = true;
      continue;
    }
    uint64_t want = m.exec ? m.size() : std::min(m.size(), budget_left);
    // A region the budget cut last pass is compared over the same prefix when the budget nearly
    // allows it: earlier regions growing by a few pages would otherwise move the cut, change the
    // hash and send the whole prefix to YARA again on every pass.
    // (The cache key holds the region's size, so "covered" never exceeds it.)
    constexpr uint64_t kBudgetSlack = 1 << 20;
    if (!m.exec && it != cache_.end() && it->second.covered + kBudgetSlack >= want &&
        it->second.covered <= want + kBudgetSlack)
      want = it->second.covered;
    RegionState st;
    st.seen_pass = pass_;
    // One read pass: hashes the region (and its executable pages) and, when "scan", runs YARA.
    // A one-shot scan never compares region hashes, so it does not compute them. Shared
    // read-only ranges are cached by file identity alone and need no hash either.
    const bool hash_region = options_.skip_unchanged && !options_.one_shot && !shared_ro;
    // A region smaps shows wholly resident (a RandomX cache) has no page to spare: its pagemap
    // walk would be pure cost.
    const bool sparse = options_.use_pagemap && PrivateAnonymous(m) &&
                        !(m.residency_known && m.resident_bytes >= m.size());
    auto read_pass = [&](bool scan, uint64_t* hash_out) -> uint64_t {
      XXH3_state_t* hs = hash_region ? XXH3_createState() : nullptr;
      if (hs) XXH3_64bits_reset(hs);
      st.page_hashes.clear();
      uint64_t done = 0;
      for (uint64_t off = 0; off < want;) {
        uint64_t len = std::min<uint64_t>(options_.chunk_bytes, want - off);
        // Hash only what the previous chunk's overlap did not already cover.
        const uint64_t fresh = off < done ? done - off : 0;
        const bool feed = scan && yara_ && yara_->incremental();
        // Only ScanChunk needs the whole chunk in one buffer; hashing and the incremental scan
        // take it a piece at a time through a small reused buffer that stays in L2, so the
        // copy and everything after it hit cache instead of DRAM.
        const bool whole = scan && yara_ && !feed;
        if (whole && buf_.size() < options_.chunk_bytes) buf_.resize(options_.chunk_bytes);
        if (feed) yara_->BeginChunk(m.start + off);
        uint64_t got = 0;
        bool fed_last = false;
        while (got < len) {
          const uint64_t want_piece = std::min<uint64_t>(kPiece, len - got);
          uint8_t* dst = whole ? buf_.data() + got : ring_.data() + overlap_;
          // The prefilter needs overlap_ bytes of the previous (full) piece before this one.
          if (feed && got > 0) std::memmove(ring_.data(), ring_.data() + kPiece, overlap_);
          ssize_t k = sparse ? reader.ReadSparse(m.start + off + got, dst, want_piece,
                                                 &r.stats.bytes_not_present)
                             : reader.Read(m.start + off + got, dst, want_piece);
          if (k <= 0) break;  // errno is the first piece's when nothing was read
          const uint64_t end = got + uint64_t(k);
          const uint64_t from = std::max(got, fresh);
          if (hs && end > from) XXH3_64bits_update(hs, dst + (from - got), end - from);
          if (m.exec && options_.hash_exec_pages) {
            for (uint64_t p = std::max(got, (fresh + kPage - 1) & ~(kPage - 1)); p + kPage <= end;
                 p += kPage) {
              const uint8_t* page = dst + (p - got);
              if (!IsZeroPage(page)) st.page_hashes.push_back(PageHash(page));
            }
          }
          const bool last = uint64_t(k) < want_piece || end == len;
          if (feed) {
            if (got == 0) {
              yara_->Feed(ByteView(dst, size_t(k)), 0, last);
            } else {
              yara_->Feed(ByteView(ring_.data(), overlap_ + size_t(k)), got - overlap_, last);
            }
            fed_last = last;
          }
          got = end;
          if (last) break;
        }
        // A later piece failed: the chunk ends with the bytes read (the ring's front holds the
        // last overlap_ of them, which is all the prefilter may look at again).
        if (feed && got > 0 && !fed_last)
          yara_->Feed(ByteView(ring_.data(), overlap_), got - overlap_, true);
        if (got == 0) {
          if (off == 0 && IsPermissionError(errno)) ++r.stats.regions_denied;
          if (off == 0) {
            char addr[24];
            std::snprintf(addr, sizeof addr, "%llx", static_cast<unsigned long long>(m.start));
            r.errors.push_back("unreadable " + Perms(m) + " " + m.path + " at 0x" + addr + ": " +
                               std::strerror(errno));
          }
          break;
        }
        const uint64_t n = got;
        r.stats.bytes_read += n;
        proc_bytes += n;
        pass_bytes_ += n;
        if (scan) {
          match::ChunkScanCounters counters;
          Status sc = Ok();
          if (feed) {
            // Only segments the prefilter let through are read again, for libyara.
            auto reread = [&](size_t at, size_t seg_len) -> ByteView {
              if (buf_.size() < seg_len) buf_.resize(std::max<size_t>(seg_len, kPiece));
              ssize_t k = reader.Read(m.start + off + at, buf_.data(), seg_len);
              return ByteView(buf_.data(), k > 0 ? size_t(k) : 0);
            };
            sc = yara_->FinishChunk(reread, &matches_, &counters);
          } else if (yara_) {
            sc = yara_->ScanChunk(ByteView(buf_.data(), size_t(n)), m.start + off, &matches_,
                                  &counters);
          }
          r.stats.bytes_yara += counters.bytes_yara;
          r.stats.bytes_prefiltered += counters.bytes_prefiltered;
          if (!sc) {
            r.errors.push_back("yara on " + (m.path.empty() ? "anonymous memory" : m.path) + ": " +
                               sc.error().message());
          }
        }
        done = off + n;
        if (!RateLimit(n)) {
          r.interrupted = true;
          break;
        }
        if (n < len || done >= want) break;
        off = done - overlap_;
      }
      *hash_out = hs ? XXH3_64bits_digest(hs) : 0;
      if (hs) XXH3_freeState(hs);
      return done;
    };
    matches_.clear();
    uint64_t done = 0;
    if (options_.skip_unchanged && it != cache_.end()) {
      // Seen last pass: a cheap hash-only read decides whether YARA must look again.
      done = read_pass(false, &st.hash);
      if (r.interrupted) break;  // a prefix's hash says nothing about the region
      if (done > 0 && it->second.hash == st.hash) {
        ++r.stats.regions_unchanged;
        it->second.seen_pass = pass_;
        it->second.page_hashes = std::move(st.page_hashes);
        emit_cached(it->second);
        if (*reader.method()) r.read_method = reader.method();
        continue;
      }
    }
    if (done > 0 || it == cache_.end() || !options_.skip_unchanged)
      done = read_pass(true, &st.hash);
    if (*reader.method()) r.read_method = reader.method();
    if (done == 0) {
      ++r.stats.regions_unreadable;
      continue;
    }
    ++r.stats.regions_scanned;
    // One hit per rule per region: the first address.
    for (const match::RuleMatch& rm : matches_) {
      bool dup = false;
      for (YaraHit& h : st.hits) {
        if (h.rule == rm.rule) {
          if (rm.address - m.start < h.address) {
            h.address = rm.address - m.start;
            h.string_id = rm.string_id;
          }
          dup = true;
        }
      }
      if (!dup) st.hits.push_back({rm.rule, 0, 0, "", "", rm.address - m.start, rm.string_id});
    }
    emit_cached(st);
    // A budget-capped region is cached for the prefix it covered (the same prefix next pass).
    // A one-shot pass remembers only shared ranges: private ones are never seen again.
    st.covered = done;
    if (done >= want && !r.interrupted && (shared_ro || !options_.one_shot))
      cache_[key] = std::move(st);
  }
  r.denied = r.denied || (r.stats.regions_denied > 0 && r.read_method.empty());
  return r;
}

}  // namespace mw::hostscan
