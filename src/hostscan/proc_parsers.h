// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Pure parsers for /proc text files. They take the bytes of one file and never touch the file
// system, so a truncated or garbled file (a process that exited mid-read, a fuzzer) yields
// fewer entries, never a crash. Lines that do not parse are skipped and counted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/net/ip_address.h"

namespace mw::hostscan {

// One line of /proc/PID/maps.
struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  bool read = false;
  bool write = false;
  bool exec = false;
  bool shared = false;
  uint64_t offset = 0;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  uint64_t inode = 0;
  std::string path;  // "" for anonymous, "[heap]", "/usr/lib/x.so (deleted)", "/memfd:x"
  // From /proc/PID/smaps only (Rss + Swap): lets the scanner skip anonymous memory that was
  // reserved but never touched (Go and JVM heaps, sanitizer shadow), which reads back as zeros.
  bool residency_known = false;
  uint64_t resident_bytes = 0;
  uint64_t size() const { return end - start; }
  bool deleted() const;
  bool special() const { return !path.empty() && path[0] == '['; }      // [vvar], [stack]...
  bool file_backed() const { return !path.empty() && path[0] == '/'; }  // incl. "(deleted)"
};

struct ParseStats {
  uint64_t lines = 0;
  uint64_t bad_lines = 0;
};

// Parses /proc/PID/maps, or /proc/PID/smaps (the same lines, each followed by "Key: value kB"
// lines, of which Rss and Swap are kept).
std::vector<Mapping> ParseMaps(std::string_view text, ParseStats* stats = nullptr);

// One socket from /proc/PID/net/{tcp,tcp6,udp,udp6}.
struct SocketEntry {
  IpAddress local;
  uint16_t local_port = 0;
  IpAddress remote;
  uint16_t remote_port = 0;
  uint8_t state = 0;  // TCP state number (1 established, 10 listen); UDP 7 unconnected
  uint64_t inode = 0;
  bool udp = false;
};
std::vector<SocketEntry> ParseProcNet(std::string_view text, bool udp, bool v6,
                                      ParseStats* stats = nullptr);

// The fields of /proc/PID/stat minerwatch uses. The comm field may hold spaces and ')', so
// parsing anchors on the last ')'.
struct ProcStat {
  std::string comm;
  char state = '?';
  int ppid = 0;
  uint64_t utime = 0;  // clock ticks
  uint64_t stime = 0;
  int64_t num_threads = 0;
  uint64_t start_time = 0;  // clock ticks after boot
  uint64_t flags = 0;
};
std::optional<ProcStat> ParseStat(std::string_view text);

// Uid (real) from /proc/PID/status.
std::optional<uint32_t> ParseStatusUid(std::string_view text);

// Container id and runtime from /proc/PID/cgroup (docker, containerd/cri, podman/libpod,
// kubepods, lxc). Empty when the process is not in a recognised container.
struct ContainerInfo {
  std::string id;       // 64-hex (or as found)
  std::string runtime;  // "docker", "containerd", "podman", "kubernetes", "lxc"
};
ContainerInfo ParseCgroup(std::string_view text);

// NUL-separated argv → vector (the last element may lack its NUL).
std::vector<std::string> ParseCmdline(std::string_view bytes);

// "socket:[12345]" → 12345.
std::optional<uint64_t> ParseSocketLink(std::string_view link);

}  // namespace mw::hostscan
