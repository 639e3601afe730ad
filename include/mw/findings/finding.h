// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The one finding model every detector uses (network, host, logs). A finding is identified by
// (category, resource, indicator) and is updated as evidence grows: one finding per miner, not
// one per packet. The JSON form is documented in docs/findings.md.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/core/result.h"
#include "mw/net/flow_info.h"

namespace mw {

namespace category {
inline constexpr std::string_view kPoolProtocol = "Execution: Cryptomining Pool Protocol";
inline constexpr std::string_view kBadDomain = "Malware: Bad Domain";
inline constexpr std::string_view kBadIp = "Malware: Bad IP";
inline constexpr std::string_view kYaraRule = "Execution: Cryptomining YARA Rule";
inline constexpr std::string_view kHashMatch = "Execution: Cryptomining Hash Match";
inline constexpr std::string_view kCombined = "Execution: Combined Detection";
inline constexpr std::string_view kMinerProcess = "Execution: Miner Process";
inline constexpr std::string_view kMinerAutostart = "Persistence: Miner Autostart";
// Pool names or miner strings in a process's memory with no proof of work, miner code or miner
// behaviour beside them (a shell, resolver or log reader that handled such names): stage 0, low.
inline constexpr std::string_view kMinerStrings = "Discovery: Cryptomining Strings in Memory";
// A Suricata/ET rule matched (the rule's msg, sid and classtype are the evidence).
inline constexpr std::string_view kIdsRule = "Intrusion: IDS Rule Match";
inline constexpr std::string_view kAll[] = {
    kPoolProtocol, kBadDomain,    kBadIp,          kYaraRule,     kHashMatch,
    kCombined,     kMinerProcess, kMinerAutostart, kMinerStrings, kIdsRule};
}  // namespace category
bool IsKnownCategory(std::string_view name);

enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view SeverityName(Severity s);
std::optional<Severity> ParseSeverity(std::string_view name);
// RFC 3339 UTC with microseconds: "2026-11-22T01:02:03.123456Z".
std::string FormatTimestamp(TimestampUs ts);
// The same with another zone designator: "+0000" gives Suricata's EVE form.
std::string FormatTimestamp(TimestampUs ts, std::string_view zone);
// RFC 3339, the whole text: "YYYY-MM-DDTHH:MM:SS", an optional fraction (1-9 digits, kept to the
// microsecond), then "Z" or "+HH:MM"/"-HH:MM". Anything else, trailing bytes included, is nullopt.
std::optional<TimestampUs> ParseTimestamp(std::string_view text);

// The largest count or revision a finding carries: 2^53 - 1, the last integer a JSON reader in
// JavaScript (the console) still holds exactly; well inside the store's signed 64-bit columns.
inline constexpr uint64_t kMaxFindingCount = (uint64_t{1} << 53) - 1;

// Stage 0: a precursor (a pool name looked up, a download); stage 1: mining is running.
enum class Stage : uint8_t { kPrecursor = 0, kMining = 1 };

struct Resource {
  std::string host_ip;   // the local host the finding is about
  std::string hostname;  // where known
};

struct Finding {
  std::string id;  // stable: derived from (category, resource.host_ip, indicator)
  std::string category;
  Stage stage = Stage::kPrecursor;
  Severity severity = Severity::kMedium;
  std::vector<std::string> attack;  // MITRE ATT&CK technique ids, e.g. "T1496"
  Resource resource;
  std::string indicator;  // what was matched: pool host:port, domain, IP, sha256, file
  nlohmann::json evidence = nlohmann::json::object();
  std::string detector;
  std::string source;  // rule or intel source
  TimestampUs first_seen = 0;
  TimestampUs last_seen = 0;
  uint64_t count = 0;     // events folded into this finding
  uint64_t revision = 0;  // bumped on every update; sinks use it to skip unchanged findings

  // The JSON Lines form (docs/findings.md); FromJson reads it back (for stores and remediation).
  nlohmann::json ToJson() const;
  // Reads the JSON form with strict types: integers are integers (no floats, booleans or
  // strings), counts are within 0..kMaxFindingCount, stage is 0 or 1. Absent optional fields
  // take their defaults; fields it does not know are left to the caller (ingest refuses them).
  // Errors name the field: "severity: must be one of info, low, medium, high, critical".
  static Result<Finding> Parse(const nlohmann::json& j);
  static std::optional<Finding> FromJson(const nlohmann::json& j);
  static std::string MakeId(std::string_view category, std::string_view host,
                            std::string_view indicator);
};

}  // namespace mw
