// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "mw/findings/finding.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <string>

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

std::string FormatTimestamp(TimestampUs ts) { return FormatTimestamp(ts, "Z"); }

std::string FormatTimestamp(TimestampUs ts, std::string_view zone) {
  time_t secs = time_t(ts / 1000000);
  long micros = long(ts % 1000000);
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ld", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                micros);
  return std::string(buf).append(zone);
}

namespace {

// Exactly "n" ASCII digits at "pos".
std::optional<int> Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// ".ddd" after the seconds: 1 to 9 digits, kept to the microsecond. Advances "i".
std::optional<long> Fraction(std::string_view s, size_t& i) {
  if (i >= s.size() || s[i] != '.') return 0L;
  size_t start = ++i;
  long micros = 0;
  long scale = 100000;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    micros += (s[i] - '0') * scale;
    scale /= 10;
    ++i;
  }
  if (i == start || i - start > 9) return std::nullopt;
  return micros;
}

// "Z" or "+HH:MM" / "-HH:MM", in seconds east of UTC. Advances "i".
std::optional<int64_t> Offset(std::string_view s, size_t& i) {
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
    return 0;
  }
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
  auto h = Digits(s, i + 1, 2);
  auto m = Digits(s, i + 4, 2);
  if (!h || !m || s[i + 3] != ':' || *h > 23 || *m > 59) return std::nullopt;
  int64_t off = (*h * 3600 + *m * 60) * (s[i] == '-' ? -1 : 1);
  i += 6;
  return off;
}

}  // namespace

std::optional<TimestampUs> ParseTimestamp(std::string_view s) {
  // Refused before any arithmetic: the shortest form is 20 bytes, the longest 35.
  if (s.size() < 20 || s.size() > 35) return std::nullopt;
  auto y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  auto h = Digits(s, 11, 2), mi = Digits(s, 14, 2), sec = Digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  // Second 60 is RFC 3339's leap second; timegm carries it into the next minute.
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > DaysInMonth(*y, *mo) || *h > 23 || *mi > 59 ||
      *sec > 60) {
    return std::nullopt;
  }
  size_t i = 19;
  auto micros = Fraction(s, i);
  if (!micros) return std::nullopt;
  auto offset = Offset(s, i);
  if (!offset || i != s.size()) return std::nullopt;
  struct tm tm_utc = {};
  tm_utc.tm_year = *y - 1900;
  tm_utc.tm_mon = *mo - 1;
  tm_utc.tm_mday = *d;
  tm_utc.tm_hour = *h;
  tm_utc.tm_min = *mi;
  tm_utc.tm_sec = *sec;
  return (TimestampUs(timegm(&tm_utc)) - *offset) * 1000000 + *micros;
}

