// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/proc_parsers.h"

#include <charconv>
#include <cstring>

namespace mw::hostscan {
namespace {

// Splits on runs of spaces/tabs; at most "max" fields (the last keeps the rest of the line).
size_t SplitFields(std::string_view line, std::string_view* out, size_t max) {
  size_t n = 0;
  size_t i = 0;
  while (n < max) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    if (n + 1 == max) {
      out[n++] = line.substr(i);
      break;
    }
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out[n++] = line.substr(i, j - i);
    i = j;
  }
  return n;
}

template <typename T>
bool ParseNum(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Calls fn(line) for each '\n'-separated line (the last may be unterminated).
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return !s.empty();
}

// "0100007F:0CEA" (v4) or 32 hex digits ":" port (v6); words are in the kernel's byte order.
bool ParseNetAddress(std::string_view s, bool v6, IpAddress* ip, uint16_t* port) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view addr = s.substr(0, colon);
  if (!ParseNum(s.substr(colon + 1), port, 16)) return false;
  size_t words = v6 ? 4 : 1;
  if (addr.size() != words * 8) return false;
  uint8_t bytes[16];
  for (size_t w = 0; w < words; ++w) {
    uint32_t v;
    if (!ParseNum(addr.substr(w * 8, 8), &v, 16)) return false;
    std::memcpy(bytes + 4 * w, &v, 4);
  }
  *ip = v6 ? IpAddress::FromV6(bytes) : IpAddress::FromV4(bytes);
  return true;
}

}  // namespace

bool Mapping::deleted() const {
  constexpr std::string_view kSuffix = " (deleted)";
  return path.size() >= kSuffix.size() &&
         std::string_view(path).substr(path.size() - kSuffix.size()) == kSuffix;
}

std::vector<Mapping> ParseMaps(std::string_view text, ParseStats* stats) {
  std::vector<Mapping> out;
  ParseStats local;
  ForEachLine(text, [&](std::string_view line) {
    if (line.empty()) return;
    std::string_view f[6];
    size_t n = SplitFields(line, f, 6);
    if (n >= 1 && f[0].ends_with(':')) {  // an smaps detail line of the mapping above
      uint64_t kb = 0;
      if (!out.empty() && (f[0] == "Rss:" || f[0] == "Swap:") && n >= 2 && ParseNum(f[1], &kb)) {
        out.back().residency_known = true;
        out.back().resident_bytes += kb * 1024;
      }
      return;
    }
    ++local.lines;
    Mapping m;
    size_t dash = f[0].find('-');
    size_t colon = n >= 4 ? f[3].find(':') : std::string_view::npos;
    if (n < 5 || dash == std::string_view::npos || f[1].size() != 4 ||
        colon == std::string_view::npos || !ParseNum(f[0].substr(0, dash), &m.start, 16) ||
        !ParseNum(f[0].substr(dash + 1), &m.end, 16) || m.end < m.start ||
        !ParseNum(f[2], &m.offset, 16) || !ParseNum(f[3].substr(0, colon), &m.dev_major, 16) ||
        !ParseNum(f[3].substr(colon + 1), &m.dev_minor, 16) || !ParseNum(f[4], &m.inode)) {
      ++local.bad_lines;
      return;
    }
    m.read = f[1][0] == 'r';
    m.write = f[1][1] == 'w';
    m.exec = f[1][2] == 'x';
    m.shared = f[1][3] == 's';
    if (n == 6) m.path = std::string(f[5]);
    out.push_back(std::move(m));
  });
  if (stats) *stats = local;
  return out;
}

