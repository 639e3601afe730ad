// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/finding_schema.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace mw::store {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 14> kFindingFields = {
    "id",       "category", "stage",  "severity",   "attack",    "resource", "indicator",
    "evidence", "detector", "source", "first_seen", "last_seen", "count",    "revision"};
constexpr std::array<std::string_view, 2> kResourceFields = {"host_ip", "hostname"};
constexpr size_t kMaxHostname = 253;  // a DNS name
constexpr size_t kMaxDetector = 64;

Error Bad(const std::string& where, std::string_view what) {
  return Error::InvalidArgument(where + ": " + std::string(what));
}

template <size_t N>
Status KnownFields(const json& o, const std::array<std::string_view, N>& known,
                   const std::string& where) {
  for (const auto& [key, value] : o.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Fail(Bad(where + "." + key, "unknown field"));
    }
  }
  return Ok();
}

// Text that goes into logs, e-mail subjects, syslog and CEF lines: no control characters.
bool Printable(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

Status Text(std::string_view value, size_t max, const std::string& where) {
  if (value.size() > max) return Fail(Bad(where, "at most " + std::to_string(max) + " bytes"));
  if (!Printable(value)) return Fail(Bad(where, "must not contain control characters"));
  return Ok();
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "T1496" or a sub-technique "T1496.001".
bool IsAttackId(std::string_view s) {
  if ((s.size() != 5 && s.size() != 9) || s[0] != 'T') return false;
  for (size_t i = 1; i < s.size(); ++i) {
    bool dot = i == 5;
    if (dot ? s[i] != '.' : (s[i] < '0' || s[i] > '9')) return false;
  }
  return true;
}

bool IsDetectorName(std::string_view s) {
  return s.size() <= kMaxDetector && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

// Depth of nested containers, stopping as soon as it passes "max" (the recursion is bounded).
size_t Depth(const json& j, size_t max) {
  if (!j.is_structured() || max == 0) return j.is_structured() ? 1 : 0;
  size_t deepest = 0;
  for (const auto& v : j) deepest = std::max(deepest, Depth(v, max - 1));
  return deepest + 1;
}

Status CheckIdentity(const Finding& f, const std::string& where) {
  if (!IsAddressableId(f.id)) {
    return Fail(Bad(where + ".id", "must be 1-128 characters of A-Z a-z 0-9 _ . : -"));
  }
  if (!IsKnownCategory(f.category)) {
    std::string all;
    for (auto c : category::kAll) all += (all.empty() ? "" : ", ") + std::string(c);
    return Fail(Bad(where + ".category", "must be one of " + all));
  }
  if (f.resource.host_ip.empty()) return Fail(Bad(where + ".resource.host_ip", "is required"));
  if (!IsIp(f.resource.host_ip)) {
    return Fail(Bad(where + ".resource.host_ip", "must be an IPv4 or IPv6 address"));
  }
  return Text(f.resource.hostname, kMaxHostname, where + ".resource.hostname");
}

Status CheckText(const Finding& f, const IngestLimits& lim, const std::string& where) {
  if (auto s = Text(f.indicator, lim.max_text, where + ".indicator"); !s) return s;
  if (auto s = Text(f.source, lim.max_text, where + ".source"); !s) return s;
  if (!IsDetectorName(f.detector)) {
    return Fail(Bad(where + ".detector", "must be at most 64 characters of A-Z a-z 0-9 _ . -"));
  }
  if (f.attack.size() > lim.max_attack) {
    return Fail(Bad(where + ".attack", "at most " + std::to_string(lim.max_attack) + " entries"));
  }
  for (size_t i = 0; i < f.attack.size(); ++i) {
    if (!IsAttackId(f.attack[i])) {
      return Fail(Bad(where + ".attack[" + std::to_string(i) + "]",
                      "must be an ATT&CK technique id such as T1496 or T1496.001"));
    }
  }
  return Ok();
}

Status CheckEvidence(const json& ev, const IngestLimits& lim, const std::string& where) {
  if (Depth(ev, lim.max_evidence_depth + 1) > lim.max_evidence_depth) {
    return Fail(Bad(where + ".evidence",
                    "at most " + std::to_string(lim.max_evidence_depth) + " levels of nesting"));
  }
  // Measured the way the store writes it; "replace" so odd bytes cannot make dump() throw.
  if (ev.dump(-1, ' ', false, json::error_handler_t::replace).size() > lim.max_evidence_bytes) {
    return Fail(Bad(where + ".evidence",
                    "at most " + std::to_string(lim.max_evidence_bytes) + " bytes as JSON"));
  }
  return Ok();
}

Status CheckTimes(const Finding& f, TimestampUs now, const IngestLimits& lim,
                  const std::string& where) {
  for (auto [name, ts] : {std::pair{".first_seen", f.first_seen}, {".last_seen", f.last_seen}}) {
    if (ts < kEarliestFindingTime) return Fail(Bad(where + name, "must not be before 1990"));
    if (ts > now + lim.max_clock_skew_us) {
      return Fail(Bad(where + name, "must not be more than a day after the service's clock"));
    }
  }
  if (f.first_seen > f.last_seen) return Fail(Bad(where + ".first_seen", "is after last_seen"));
  return Ok();
}

Result<Finding> ValidateOne(const json& j, TimestampUs now, const IngestLimits& lim,
                            const std::string& where) {
  if (!j.is_object()) return Fail(Bad(where, "must be a JSON object"));
  if (auto s = KnownFields(j, kFindingFields, where); !s) return Fail(s.error());
  if (auto r = j.find("resource"); r != j.end() && r->is_object()) {
    if (auto s = KnownFields(*r, kResourceFields, where + ".resource"); !s) return Fail(s.error());
  }
  auto f = Finding::Parse(j);
  // Parse names the field ("severity: ..."); the object itself was checked above.
  if (!f) return Fail(Error::InvalidArgument(where + "." + f.error().message()));
  if (auto s = CheckIdentity(*f, where); !s) return Fail(s.error());
  if (auto s = CheckText(*f, lim, where); !s) return Fail(s.error());
  if (auto s = CheckEvidence(f->evidence, lim, where); !s) return Fail(s.error());
  if (auto s = CheckTimes(*f, now, lim, where); !s) return Fail(s.error());
  return f;
}

}  // namespace

bool IsAddressableId(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
           c == '-';
  });
}

Result<std::vector<Finding>> ValidateIngest(const json& body, TimestampUs now,
                                            const IngestLimits& lim) {
  if (!body.is_object()) return Fail(Error::InvalidArgument("body must be a JSON object"));
  for (const auto& [key, value] : body.items()) {
    if (key != "findings")
      return Fail(Bad(key, "unknown field (the body is {\"findings\": [...]})"));
  }
  auto arr = body.find("findings");
  if (arr == body.end()) return Fail(Bad("findings", "is required"));
  if (!arr->is_array()) return Fail(Bad("findings", "must be an array of findings"));
  if (arr->size() > lim.max_findings) {
    return Fail(Bad("findings", "at most " + std::to_string(lim.max_findings) +
                                    " findings per request, got " + std::to_string(arr->size())));
  }
  std::vector<Finding> out;
  out.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    auto f = ValidateOne((*arr)[i], now, lim, "findings[" + std::to_string(i) + "]");
    if (!f) return Fail(f.error());
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace mw::store
