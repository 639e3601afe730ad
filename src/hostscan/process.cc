// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace mw::hostscan {
namespace {

std::string ProcPath(const std::string& root, pid_t pid, const char* leaf) {
  return JoinRoot(root, "/proc/" + std::to_string(pid) + "/" + leaf);
}

std::optional<std::string> ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return std::nullopt;
  return std::string(buf, size_t(n));
}

bool InSuspiciousDir(const std::string& path) {
  for (std::string_view dir : {"/tmp/", "/dev/shm/", "/var/tmp/", "/run/user/"}) {
    if (path.starts_with(dir)) return true;
  }
  // A hidden directory anywhere on the path ("/root/.x/kworker", "/usr/lib/.../a").
  size_t pos = 0;
  while ((pos = path.find("/.", pos)) != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    if (next != std::string::npos) return true;  // a dot-dir, not a dot-file at the end
    pos += 2;
  }
  return false;
}

Result<std::string> DigestFile(const std::string& path, const EVP_MD* md, uint64_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(Error::IoError("open " + path + ": " + std::strerror(errno)));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  static thread_local std::vector<unsigned char> buf(1 << 20);
  uint64_t total = 0;
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return Fail(Error::IoError("read " + path + ": " + std::strerror(e)));
    }
    if (n == 0) break;
    total += uint64_t(n);
    if (total > max_bytes) {
      close(fd);
      return Fail(Error::Unsupported(path + ": larger than the hashing limit"));
    }
    EVP_DigestUpdate(ctx.get(), buf.data(), size_t(n));
  }
  close(fd);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    hex[2 * i] = kHex[out[i] >> 4];
    hex[2 * i + 1] = kHex[out[i] & 15];
  }
  return hex;
}

}  // namespace