std::vector<SocketEntry> ParseProcNet(std::string_view text, bool udp, bool v6, ParseStats* stats) {
  std::vector<SocketEntry> out;
  ParseStats local;
  bool header = true;
  ForEachLine(text, [&](std::string_view line) {
    if (header) {  // "  sl  local_address rem_address ..."
      header = false;
      return;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    ++local.lines;
    std::string_view f[11];
    size_t n = SplitFields(line, f, 11);
    SocketEntry e;
    e.udp = udp;
    if (n < 10 || !ParseNetAddress(f[1], v6, &e.local, &e.local_port) ||
        !ParseNetAddress(f[2], v6, &e.remote, &e.remote_port) || !ParseNum(f[3], &e.state, 16) ||
        !ParseNum(f[9], &e.inode)) {
      ++local.bad_lines;
      return;
    }
    out.push_back(e);
  });
  if (stats) *stats = local;
  return out;
}

std::optional<ProcStat> ParseStat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcStat st;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after comm, numbered from 3 (state) as in proc(5).
  std::string_view f[20];
  size_t n = SplitFields(text.substr(close + 1), f, 20);
  if (n < 20 || f[0].size() != 1) return std::nullopt;
  st.state = f[0][0];
  if (!ParseNum(f[1], &st.ppid) || !ParseNum(f[6], &st.flags) || !ParseNum(f[11], &st.utime) ||
      !ParseNum(f[12], &st.stime) || !ParseNum(f[17], &st.num_threads)) {
    return std::nullopt;
  }
  // starttime is field 22 (index 19), the last one we split off: it carries the rest.
  std::string_view rest = f[19];
  size_t sp = rest.find_first_of(" \t\n");
  if (!ParseNum(rest.substr(0, sp), &st.start_time)) return std::nullopt;
  return st;
}

std::optional<uint32_t> ParseStatusUid(std::string_view text) {
  std::optional<uint32_t> uid;
  ForEachLine(text, [&](std::string_view line) {
    if (uid || line.substr(0, 4) != "Uid:") return;
    std::string_view f[2];
    if (SplitFields(line.substr(4), f, 2) >= 1) {
      std::string_view first = f[0];
      uint32_t v;
      if (ParseNum(first, &v)) uid = v;
    }
  });
  return uid;
}

ContainerInfo ParseCgroup(std::string_view text) {
  ContainerInfo info;
  // Looks for a 64-hex run in the cgroup path and names the runtime from the text around it.
  ForEachLine(text, [&](std::string_view line) {
    if (!info.id.empty()) return;
    size_t i = 0;
    while (i < line.size()) {
      size_t j = i;
      while (j < line.size() && IsHex(line.substr(j, 1))) ++j;
      if (j - i == 64) {
        info.id = std::string(line.substr(i, 64));
        if (line.find("docker") != std::string_view::npos)
          info.runtime = "docker";
        else if (line.find("libpod") != std::string_view::npos)
          info.runtime = "podman";
        else if (line.find("cri-containerd") != std::string_view::npos ||
                 line.find("containerd") != std::string_view::npos)
          info.runtime = "containerd";
        else if (line.find("crio") != std::string_view::npos)
          info.runtime = "cri-o";
        else if (line.find("kubepods") != std::string_view::npos)
          info.runtime = "kubernetes";
        else
          info.runtime = "unknown";
        return;
      }
      i = j == i ? i + 1 : j;
    }
    size_t lxc = line.find("/lxc/");
    if (lxc == std::string_view::npos) lxc = line.find("lxc.payload.");
    if (lxc != std::string_view::npos) {
      std::string_view rest = line.substr(lxc + (line[lxc] == '/' ? 5 : 12));
      info.id = std::string(rest.substr(0, rest.find('/')));
      info.runtime = "lxc";
    }
  });
  return info;
}

std::vector<std::string> ParseCmdline(std::string_view bytes) {
  std::vector<std::string> argv;
  while (!bytes.empty()) {
    size_t nul = bytes.find('\0');
    argv.emplace_back(bytes.substr(0, nul));
    if (nul == std::string_view::npos) break;
    bytes.remove_prefix(nul + 1);  // a trailing NUL ends the list, it adds no empty argument
  }
  return argv;
}

std::optional<uint64_t> ParseSocketLink(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() < kPrefix.size() + 2 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  uint64_t inode;
  if (!ParseNum(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1), &inode)) {
    return std::nullopt;
  }
  return inode;
}

}  // namespace mw::hostscan
