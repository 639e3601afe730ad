// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/persistence.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hostscan/process.h"
#include "mw/net/ip_address.h"

namespace mw::hostscan {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsAny(std::string_view hay, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (hay.find(n) != std::string_view::npos) return true;
  }
  return false;
}

// A run of >= 80 base64 characters: an encoded payload rather than a word or a path.
bool HasBase64Blob(std::string_view s) {
  size_t run = 0;
  for (char c : s) {
    bool b64 = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
    run = b64 ? run + 1 : 0;
    if (run >= 80) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Collects the blind spots of one scan, each named once.
class Blind {
 public:
  explicit Blind(const std::string& root) : root_(root) {}
  // "abs" could not be read or listed because of "why".
  void Add(const std::string& abs, const std::string& why) {
    std::string entry = abs + ": " + why;
    if (std::find(list_.begin(), list_.end(), entry) == list_.end()) list_.push_back(entry);
  }
  // Looking up "abs" failed with "e": ENOENT/ENOTDIR mean it is not there, which is fine;
  // a folder above it that may not be searched is the blind spot.
  void AddLookupError(const std::string& abs, int e) {
    if (e == ENOENT || e == ENOTDIR || e == 0) return;
    std::string at = abs;
    if (e == EACCES) {
      for (fs::path p = fs::path(abs).parent_path(); p.has_relative_path(); p = p.parent_path()) {
        if (access(JoinRoot(root_, p.string()).c_str(), X_OK) != 0 && errno == EACCES)
          at = p.string();
      }
    }
    Add(at, std::strerror(e));
  }
  std::vector<std::string>& list() { return list_; }

 private:
  const std::string& root_;
  std::vector<std::string> list_;
};

struct Location {
  std::string path;  // absolute inside root; a directory means its files (recursively for systemd)
  const char* kind;
  const char* attack;
  bool recursive = false;
};

std::vector<Location> Locations(const std::string& root, Blind& blind) {
  std::vector<Location> locs = {
      {"/etc/crontab", "cron", "T1053.003"},
      {"/etc/cron.d", "cron", "T1053.003"},
      {"/etc/cron.hourly", "cron", "T1053.003"},
      {"/etc/cron.daily", "cron", "T1053.003"},
      {"/etc/cron.weekly", "cron", "T1053.003"},
      {"/etc/cron.monthly", "cron", "T1053.003"},
      {"/var/spool/cron", "cron", "T1053.003", true},
      {"/etc/systemd/system", "systemd", "T1543.002", true},
      {"/lib/systemd/system", "systemd", "T1543.002", true},
      {"/usr/lib/systemd/system", "systemd", "T1543.002", true},
      {"/etc/systemd/user", "systemd", "T1543.002", true},
      {"/etc/rc.local", "rc", "T1037.004"},
      {"/etc/init.d", "rc", "T1037.004"},
      {"/etc/ld.so.preload", "ld.so.preload", "T1574.006"},
      {"/etc/profile", "profile", "T1546.004"},
      {"/etc/profile.d", "profile", "T1546.004"},
      {"/etc/bash.bashrc", "profile", "T1546.004"},
      {"/etc/environment", "profile", "T1546.004"},
  };
  std::vector<std::string> homes = {"/root"};
  std::error_code ec;
  for (auto it = fs::directory_iterator(JoinRoot(root, "/home"), ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec)) homes.push_back("/home/" + it->path().filename().string());
  }
  if (ec) blind.AddLookupError("/home", ec.value());
  for (const auto& h : homes) {
    for (const char* f : {"/.bashrc", "/.profile", "/.bash_profile", "/.bash_login", "/.zshrc"}) {
      locs.push_back({h + f, "profile", "T1546.004"});
    }
    locs.push_back({h + "/.ssh/authorized_keys", "authorized_keys", "T1098.004"});
    locs.push_back({h + "/.ssh/authorized_keys2", "authorized_keys", "T1098.004"});
    locs.push_back({h + "/.config/systemd/user", "systemd", "T1543.002", true});
  }
  return locs;
}

// Paths a Debian package owns (from /var/lib/dpkg/info/*.list), for the ld.so.preload check.
bool DpkgOwns(const std::string& root, std::string_view path) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(JoinRoot(root, "/var/lib/dpkg/info"), ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    if (it->path().extension() != ".list") continue;
    auto text = ReadSmallFile(it->path().string(), 8u << 20);
    if (!text) continue;
    size_t pos = 0;
    while ((pos = text->find(path, pos)) != std::string::npos) {
      bool start = pos == 0 || (*text)[pos - 1] == '\n';
      size_t end = pos + path.size();
      if (start && (end == text->size() || (*text)[end] == '\n')) return true;
      pos = end;
    }
  }
  return false;
}

