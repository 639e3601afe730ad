// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The single config file of `minerwatch up` (YAML; every key and its default in docs/config.md).
// Loading is strict: an unknown key, a wrong type or a bad value is an error naming the file,
// line and column, so a typo never silently falls back to a default.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mw/core/result.h"
#include "mw/findings/finding.h"

namespace mw::config {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  uint64_t max_body_bytes = 65536;
  int threads = 4;
  bool metrics_public = true;
  int read_timeout_s = 10;  // a whole request (headers and body) must arrive within this
  int idle_timeout_s = 5;   // a connection with no traffic for this long is closed
  int max_connections = 512;
  int max_connections_per_ip = 64;
};

struct StoreConfig {
  std::string path = "/var/lib/minerwatch/minerwatch.db";
  std::string synchronous = "full";  // full | normal
  int64_t auto_resolve_after_s = 7 * 86400;
  int64_t resolved_retention_s = 90 * 86400;
  uint64_t max_findings = 1'000'000;
  uint32_t evidence_samples = 16;
};

struct SensorConfig {
  bool enabled = true;
  std::vector<std::string> interfaces = {"any"};
  std::string bpf;
  int64_t flush_interval_s = 5;
  std::string intel_dir;
  std::vector<std::string> intel_files;
  int workers = 1;  // capture threads per interface (LiveOptions::workers)
};

// The sensor's flow layer (docs/config.md "flow").
struct FlowSectionConfig {
  // Per-flow state for the whole sensor; the same default as flow::FlowConfig::kDefaultMemcap.
  uint64_t memcap = 256ull << 20;
};

struct HostScanConfig {
  bool enabled = true;
  int64_t interval_s = 900;
  std::string state_dir;                // page database and host state; empty = default location
  bool builtin_rules = true;            // minerwatch's own YARA rules
  std::vector<std::string> yara_files;  // extra YARA rule files (users' existing rules)
  uint64_t read_rate_mb = 64;           // memory read cap per second, MiB (0 = uncapped)
  uint64_t max_process_mb = 512;        // memory scanned per process per pass, MiB
};

// `detectors.<name>.<key>: value` as written; the engine checks it against the detectors'
// declared settings (engine::ResolveDetectorConfig), since only they know their keys.
struct DetectorValue {
  std::string text;
  int line = 0, column = 0;
};
struct DetectorSection {
  std::map<std::string, DetectorValue> values;
  int line = 0, column = 0;
};
struct DetectorsConfig {
  std::map<std::string, DetectorSection> sections;
};

struct SmtpConfig {
  std::string url;  // smtp://host:port or smtps://; empty = e-mail off
  std::string from = "minerwatch@localhost";
  std::string starttls = "try";  // off | try | require
  std::string username;
  std::string password_file;
  int64_t timeout_s = 20;
};

struct ContactConfig {
  std::string name;
  std::string email;  // a group mailbox
  std::string webhook_url;
  std::string webhook_secret_file;  // HMAC-SHA256 key
  Severity min_severity = Severity::kHigh;
  std::vector<std::string> categories;  // empty = all
  int line = 0;                         // where it was defined, for doctor messages
};

struct NotifyConfig {
  std::string personal_address_pattern = R"(^[a-z]+[._][a-z]+@)";
  // notify: a contact whose address matches this is a group mailbox (never warned about).
  std::string group_address_pattern =
      R"(^(security|sec|soc|secops|sec-?ops|csirt|cert|cirt|infosec|it-?sec(urity)?|alerts?|incidents?|abuse|noc|siem|blue-?team|cyber|minerwatch)([-._+][a-z0-9]+)*@)";
  size_t queue_capacity =
      10000;               // notify: changes waiting for the worker; beyond, dropped and counted
  int64_t window_s = 600;  // rate-limit window
  uint32_t max_per_window = 3;  // messages per contact per window; the rest go into a digest
  int64_t webhook_timeout_s = 10;
  uint32_t webhook_retries = 4;
  SmtpConfig smtp;
  std::vector<ContactConfig> contacts;
};