bool IsKnownCategory(std::string_view name) {
  for (auto c : category::kAll) {
    if (c == name) return true;
  }
  return false;
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

namespace {

using nlohmann::json;

#define MW_TRY_ASSIGN(lhs, expr)                          \
  auto lhs##_result_ = (expr);                            \
  if (!lhs##_result_) return Fail(lhs##_result_.error()); \
  auto lhs = std::move(*lhs##_result_)

Error Bad(std::string_view field, std::string_view what) {
  return Error::InvalidArgument(std::string(field) + ": " + std::string(what));
}

// An optional string member ("" when absent); "field" names it in errors.
Result<std::string> Str(const json& o, const char* key, std::string_view field, bool required) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) return Fail(Bad(field, "is required"));
    return std::string();
  }
  if (!it->is_string()) return Fail(Bad(field, "must be a string"));
  return it->get<std::string>();
}

// An optional count: an integer within 0..kMaxFindingCount. nlohmann keeps a negative literal
// as a signed integer, a large one as unsigned and anything beyond 2^64 as a float; each of
// those, and booleans, would otherwise convert silently.
Result<uint64_t> Count(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return uint64_t{0};
  std::string_view field = key;
  if (!it->is_number_integer()) return Fail(Bad(field, "must be an integer"));
  if (it->is_number_unsigned()
          ? it->get<uint64_t>() > kMaxFindingCount
          : it->get<int64_t>() < 0 || uint64_t(it->get<int64_t>()) > kMaxFindingCount) {
    return Fail(Bad(field, "must be an integer from 0 to " + std::to_string(kMaxFindingCount)));
  }
  return it->get<uint64_t>();
}

Result<TimestampUs> Time(const json& o, const char* key) {
  MW_TRY_ASSIGN(text, Str(o, key, key, true));
  auto ts = ParseTimestamp(text);
  if (!ts) return Fail(Bad(key, "must be an RFC 3339 time such as 2026-01-02T03:04:05.000006Z"));
  return *ts;
}

Status Identity(const json& j, Finding& f) {
  MW_TRY_ASSIGN(id, Str(j, "id", "id", true));
  if (id.empty()) return Fail(Bad("id", "must not be empty"));
  MW_TRY_ASSIGN(cat, Str(j, "category", "category", true));
  if (cat.empty()) return Fail(Bad("category", "must not be empty"));
  f.id = std::move(id);
  f.category = std::move(cat);
  auto stage = j.find("stage");
  if (stage == j.end()) return Fail(Bad("stage", "is required"));
  if (!stage->is_number_integer() || (*stage != 0 && *stage != 1)) {
    return Fail(Bad("stage", "must be 0 (precursor) or 1 (mining)"));
  }
  f.stage = *stage == 1 ? Stage::kMining : Stage::kPrecursor;
  auto sev = j.find("severity");
  if (sev == j.end()) return Fail(Bad("severity", "is required"));
  auto parsed = sev->is_string() ? ParseSeverity(sev->get<std::string>()) : std::nullopt;
  if (!parsed) return Fail(Bad("severity", "must be one of info, low, medium, high, critical"));
  f.severity = *parsed;
  return Ok();
}

Status Where(const json& j, Finding& f) {
  auto res = j.find("resource");
  if (res != j.end()) {
    if (!res->is_object()) return Fail(Bad("resource", "must be an object"));
    MW_TRY_ASSIGN(ip, Str(*res, "host_ip", "resource.host_ip", false));
    MW_TRY_ASSIGN(name, Str(*res, "hostname", "resource.hostname", false));
    f.resource.host_ip = std::move(ip);
    f.resource.hostname = std::move(name);
  }
  auto attack = j.find("attack");
  if (attack != j.end()) {
    if (!attack->is_array()) return Fail(Bad("attack", "must be an array of strings"));
    for (size_t i = 0; i < attack->size(); ++i) {
      if (!(*attack)[i].is_string()) {
        return Fail(Bad("attack[" + std::to_string(i) + "]", "must be a string"));
      }
      f.attack.push_back((*attack)[i].get<std::string>());
    }
  }
  auto ev = j.find("evidence");
  if (ev != j.end()) {
    if (!ev->is_object()) return Fail(Bad("evidence", "must be an object"));
    f.evidence = *ev;
  }
  return Ok();
}

Status Details(const json& j, Finding& f) {
  MW_TRY_ASSIGN(indicator, Str(j, "indicator", "indicator", false));
  MW_TRY_ASSIGN(detector, Str(j, "detector", "detector", false));
  MW_TRY_ASSIGN(source, Str(j, "source", "source", false));
  MW_TRY_ASSIGN(first, Time(j, "first_seen"));
  MW_TRY_ASSIGN(last, Time(j, "last_seen"));
  MW_TRY_ASSIGN(count, Count(j, "count"));
  MW_TRY_ASSIGN(revision, Count(j, "revision"));
  f.indicator = std::move(indicator);
  f.detector = std::move(detector);
  f.source = std::move(source);
  f.first_seen = first;
  f.last_seen = last;
  f.count = count;
  f.revision = revision;
  return Ok();
}

#undef MW_TRY_ASSIGN

}  // namespace

Result<Finding> Finding::Parse(const nlohmann::json& j) {
  if (!j.is_object()) return Fail(Error::InvalidArgument("must be a JSON object"));
  Finding f;
  if (auto s = Identity(j, f); !s) return Fail(s.error());
  if (auto s = Where(j, f); !s) return Fail(s.error());
  if (auto s = Details(j, f); !s) return Fail(s.error());
  return f;
}

std::optional<Finding> Finding::FromJson(const nlohmann::json& j) {
  auto f = Parse(j);
  if (!f) return std::nullopt;
  return std::move(*f);
}

}  // namespace mw
