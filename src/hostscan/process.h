// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the host agent knows about one process, read from <root>/proc. Every field is best
// effort: a process may exit between two reads, and without CAP_SYS_PTRACE some files are
// unreadable. Missing data is recorded in "unreadable", never an error.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "hostscan/proc_parsers.h"
#include "mw/core/result.h"

namespace mw::hostscan {

struct RemoteEndpoint {
  std::string proto;  // "tcp", "tcp6", "udp", "udp6"
  IpAddress local;
  uint16_t local_port = 0;
  IpAddress remote;
  uint16_t remote_port = 0;
  uint8_t state = 0;
  uint64_t inode = 0;
};

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;
  char state = '?';
  bool kernel_thread = false;
  uint32_t uid = 0;
  std::string user;  // from <root>/etc/passwd, else the number
  std::string exe;   // readlink of /proc/PID/exe, " (deleted)" stripped
  bool exe_deleted = false;
  bool exe_memfd = false;
  bool exe_suspicious_dir = false;  // /tmp, /dev/shm, /var/tmp, a hidden dot-dir
  std::string exe_sha256;           // of /proc/PID/exe, so deleted files still hash
  uint64_t exe_size = 0;
  std::vector<std::string> cmdline;
  std::string cwd;
  uint64_t start_time_ticks = 0;
  int64_t start_time_unix = 0;  // seconds; 0 when boot time is unknown
  int64_t threads = 0;
  uint64_t cpu_ticks = 0;   // utime + stime
  double cpu_percent = -1;  // over the sampling interval; -1 when not sampled
  ContainerInfo container;
  std::vector<RemoteEndpoint> sockets;  // the process's sockets, from its own netns tables
  std::vector<std::string> unreadable;  // "exe", "maps", "fd", ... that could not be read
  // Of those, something was refused for lack of permission (another user's process without root
  // or CAP_SYS_PTRACE): the scan could not look, which is not the process having exited.
  bool access_denied = false;

  std::string CmdlineString() const;
};

struct ReadOptions {
  std::string root = "/";
  bool hash_exe = true;
  bool read_sockets = true;
  uint64_t max_exe_hash_bytes = 512ull << 20;  // do not hash huge executables
};

// Lists numeric entries of <root>/proc.
std::vector<pid_t> ListPids(const std::string& root);

// Reads processes of one root. Caches per pass what many processes share (user names, boot
// time, the socket tables of each network namespace); make a new reader per pass.
// Thread-compatible.
class ProcReader {
 public:
  explicit ProcReader(ReadOptions options);
  // Fails only when the process does not exist (or /proc/PID/stat is gone or garbled).
  Result<ProcessInfo> Read(pid_t pid);
  const ReadOptions& options() const { return options_; }

 private:
  std::string UserName(uint32_t uid);
  void ReadSockets(ProcessInfo& p);

  ReadOptions options_;
  bool passwd_loaded_ = false;
  std::vector<std::pair<uint32_t, std::string>> passwd_;
  int64_t boot_time_ = 0;
  long ticks_per_sec_ = 100;
  // netns link ("net:[4026531840]") → its sockets.
  std::vector<std::pair<std::string, std::vector<RemoteEndpoint>>> netns_cache_;
};

// Reads a whole (small) file; /proc files report size 0 so this reads until EOF, at most
// "max_bytes". Nullopt when it cannot be opened.
std::optional<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 4u << 20);

// Hex sha256 / md5 of a file (streamed). Error when unreadable.
Result<std::string> Sha256File(const std::string& path, uint64_t max_bytes = ~0ull);
Result<std::string> Md5File(const std::string& path);

// Joins root and an absolute path: ("/mnt/img", "/etc/crontab") → "/mnt/img/etc/crontab".
std::string JoinRoot(const std::string& root, const std::string& abs_path);

// Samples CPU use of "pids" over "interval_ms" (fills cpu_percent). Processes that vanish keep -1.
// A stop request ends the wait early (cpu_percent then covers the shorter interval).
void SampleCpu(std::vector<ProcessInfo>& procs, const std::string& root, int interval_ms,
               std::stop_token stop = {});

// Waits "d", or less when "stop" is requested. False when it was cut short by the request: the
// host agent's waits (rate limiter, CPU sample) must not hold up `minerwatch up` stopping.
bool SleepUnlessStopped(std::chrono::nanoseconds d, const std::stop_token& stop);

}  // namespace mw::hostscan