std::string ProcessInfo::CmdlineString() const {
  std::string s;
  for (const auto& a : cmdline) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

std::string JoinRoot(const std::string& root, const std::string& abs_path) {
  if (root.empty() || root == "/") return abs_path;
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r + (abs_path.starts_with('/') ? "" : "/") + abs_path;
}

std::optional<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[16384];
  while (out.size() < max_bytes) {
    ssize_t n = read(fd, buf, std::min(sizeof(buf), max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      // ESRCH and friends when the process exits mid-read: keep what we have.
      break;
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
  }
  close(fd);
  return out;
}

Result<std::string> Sha256File(const std::string& path, uint64_t max_bytes) {
  return DigestFile(path, EVP_sha256(), max_bytes);
}
Result<std::string> Md5File(const std::string& path) { return DigestFile(path, EVP_md5(), ~0ull); }

std::vector<pid_t> ListPids(const std::string& root) {
  std::vector<pid_t> pids;
  DIR* d = opendir(JoinRoot(root, "/proc").c_str());
  if (!d) return pids;
  while (dirent* e = readdir(d)) {
    pid_t pid = 0;
    const char* name = e->d_name;
    auto [p, ec] = std::from_chars(name, name + std::strlen(name), pid);
    if (ec == std::errc() && *p == '\0' && pid > 0) pids.push_back(pid);
  }
  closedir(d);
  std::sort(pids.begin(), pids.end());
  return pids;
}

ProcReader::ProcReader(ReadOptions options) : options_(std::move(options)) {
  ticks_per_sec_ = sysconf(_SC_CLK_TCK);
  if (ticks_per_sec_ <= 0) ticks_per_sec_ = 100;
  if (auto stat = ReadSmallFile(JoinRoot(options_.root, "/proc/stat"))) {
    size_t pos = stat->find("\nbtime ");
    if (pos != std::string::npos) {
      const char* b = stat->data() + pos + 7;
      std::from_chars(b, stat->data() + stat->size(), boot_time_);
    }
  }
}

std::string ProcReader::UserName(uint32_t uid) {
  if (!passwd_loaded_) {
    passwd_loaded_ = true;
    if (auto text = ReadSmallFile(JoinRoot(options_.root, "/etc/passwd"))) {
      std::string_view t = *text;
      while (!t.empty()) {
        size_t nl = t.find('\n');
        std::string_view line = t.substr(0, nl);
        size_t c1 = line.find(':');
        size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
        uint32_t id;
        if (c3 != std::string_view::npos &&
            std::from_chars(line.data() + c2 + 1, line.data() + c3, id).ec == std::errc()) {
          passwd_.emplace_back(id, std::string(line.substr(0, c1)));
        }
        if (nl == std::string_view::npos) break;
        t.remove_prefix(nl + 1);
      }
    }
  }
  for (const auto& [id, name] : passwd_) {
    if (id == uid) return name;
  }
  return std::to_string(uid);
}

void ProcReader::ReadSockets(ProcessInfo& p) {
  // Socket inodes this process holds.
  std::vector<uint64_t> inodes;
  std::string fd_dir = ProcPath(options_.root, p.pid, "fd");
  DIR* d = opendir(fd_dir.c_str());
  if (!d) {
    p.unreadable.push_back("fd");
    p.access_denied |= errno == EACCES || errno == EPERM;
    return;
  }
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (auto link = ReadLink(fd_dir + "/" + e->d_name)) {
      if (auto inode = ParseSocketLink(*link)) inodes.push_back(*inode);
    }
  }
  closedir(d);
  if (inodes.empty()) return;
  std::sort(inodes.begin(), inodes.end());

  // The socket tables of the process's own network namespace, read once per namespace.
  std::string ns =
      ReadLink(ProcPath(options_.root, p.pid, "ns/net")).value_or("pid:" + std::to_string(p.pid));
  const std::vector<RemoteEndpoint>* table = nullptr;
  for (const auto& [key, sockets] : netns_cache_) {
    if (key == ns) table = &sockets;
  }
  if (!table) {
    std::vector<RemoteEndpoint> all;
    struct Kind {
      const char* file;
      bool udp, v6;
    };
    for (Kind k : {Kind{"tcp", false, false}, Kind{"tcp6", false, true}, Kind{"udp", true, false},
                   Kind{"udp6", true, true}}) {
      auto text = ReadSmallFile(
          ProcPath(options_.root, p.pid, (std::string("net/") + k.file).c_str()), 64u << 20);
      if (!text) continue;
      for (const SocketEntry& s : ParseProcNet(*text, k.udp, k.v6)) {
        all.push_back({k.file, s.local, s.local_port, s.remote, s.remote_port, s.state, s.inode});
      }
    }
    std::sort(all.begin(), all.end(),
              [](const RemoteEndpoint& a, const RemoteEndpoint& b) { return a.inode < b.inode; });
    netns_cache_.emplace_back(ns, std::move(all));
    table = &netns_cache_.back().second;
  }
  for (uint64_t inode : inodes) {
    auto it = std::lower_bound(table->begin(), table->end(), inode,
                               [](const RemoteEndpoint& e, uint64_t i) { return e.inode < i; });
    if (it != table->end() && it->inode == inode) p.sockets.push_back(*it);
  }
}

Result<ProcessInfo> ProcReader::Read(pid_t pid) {
  ProcessInfo p;
  p.pid = pid;
  auto stat_text = ReadSmallFile(ProcPath(options_.root, pid, "stat"));
  if (!stat_text) return Fail(Error::NotFound("process " + std::to_string(pid) + " not found"));
  auto st = ParseStat(*stat_text);
  if (!st) return Fail(Error::Corruption("unparsable /proc/" + std::to_string(pid) + "/stat"));
  p.ppid = st->ppid;
  p.comm = st->comm;
  p.state = st->state;
  p.threads = st->num_threads;
  p.cpu_ticks = st->utime + st->stime;
  p.start_time_ticks = st->start_time;
  if (boot_time_ > 0) p.start_time_unix = boot_time_ + int64_t(st->start_time) / ticks_per_sec_;
  constexpr uint64_t kPfKthread = 0x00200000;
  p.kernel_thread = (st->flags & kPfKthread) != 0 || pid == 2 || st->ppid == 2;

  if (auto status = ReadSmallFile(ProcPath(options_.root, pid, "status"))) {
    if (auto uid = ParseStatusUid(*status)) p.uid = *uid;
  }
  p.user = UserName(p.uid);
  if (auto cmd = ReadSmallFile(ProcPath(options_.root, pid, "cmdline"), 1u << 20)) {
    p.cmdline = ParseCmdline(*cmd);
    while (!p.cmdline.empty() && p.cmdline.back().empty()) p.cmdline.pop_back();
  }
  if (auto cg = ReadSmallFile(ProcPath(options_.root, pid, "cgroup")))
    p.container = ParseCgroup(*cg);
  if (p.kernel_thread) return p;

  std::string exe_link = ProcPath(options_.root, pid, "exe");
  if (auto exe = ReadLink(exe_link)) {
    constexpr std::string_view kDeleted = " (deleted)";
    if (exe->ends_with(kDeleted)) {
      p.exe_deleted = true;
      exe->resize(exe->size() - kDeleted.size());
    }
    p.exe = *exe;
    p.exe_memfd = p.exe.starts_with("/memfd:");
    p.exe_suspicious_dir = InSuspiciousDir(p.exe);
    if (options_.hash_exe) {
      // Hash through /proc/PID/exe: the kernel keeps the inode, so deleted files still hash.
      if (auto h = Sha256File(exe_link, options_.max_exe_hash_bytes)) {
        p.exe_sha256 = *h;
      } else {
        p.unreadable.push_back("exe");
      }
    }
  } else {
    p.unreadable.push_back("exe");
    p.access_denied |= errno == EACCES || errno == EPERM;
  }
  if (auto cwd = ReadLink(ProcPath(options_.root, pid, "cwd"))) p.cwd = *cwd;
  if (options_.read_sockets) ReadSockets(p);
  return p;
}

bool SleepUnlessStopped(std::chrono::nanoseconds d, const std::stop_token& stop) {
  if (!stop.stop_possible()) {
    std::this_thread::sleep_for(d);
    return true;
  }
  // condition_variable_any registers a stop callback that wakes this wait at once.
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

void SampleCpu(std::vector<ProcessInfo>& procs, const std::string& root, int interval_ms,
               std::stop_token stop) {
  auto ticks = [&](pid_t pid) -> std::optional<uint64_t> {
    auto text = ReadSmallFile(ProcPath(root, pid, "stat"));
    if (!text) return std::nullopt;
    auto st = ParseStat(*text);
    if (!st) return std::nullopt;
    return st->utime + st->stime;
  };
  std::vector<std::optional<uint64_t>> before;
  before.reserve(procs.size());
  for (const auto& p : procs) before.push_back(ticks(p.pid));
  auto t0 = std::chrono::steady_clock::now();
  SleepUnlessStopped(std::chrono::milliseconds(interval_ms), stop);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0) hz = 100;
  for (size_t i = 0; i < procs.size(); ++i) {
    auto after = ticks(procs[i].pid);
    if (!before[i] || !after || *after < *before[i] || secs <= 0) continue;
    procs[i].cpu_percent = 100.0 * double(*after - *before[i]) / double(hz) / secs;
  }
}

}  // namespace mw::hostscan