void ScanFile(const std::string& root, const std::string& abs, const Location& loc,
              const PersistenceOptions& o, std::vector<PersistenceHit>* hits, Blind& blind) {
  std::string real = JoinRoot(root, abs);
  auto text = ReadSmallFile(real, o.max_file_bytes);
  if (!text) {
    if (errno != ENOENT) blind.Add(abs, std::strerror(errno));
    return;
  }
  bool systemd = std::string_view(loc.kind) == "systemd";
  bool preload = std::string_view(loc.kind) == "ld.so.preload";
  std::string_view t = *text;
  uint64_t line_no = 0;
  while (!t.empty()) {
    size_t nl = t.find('\n');
    std::string_view line = t.substr(0, nl);
    t.remove_prefix(nl == std::string_view::npos ? t.size() : nl + 1);
    ++line_no;
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#' || trimmed[0] == ';') continue;
    std::vector<AutostartReason> reasons;
    if (systemd) {
      // Only what a unit runs matters; Description= lines may legitimately mention anything.
      if (!trimmed.starts_with("Exec")) continue;
    }
    reasons = ClassifyLine(trimmed, o.miner_paths);
    std::vector<std::string> hosts;
    if (o.with_hosts) hosts = HostsInLine(trimmed);
    if (preload) {
      // Any library preloaded into every process that no Debian package ships.
      std::string lib(trimmed.substr(0, trimmed.find_first_of(" \t:")));
      if (!DpkgOwns(root, lib)) {
        reasons.push_back({AutostartReason::Kind::kForeignPreload,
                           "library preloaded into every process is not from a Debian package"});
      }
    }
    if (reasons.empty() && hosts.empty()) continue;
    PersistenceHit h;
    h.file = abs;
    h.line = line_no;
    h.text = std::string(trimmed.substr(0, 512));
    h.kind = loc.kind;
    h.attack = loc.attack;
    if (systemd && abs.ends_with(".timer")) h.attack = "T1053.006";
    h.reasons = std::move(reasons);
    h.hosts = std::move(hosts);
    hits->push_back(std::move(h));
  }
}

