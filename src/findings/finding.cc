// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "mw/findings/finding.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace mw {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "medium";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

std::string FormatTimestamp(TimestampUs ts) {
  time_t secs = time_t(ts / 1000000);
  long micros = long(ts % 1000000);
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                micros);
  return buf;
}

std::optional<TimestampUs> ParseTimestamp(std::string_view text) {
  struct tm tm_utc = {};
  long micros = 0;
  std::string s(text);
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm_utc.tm_year, &tm_utc.tm_mon,
                  &tm_utc.tm_mday, &tm_utc.tm_hour, &tm_utc.tm_min, &tm_utc.tm_sec, &n) != 6) {
    return std::nullopt;
  }
  if (size_t(n) < s.size() && s[n] == '.') {
    size_t i = n + 1;
    long scale = 100000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      micros += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  tm_utc.tm_year -= 1900;
  tm_utc.tm_mon -= 1;
  return TimestampUs(timegm(&tm_utc)) * 1000000 + micros;
}

std::string Finding::MakeId(std::string_view category, std::string_view host,
                            std::string_view indicator) {
  // FNV-1a 64 over the identifying triple: stable across runs and machines.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view part) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;
    h *= 0x100000001b3ULL;
  };
  mix(category);
  mix(host);
  mix(indicator);
  char buf[24];
  std::snprintf(buf, sizeof(buf), "mw-%016" PRIx64, h);
  return buf;
}

nlohmann::json Finding::ToJson() const {
  nlohmann::json j;
  j["id"] = id;
  j["category"] = category;
  j["stage"] = int(stage);
  j["severity"] = SeverityName(severity);
  j["attack"] = attack;
  j["resource"] = {{"host_ip", resource.host_ip}, {"hostname", resource.hostname}};
  j["indicator"] = indicator;
  j["evidence"] = evidence;
  j["detector"] = detector;
  j["source"] = source;
  j["first_seen"] = FormatTimestamp(first_seen);
  j["last_seen"] = FormatTimestamp(last_seen);
  j["count"] = count;
  j["revision"] = revision;
  return j;
}

std::optional<Finding> Finding::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    Finding f;
    f.id = j.at("id").get<std::string>();
    f.category = j.at("category").get<std::string>();
    f.stage = j.at("stage").get<int>() == 1 ? Stage::kMining : Stage::kPrecursor;
    auto sev = ParseSeverity(j.at("severity").get<std::string>());
    if (!sev) return std::nullopt;
    f.severity = *sev;
    f.attack = j.value("attack", std::vector<std::string>{});
    if (j.contains("resource")) {
      f.resource.host_ip = j["resource"].value("host_ip", "");
      f.resource.hostname = j["resource"].value("hostname", "");
    }
    f.indicator = j.value("indicator", "");
    f.evidence = j.value("evidence", nlohmann::json::object());
    f.detector = j.value("detector", "");
    f.source = j.value("source", "");
    auto first = ParseTimestamp(j.value("first_seen", ""));
    auto last = ParseTimestamp(j.value("last_seen", ""));
    if (!first || !last) return std::nullopt;
    f.first_seen = *first;
    f.last_seen = *last;
    f.count = j.value("count", uint64_t{0});
    f.revision = j.value("revision", uint64_t{0});
    return f;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace mw