// Suricata/ET rules for the ids_rules detector (docs/config.md "rules").
struct RulesConfig {
  std::vector<std::string> files;           // rule files; each one is a pack named by its stem
  std::map<std::string, std::string> vars;  // HOME_NET: "[10.0.0.0/8]", HTTP_PORTS: "80", ...
  std::vector<uint32_t> disabled;           // sids that do not run
  std::map<std::string, bool> packs;        // pack name (file stem): false = that file is off
  bool simulate_ips = false;                // drop/reject rules report "blocked"
};

struct ExportConfig {
  std::string jsonl_path;  // empty = off
  std::string eve_path;    // Suricata EVE JSON alert records; empty = off
  uint64_t jsonl_max_bytes = 100ull << 20;
  uint32_t jsonl_keep = 5;
  std::string syslog_address;                     // udp://host:port or tcp://host:port; empty = off
  std::string syslog_format = "rfc5424";          // rfc5424 | cef | ocsf (the MSG part)
  std::string syslog_framing = "octet-counting";  // tcp: octet-counting | newline (RFC 6587)
  int syslog_facility = 16;                       // local0
  std::string ocsf_path;                          // OCSF Detection Finding JSON Lines; empty = off
};

struct ServiceConfig {
  std::string source;  // file it came from
  // Line of every key present ("notify.contacts[0].webhook_secret_file", "sensor.intel_files[1]"),
  // so checks made after parsing (referenced files) can still say where.
  std::map<std::string, int> key_lines;
  ServerConfig server;
  StoreConfig store;
  SensorConfig sensor;
  FlowSectionConfig flow;
  HostScanConfig hostscan;
  DetectorsConfig detectors;
  RulesConfig rules;
  // threat_engine.mode and remediation.policy hold no field: only their defaults (detect, manual)
  // are accepted until blocking and automatic remediation exist (docs/config.md).
  NotifyConfig notify;
  ExportConfig exports;
};

// The largest config file LoadConfig reads.
inline constexpr uint64_t kMaxConfigBytes = 4u << 20;

// Parses "text" (named "source" in messages). Errors read "source:line:col: message". One YAML
// document only; a key given twice in one mapping is an error.
Result<ServiceConfig> ParseConfig(const std::string& text, const std::string& source);
// Refuses anything but a regular file of at most kMaxConfigBytes before reading it.
Result<ServiceConfig> LoadConfig(const std::string& path);

// Opens "path" without blocking (a FIFO with no writer), refuses a directory, device or FIFO,
// checks the size on the open descriptor and reads at most max_bytes + 1 bytes, so a file
// that grows meanwhile is refused too. "what" starts each message ("config file", "notify.smtp.
// password_file"...).
Result<std::string> ReadRegularFile(const std::string& path, uint64_t max_bytes,
                                    std::string_view what);
// A secret (webhook HMAC key, SMTP password): a regular file of 1..4096 bytes, trailing
// newlines and spaces dropped. The notifier and the config check read secrets through this.
Result<std::string> ReadSecretFile(const std::string& path, std::string_view what);

// "source:line: key" for a key ParseConfig saw, or "source: key" when it has no line.
std::string KeyLocation(const ServiceConfig& c, const std::string& key);

// notify: how a contact address reads. A group mailbox matches group_address_pattern; anything
// else is warned about (kPersonal when it matches personal_address_pattern). The patterns are
// RE2 (linear time, case-insensitive, unanchored search): no pattern can make this hang.
enum class AddressKind { kGroup, kPersonal, kUnrecognized };
AddressKind ClassifyContactAddress(const NotifyConfig& n, const std::string& email);

// Compiles a user-supplied pattern the way ClassifyContactAddress uses it; the error says why.
Status CheckPattern(const std::string& pattern);

// true/yes/on or false/no/off (YAML 1.1's words, as users write them).
std::optional<bool> ParseBool(std::string_view s);
// "30s", "15m", "2h", "7d" or plain seconds.
std::optional<int64_t> ParseDuration(std::string_view s);

// The config as JSON with secrets' paths kept and nothing secret inlined (for GET /api/v1/config).
nlohmann::json ToJson(const ServiceConfig& c);

}  // namespace mw::config