// System binaries whose md5 differs from what dpkg installed (a trojaned ps/top hiding a miner).
void CheckSystemBinaries(const PersistenceOptions& o, std::vector<PersistenceHit>* hits,
                         std::vector<std::string>* errors, Blind& blind, bool* interrupted) {
  std::error_code ec;
  uint64_t budget = o.max_binary_bytes;
  // dpkg-divert'ed paths hold another package's file by design (postgresql-common's pg_config):
  // the diversions file is triplets of lines "from / to / package".
  std::vector<std::string> diverted;
  if (auto div = ReadSmallFile(JoinRoot(o.root, "/var/lib/dpkg/diversions"), 4u << 20)) {
    std::string_view d = *div;
    for (size_t n = 0; !d.empty(); ++n) {
      size_t nl = d.find('\n');
      if (n % 3 == 0) diverted.emplace_back(d.substr(0, nl));
      d.remove_prefix(nl == std::string_view::npos ? d.size() : nl + 1);
    }
  }
  for (auto it = fs::directory_iterator(JoinRoot(o.root, "/var/lib/dpkg/info"), ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    if (o.stop.stop_requested()) {
      *interrupted = true;
      return;
    }
    if (it->path().extension() != ".md5sums") continue;
    auto text = ReadSmallFile(it->path().string(), 16u << 20);
    if (!text) continue;
    std::string_view t = *text;
    while (!t.empty()) {
      size_t nl = t.find('\n');
      std::string_view line = t.substr(0, nl);
      t.remove_prefix(nl == std::string_view::npos ? t.size() : nl + 1);
      if (line.size() < 35 || line[32] != ' ') continue;
      std::string_view md5 = line.substr(0, 32);
      std::string rel(Trim(line.substr(33)));
      if (!(rel.starts_with("bin/") || rel.starts_with("sbin/") || rel.starts_with("usr/bin/") ||
            rel.starts_with("usr/sbin/"))) {
        continue;
      }
      std::string abs = "/" + rel;
      if (std::find(diverted.begin(), diverted.end(), abs) != diverted.end()) continue;
      std::string real = JoinRoot(o.root, abs);
      struct stat st;
      if (lstat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // diverted/removed
      if (uint64_t(st.st_size) > budget) {
        if (errors) errors->push_back("system-binary check stopped: byte budget reached");
        return;
      }
      budget -= uint64_t(st.st_size);
      auto got = Md5File(real);
      if (!got && access(real.c_str(), R_OK) != 0 && errno == EACCES)
        blind.Add(abs, "not readable");
      if (!got || *got == md5) continue;
      PersistenceHit h;
      h.file = abs;
      h.kind = kSystemBinaryKind;
      h.attack = "T1036.005";
      h.text = "md5 " + *got + " != dpkg " + std::string(md5) + " (" +
               it->path().filename().string() + ")";
      h.reasons.push_back({AutostartReason::Kind::kReplacedBinary,
                           "system binary differs from the file its Debian package installed"});
      hits->push_back(std::move(h));
    }
  }
  if (ec) blind.AddLookupError("/var/lib/dpkg/info", ec.value());
}

// The regular files of folder "abs" (and of its subfolders when "recursive"; symlinked folders
// are not followed, symlinked files are). A folder that cannot be listed is a blind spot.
void ListFiles(const std::string& root, const std::string& abs, bool recursive, int depth,
               std::vector<std::string>* files, Blind& blind) {
  std::error_code ec;
  fs::directory_iterator it(JoinRoot(root, abs), ec);
  for (; !ec && it != fs::end(it); it.increment(ec)) {
    std::error_code entry_ec;
    std::string child = abs + "/" + it->path().filename().string();
    if (recursive && it->is_directory(entry_ec) && !it->is_symlink(entry_ec)) {
      if (depth < 16) ListFiles(root, child, true, depth + 1, files, blind);
    } else if (it->is_regular_file(entry_ec)) {
      files->push_back(child);
    }
  }
  if (ec) blind.AddLookupError(abs, ec.value());
}

}  // namespace

std::vector<AutostartReason> ClassifyLine(std::string_view line,
                                          std::span<const std::string> miner_paths) {
  using Kind = AutostartReason::Kind;
  std::vector<AutostartReason> reasons;
  std::string l = Lower(line.substr(0, 64 * 1024));
  bool downloads = ContainsAny(l, {"curl ", "curl\t", "wget ", "wget\t", "/curl", "/wget", "fetch ",
                                   "tftp ", "lwp-download", "/dev/tcp/"});
  bool runs = ContainsAny(
      l, {"|sh",        "| sh",   "|bash",   "| bash",   "| /bin/sh", "| /bin/bash", "|/bin/sh",
          "|/bin/bash", "sh -c",  "bash -c", "chmod +x", "chmod 777", "| python",    "|python",
          "| perl",     "$(curl", "$(wget",  "`curl",    "`wget",     "&& ./",       "; ./"});
  if (downloads && runs) reasons.push_back({Kind::kDownloadsAndRuns, "downloads and runs code"});
  if (ContainsAny(l, {"base64 -d", "base64 --decode", "base64 -di", "b64decode"}) ||
      HasBase64Blob(line)) {
    reasons.push_back({Kind::kBase64Payload, "base64-encoded payload"});
  }
  if (ContainsAny(l,
                  {"stratum+tcp://",     "stratum+ssl://", "stratum+tls://", "stratum2+tcp://",
                   "stratum://",         "nanopool.org",   "minexmr.com",    "supportxmr.com",
                   "moneroocean.stream", "2miners.com",    "f2pool.com",     "hashvault.pro",
                   "c3pool.com",         "herominers.com", "nicehash.com",   "unmineable.com",
                   "xmrpool.eu",         "monerohash.com", "ethermine.org",  "pool.hashvault"})) {
    reasons.push_back({Kind::kPoolReference, "references a mining pool"});
  }
  if (ContainsAny(
          l, {"xmrig",         "xmr-stak",  "cpuminer",       "ccminer",        "cgminer",
              "bfgminer",      "minerd",    "t-rex",          "lolminer",       "nbminer",
              "phoenixminer",  "nanominer", "srbminer",       "teamredminer",   "gminer",
              "kdevtmpfsi",    "kinsing",   "--donate-level", "--randomx-mode", "--coin=monero",
              "--coin monero", "-a rx/0",   "--algo=rx/0",    "--algo rx/0",    "cryptonight"})) {
    reasons.push_back({Kind::kMinerNamed, "names a miner program or miner option"});
  }
  for (const std::string& p : miner_paths) {
    if (!p.empty() && line.find(p) != std::string_view::npos) {
      reasons.push_back({Kind::kMinerFile, "points at a detected miner's file " + p});
      break;
    }
  }
  return reasons;
}

std::vector<std::string> HostsInLine(std::string_view line) {
  constexpr size_t kMaxHosts = 32;
  std::vector<std::string> hosts;
  auto host_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  };
  size_t i = 0;
  while (i < line.size() && hosts.size() < kMaxHosts) {
    if (!host_char(line[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < line.size() && host_char(line[i])) ++i;
    std::string_view tok = line.substr(start, i - start);
    // A path component ("/opt/a.sh"), unless it follows a URL's "//" ("http://host").
    bool in_path = start > 0 && line[start - 1] == '/' && !(start > 1 && line[start - 2] == '/');
    if (in_path) continue;
    while (!tok.empty() && (tok.front() == '.' || tok.front() == '-')) tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == '.' || tok.back() == '-')) tok.remove_suffix(1);
    if (tok.size() < 4 || tok.size() > 253 || tok.find('.') == std::string_view::npos) continue;
    // Every label 1..63 long; the last one alphabetic (a TLD) or the whole token an IPv4 literal.
    bool ok = true;
    size_t labels = 0;
    bool all_numeric = true;
    std::string_view last;
    for (size_t pos = 0; pos <= tok.size();) {
      size_t dot = tok.find('.', pos);
      if (dot == std::string_view::npos) dot = tok.size();
      std::string_view label = tok.substr(pos, dot - pos);
      if (label.empty() || label.size() > 63) ok = false;
      for (char c : label) all_numeric &= c >= '0' && c <= '9';
      last = label;
      ++labels;
      pos = dot + 1;
    }
    if (!ok) continue;
    bool tld = last.size() >= 2 && std::all_of(last.begin(), last.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
               });
    bool ipv4 = all_numeric && labels == 4 && IpAddress::Parse(tok).has_value();
    if (!tld && !ipv4) continue;
    std::string host = Lower(tok);
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end())
      hosts.push_back(std::move(host));
  }
  return hosts;
}

