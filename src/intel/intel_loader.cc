// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/intel_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace mw::intel {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxFileBytes = 256ull << 20;
constexpr std::string_view kAllowSuffix = ".allow.tsv";
constexpr std::string_view kBlockSuffix = ".tsv";
constexpr std::string_view kAllowBroadFlag = " allow-broad";

// The header line of an intel dir file says whether its import allowed broad entries.
bool HeaderAllowsBroad(std::string_view text) {
  std::string_view head = text.substr(0, text.find('\n'));
  return head.starts_with("# minerwatch-intel") && head.find(kAllowBroadFlag) != head.npos;
}

void Warn(const IntelOptions& o, const std::string& where, const ImportStats& stats) {
  if (!o.warn) return;
  std::string d =
      DescribeRejections(stats, {RejectReason::kBroadPrefix, RejectReason::kPublicSuffix});
  if (!d.empty()) o.warn(where + ": skipped " + d);
}

std::string Errno(int err) { return std::strerror(err); }

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(Error::IoError("cannot write " + tmp + ": " + Errno(errno)));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(Error::IoError("cannot write " + tmp + ": " + Errno(err)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Fail(Error::IoError("cannot write " + tmp + ": " + Errno(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Fail(Error::IoError("cannot rename " + tmp + " to " + path + ": " + Errno(err)));
  }
  return Ok();
}

}  // namespace

std::string DescribeRejections(const ImportStats& stats, std::vector<RejectReason> reasons) {
  auto wanted = [&](RejectReason r) {
    return reasons.empty() || std::find(reasons.begin(), reasons.end(), r) != reasons.end();
  };
  uint64_t total = 0;
  std::string why;
  for (size_t i = 1; i < kRejectReasons; ++i) {
    auto r = static_cast<RejectReason>(i);
    if (!stats.rejected[i] || !wanted(r)) continue;
    total += stats.rejected[i];
    why += (why.empty() ? "" : "; ") + std::to_string(stats.rejected[i]) + " " +
           std::string(RejectReasonText(r));
    std::string ex;
    for (const auto& e : stats.examples) {
      if (e.reason != r) continue;
      ex += (ex.empty() ? "" : ", ") +
            (e.line ? "line " + std::to_string(e.line) + " " : std::string()) + "'" + e.text + "'";
    }
    if (!ex.empty()) why += " (" + ex + ")";
  }
  if (total == 0) return {};
  return std::to_string(total) + (total == 1 ? " entry: " : " entries: ") + why;
}

std::string DefaultIntelDir() {
  if (const char* state = std::getenv("MINERWATCH_STATE_DIR"); state && *state) {
    return std::string(state) + "/intel";
  }
  if (::geteuid() == 0) return "/var/lib/minerwatch/intel";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/minerwatch/intel";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/minerwatch/intel";
}

Result<std::string> ReadTextFile(const std::string& path) {
  // O_NONBLOCK: a FIFO with no writer must not block the open (it is refused below).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Fail(Error::IoError("cannot read " + path + ": " + Errno(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Fail(Error::IoError("cannot read " + path + ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    ::close(fd);
    return Fail(Error::InvalidArgument(path + ": larger than 256 MiB, not an intel list"));
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::read(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Fail(Error::IoError("cannot read " + path + ": " + Errno(err)));
    }
    if (n == 0) break;  // the file shrank while we read it
    off += static_cast<size_t>(n);
  }
  data.resize(off);
  ::close(fd);
  return data;
}

std::string SanitizeSourceName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  if (out.empty()) out = "source";
  return out;
}

Result<std::vector<std::string>> WriteSource(const std::string& dir, std::string_view source,
                                             std::string_view origin,
                                             const std::vector<Indicator>& indicators,
                                             bool allow_broad) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Error::IoError("cannot create " + dir + ": " + ec.message()));
  std::string name = SanitizeSourceName(source);
  std::vector<std::string> written;
  for (ListKind list : {ListKind::kBlock, ListKind::kAllow}) {
    std::string path =
        dir + "/" + name + std::string(list == ListKind::kAllow ? kAllowSuffix : kBlockSuffix);
    std::string data = "# minerwatch-intel v1 source=" + name +
                       " list=" + std::string(ListKindName(list)) +
                       (allow_broad ? std::string(kAllowBroadFlag) : "") + "\n# imported from: ";
    for (char c : origin) data.push_back(c == '\n' ? ' ' : c);
    data += "\n";
    size_t n = 0;
    for (const Indicator& ind : indicators) {
      if (ind.list != list) continue;
      data += TsvLine(ind);
      data += '\n';
      ++n;
    }
    if (n == 0) {
      fs::remove(path, ec);  // the source no longer has entries of this list
      continue;
    }
    MW_TRY(WriteFileAtomic(path, data));
    written.push_back(path);
  }
  return written;
}

Result<IntelStore> LoadIntel(const IntelOptions& options) {
  IntelStore store;
  if (options.load_defaults) {
    MW_TRY(store.LoadDefaults());
  }
  std::string dir = options.intel_dir.empty() ? DefaultIntelDir() : options.intel_dir;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    std::vector<std::string> files;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.ends_with(kBlockSuffix) && !name.starts_with('.')) files.push_back(name);
    }
    if (ec) return Fail(Error::IoError("cannot list " + dir + ": " + ec.message()));
    std::sort(files.begin(), files.end());  // deterministic "first source wins"
    for (const std::string& name : files) {
      bool allow = name.ends_with(kAllowSuffix);
      std::string source =
          name.substr(0, name.size() - (allow ? kAllowSuffix.size() : kBlockSuffix.size()));
      MW_ASSIGN(text, ReadTextFile(dir + "/" + name));
      auto stats =
          store.ImportText(text, ImportOptions{.format = Format::kTsv,
                                               .list = allow ? ListKind::kAllow : ListKind::kBlock,
                                               .source = source,
                                               .allow_broad = HeaderAllowsBroad(text)});
      if (!stats)
        return Fail(Error(stats.error().code(), dir + "/" + name + ": " + stats.error().message()));
      Warn(options, dir + "/" + name, *stats);
    }
  } else if (fs::exists(dir, ec)) {
    return Fail(Error::IoError("intel dir " + dir + " is not a directory"));
  }
  auto add_files = [&](const std::vector<std::string>& paths, ListKind list) -> Status {
    for (const std::string& path : paths) {
      MW_ASSIGN(text, ReadTextFile(path));
      auto stats = store.ImportText(
          text, ImportOptions{.list = list, .source = path.substr(path.find_last_of('/') + 1)});
      if (!stats) return Fail(Error(stats.error().code(), path + ": " + stats.error().message()));
      Warn(options, path, *stats);
    }
    return Ok();
  };
  MW_TRY(add_files(options.extra_files, ListKind::kBlock));
  MW_TRY(add_files(options.extra_allow_files, ListKind::kAllow));
  return store;
}

}  // namespace mw::intel
