// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "config/config_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "export/siem_format.h"
#include "intel/intel_loader.h"
#include "match/yara_rules.h"

namespace mw::config {
namespace {

namespace fs = std::filesystem;

// Collects "file:line: key: message" lines.
class Checker {
 public:
  explicit Checker(const ServiceConfig& c) : c_(c) {}

  void Error(const std::string& key, const std::string& msg) {
    errors_.push_back(KeyLocation(c_, key) + ": " + msg);
  }
  void Warn(const std::string& key, const std::string& msg) {
    report_.warnings.push_back(KeyLocation(c_, key) + ": " + msg);
  }

  void Secret(const std::string& key, const std::string& path) {
    if (path.empty()) return;
    if (auto s = ReadSecretFile(path, "secret file"); !s) {
      Error(key, s.error().message() + " (expected a readable file holding the secret)");
    }
  }

  // YARA accepts a file or a directory of *.yar/*.yara files (YaraRules::Load).
  void Yara(const std::string& key, const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Error(key, path + ": " + std::strerror(errno) + " (expected a YARA rule file)");
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      return Error(key, path + ": not a regular file (expected a YARA rule file or directory)");
    }
    if (::access(path.c_str(), R_OK) != 0) {
      return Error(key, path + ": " + std::strerror(errno) + " (expected a readable file)");
    }
    if (auto r = match::YaraRules::Load(false, {path}); !r) {
      Error(key, "does not compile: " + r.error().message());
    }
  }

  // The very load the sensor and the host agent do at start-up (intel::LoadIntel).
  void Intel() {
    const auto& s = c_.sensor;
    for (size_t i = 0; i < s.intel_files.size(); ++i) {
      std::string key = "sensor.intel_files[" + std::to_string(i) + "]";
      intel::IntelOptions one{.load_defaults = false, .intel_dir = "/nonexistent/", .warn = {}};
      one.extra_files = {s.intel_files[i]};
      one.warn = [&](const std::string& w) { Warn(key, w); };
      if (auto r = intel::LoadIntel(one); !r) Error(key, r.error().message());
    }
    intel::IntelOptions dir{.load_defaults = false, .intel_dir = s.intel_dir, .warn = {}};
    std::string key = s.intel_dir.empty() ? "sensor.intel_dir (default)" : "sensor.intel_dir";
    dir.warn = [&](const std::string& w) { Warn(key, w); };
    if (auto r = intel::LoadIntel(dir); !r) Error(key, r.error().message());
  }

  // A path the service creates (store, export files): what exists there must be a regular file
  // and its folder a folder.
  void CreatedFile(const std::string& key, const std::string& path) {
    if (path.empty()) return;
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (fs::exists(st) && !fs::is_regular_file(st)) {
      return Error(key, path + ": exists and is not a regular file (expected a file path)");
    }
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && fs::exists(parent, ec) && !fs::is_directory(parent, ec)) {
      Error(key, parent.string() + ": is not a directory (expected the folder of " + path + ")");
    }
  }

  void Directory(const std::string& key, const std::string& path) {
    std::error_code ec;
    if (!path.empty() && fs::exists(path, ec) && !fs::is_directory(path, ec)) {
      Error(key, path + ": is not a directory (expected a directory)");
    }
  }

  Result<CheckReport> Finish() {
    if (errors_.empty()) return std::move(report_);
    std::string all;
    for (const auto& e : errors_) all += (all.empty() ? "" : "\n") + e;
    return Fail(Error::InvalidArgument(all));
  }

 private:
  const ServiceConfig& c_;
  std::vector<std::string> errors_;
  CheckReport report_;
};

}  // namespace

Result<CheckReport> CheckReferencedFiles(const ServiceConfig& c) {
  Checker k(c);
  k.Secret("notify.smtp.password_file", c.notify.smtp.password_file);
  for (size_t i = 0; i < c.notify.contacts.size(); ++i) {
    k.Secret("notify.contacts[" + std::to_string(i) + "].webhook_secret_file",
             c.notify.contacts[i].webhook_secret_file);
  }
  for (size_t i = 0; i < c.hostscan.yara_files.size(); ++i) {
    k.Yara("hostscan.yara_files[" + std::to_string(i) + "]", c.hostscan.yara_files[i]);
  }
  k.Directory("hostscan.state_dir", c.hostscan.state_dir);
  k.Intel();
  k.CreatedFile("store.path", c.store.path);
  k.CreatedFile("export.jsonl_path", c.exports.jsonl_path);
  k.CreatedFile("export.ocsf_path", c.exports.ocsf_path);
  if (!c.exports.syslog_address.empty()) {
    if (auto a = siem::ParseSyslogAddress(c.exports.syslog_address); !a) {
      k.Error("export.syslog_address", a.error().message());
    }
  }
  return k.Finish();
}

}  // namespace mw::config