std::vector<PersistenceHit> ScanPersistence(const PersistenceOptions& options,
                                            std::vector<std::string>* errors,
                                            PersistenceCoverage* coverage) {
  std::vector<PersistenceHit> hits;
  Blind blind(options.root);
  bool interrupted = false;
  for (const Location& loc : Locations(options.root, blind)) {
    if (options.stop.stop_requested()) {
      interrupted = true;
      break;
    }
    std::string real = JoinRoot(options.root, loc.path);
    std::error_code ec;
    fs::file_status st = fs::status(real, ec);
    if (ec || !fs::exists(st)) {
      blind.AddLookupError(loc.path, ec.value());
    } else if (fs::is_directory(st)) {
      std::vector<std::string> files;
      ListFiles(options.root, loc.path, loc.recursive, 0, &files, blind);
      std::sort(files.begin(), files.end());
      for (const auto& f : files) ScanFile(options.root, f, loc, options, &hits, blind);
    } else {
      ScanFile(options.root, loc.path, loc, options, &hits, blind);
    }
  }
  if (options.check_system_binaries && !interrupted) {
    CheckSystemBinaries(options, &hits, errors, blind, &interrupted);
  }
  if (coverage) {
    coverage->unreadable = std::move(blind.list());
    coverage->interrupted = interrupted;
  } else if (errors) {
    for (const auto& u : blind.list()) errors->push_back("cannot read " + u);
  }
  return hits;
}

}  // namespace mw::hostscan
