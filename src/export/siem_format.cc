// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/siem_format.h"

#include <charconv>

#include "store/store_json.h"

#ifndef MW_PROJECT_VERSION
#define MW_PROJECT_VERSION "0.0.0"
#endif

namespace mw::siem {
namespace {

// IANA reserves 32473 for documentation (RFC 5612); sites with their own enterprise number can
// rewrite the SD-ID in the SIEM. It keeps our parameters out of the IETF-registered namespace.
constexpr std::string_view kSdId = "minerwatch@32473";

std::string HostOf(const Finding& f) {
  return f.resource.hostname.empty() ? f.resource.host_ip : f.resource.hostname;
}

int CefSeverity(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return 1;
    case Severity::kLow:
      return 3;
    case Severity::kMedium:
      return 5;
    case Severity::kHigh:
      return 8;
    case Severity::kCritical:
      return 10;
  }
  return 5;
}

int64_t Ms(TimestampUs us) { return int64_t(us) / 1000; }

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// ATT&CK techniques minerwatch findings carry, with their tactic, so SIEM rules can key on
// names as well as ids. Unknown ids pass through with the id alone.
struct AttackInfo {
  std::string_view technique, name, tactic_uid, tactic;
};
constexpr AttackInfo kAttacks[] = {
    {"T1496", "Resource Hijacking", "TA0040", "Impact"},
    {"T1071", "Application Layer Protocol", "TA0011", "Command and Control"},
    {"T1071.001", "Web Protocols", "TA0011", "Command and Control"},
    {"T1071.004", "DNS", "TA0011", "Command and Control"},
    {"T1090", "Proxy", "TA0011", "Command and Control"},
    {"T1573", "Encrypted Channel", "TA0011", "Command and Control"},
    {"T1105", "Ingress Tool Transfer", "TA0011", "Command and Control"},
    {"T1053", "Scheduled Task/Job", "TA0003", "Persistence"},
    {"T1053.003", "Cron", "TA0003", "Persistence"},
    {"T1543", "Create or Modify System Process", "TA0003", "Persistence"},
    {"T1543.002", "Systemd Service", "TA0003", "Persistence"},
    {"T1059", "Command and Scripting Interpreter", "TA0002", "Execution"},
};

}  // namespace

std::string EscapeSdValue(std::string_view in) {
  std::string clean = SanitizeText(in);
  std::string out;
  out.reserve(clean.size() + 8);
  for (char c : clean) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string EscapeCefHeader(std::string_view in) {
  std::string clean = SanitizeText(in);
  std::string out;
  out.reserve(clean.size() + 8);
  for (char c : clean) {
    if (c == '\\' || c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string EscapeCefExtension(std::string_view in) {
  // Newlines are kept as the escapes CEF defines rather than flattened: evidence can be multi-line.
  std::string out;
  out.reserve(in.size() + 8);
  size_t start = 0;
  auto flush = [&](size_t end) {
    std::string clean = SanitizeText(in.substr(start, end - start));
    for (char c : clean) {
      if (c == '\\' || c == '=') out += '\\';
      out += c;
    }
  };
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' || in[i] == '\r') {
      flush(i);
      out += in[i] == '\n' ? "\\n" : "\\r";
      start = i + 1;
    }
  }
  flush(in.size());
  return out;
}

int SyslogSeverity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return 2;
    case Severity::kHigh:
      return 3;
    case Severity::kMedium:
      return 4;
    case Severity::kLow:
      return 5;
    case Severity::kInfo:
      return 6;
  }
  return 4;
}

std::string Summary(const store::StoredFinding& sf) {
  const Finding& f = sf.finding;
  std::string s = "minerwatch ";
  s += SeverityName(f.severity);
  s += " ";
  s += store::StageText(f.stage);
  s += " finding on ";
  s += HostOf(f);
  if (!f.resource.hostname.empty() && !f.resource.host_ip.empty())
    s += " (" + f.resource.host_ip + ")";
  s += ": " + f.category + " - " + f.indicator;
  s += " [" + std::to_string(f.count) + " events, " + std::string(store::StateName(sf.state)) + "]";
  return SanitizeText(s);
}

std::string FormatRfc5424(const store::StoredFinding& sf, const SyslogHeader& h,
                          std::string_view msg) {
  const Finding& f = sf.finding;
  int facility = (h.facility >= 0 && h.facility <= 23) ? h.facility : 16;
  int pri = facility * 8 + SyslogSeverity(f.severity);
  // Header fields are PRINTUSASCII without spaces (RFC 5424 6.2); anything else becomes '_'.
  auto token = [](std::string_view v, size_t max) {
    std::string out;
    for (char c : v.substr(0, max)) out += (c > 32 && c < 127) ? c : '_';
    return out.empty() ? std::string("-") : out;
  };
  std::string line = "<" + std::to_string(pri) + ">1 ";
  line += f.last_seen ? FormatTimestamp(f.last_seen) : std::string("-");
  line += ' ';
  line += token(h.hostname, 255);
  line += ' ';
  line += token(h.app_name, 48);
  line += ' ';
  line += h.procid > 0 ? std::to_string(h.procid) : std::string("-");
  line += " finding [";
  line += kSdId;
  auto param = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    line += ' ';
    line += name;
    line += "=\"";
    line += EscapeSdValue(value);
    line += '"';
  };
  param("id", f.id);
  param("category", f.category);
  param("severity", SeverityName(f.severity));
  param("stage", store::StageText(f.stage));
  param("state", store::StateName(sf.state));
  param("host_ip", f.resource.host_ip);
  param("hostname", f.resource.hostname);
  param("indicator", f.indicator);
  param("detector", f.detector);
  param("source", f.source);
  param("attack", Join(f.attack, ","));
  param("count", std::to_string(f.count));
  param("first_seen", f.first_seen ? FormatTimestamp(f.first_seen) : "");
  line += ']';
  if (!msg.empty()) {
    line += ' ';
    line += SanitizeText(msg);
  }
  return line;
}

std::string FormatCef(const store::StoredFinding& sf) {
  const Finding& f = sf.finding;
  std::string s = "CEF:0|minerwatch|minerwatch|" MW_PROJECT_VERSION "|";
  s += EscapeCefHeader(f.detector.empty() ? std::string("finding") : f.detector);
  s += '|';
  s += EscapeCefHeader(f.category);
  s += '|';
  s += std::to_string(CefSeverity(f.severity));
  s += '|';
  bool first = true;
  auto ext = [&](std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (!first) s += ' ';
    first = false;
    s += key;
    s += '=';
    s += EscapeCefExtension(value);
  };
  ext("rt", std::to_string(Ms(f.last_seen)));
  ext("start", f.first_seen ? std::to_string(Ms(f.first_seen)) : "");
  ext("end", std::to_string(Ms(f.last_seen)));
  ext("cnt", std::to_string(f.count));
  ext("externalId", f.id);
  ext("cat", f.category);
  ext("src", f.resource.host_ip);
  ext("shost", f.resource.hostname);
  ext("act", store::StateName(sf.state));
  ext("cs1Label", "indicator");
  ext("cs1", f.indicator);
  ext("cs2Label", "stage");
  ext("cs2", store::StageText(f.stage));
  ext("cs3Label", "attack");
  ext("cs3", Join(f.attack, ","));
  ext("cs4Label", "source");
  ext("cs4", f.source);
  ext("msg", Summary(sf));
  return s;
}

nlohmann::json ToOcsf(const store::StoredFinding& sf, bool previously_seen) {
  const Finding& f = sf.finding;
  int activity = sf.state == store::FindingState::kResolved ? 3 : previously_seen ? 2 : 1;
  static constexpr const char* kActivity[] = {"Unknown", "Create", "Update", "Close"};
  int status_id = 1;
  const char* status = "New";
  switch (sf.state) {
    case store::FindingState::kActive:
      if (previously_seen) status_id = 2, status = "In Progress";
      break;
    case store::FindingState::kMuted:
      status_id = 3, status = "Suppressed";
      break;
    case store::FindingState::kResolved:
      status_id = 4, status = "Resolved";
      break;
  }
  int severity_id = int(f.severity) + 1;  // info..critical = 1..5 in OCSF
  static constexpr const char* kSeverity[] = {"Informational", "Low", "Medium", "High", "Critical"};

  nlohmann::json attacks = nlohmann::json::array();
  for (const auto& t : f.attack) {
    nlohmann::json a = {{"technique", {{"uid", t}}}, {"version", "14"}};
    for (const auto& k : kAttacks) {
      if (k.technique == t) {
        a["technique"]["name"] = k.name;
        a["tactic"] = {{"uid", k.tactic_uid}, {"name", k.tactic}};
      }
    }
    attacks.push_back(std::move(a));
  }
  nlohmann::json observables = nlohmann::json::array();
  if (!f.resource.host_ip.empty()) {
    observables.push_back({{"name", "device.ip"},
                           {"type_id", 2},
                           {"type", "IP Address"},
                           {"value", f.resource.host_ip}});
  }
  if (!f.resource.hostname.empty()) {
    observables.push_back({{"name", "device.hostname"},
                           {"type_id", 1},
                           {"type", "Hostname"},
                           {"value", f.resource.hostname}});
  }
  if (!f.indicator.empty()) {
    observables.push_back({{"name", "finding_info.indicator"},
                           {"type_id", 99},
                           {"type", "Other"},
                           {"value", f.indicator}});
  }
  nlohmann::json finding_info = {
      {"uid", f.id},
      {"title", f.category + ": " + f.indicator},
      {"desc", Summary(sf)},
      {"types", {f.category}},
      {"first_seen_time", Ms(f.first_seen)},
      {"last_seen_time", Ms(f.last_seen)},
      {"analytic", {{"name", f.detector}, {"type_id", 1}, {"type", "Rule"}, {"uid", f.source}}},
  };
  if (!attacks.empty()) finding_info["attacks"] = std::move(attacks);
  nlohmann::json j = {
      {"class_uid", 2004},
      {"class_name", "Detection Finding"},
      {"category_uid", 2},
      {"category_name", "Findings"},
      {"activity_id", activity},
      {"activity_name", kActivity[activity]},
      {"type_uid", 2004 * 100 + activity},
      {"type_name", std::string("Detection Finding: ") + kActivity[activity]},
      {"severity_id", severity_id},
      {"severity", kSeverity[severity_id - 1]},
      {"status_id", status_id},
      {"status", status},
      {"time", Ms(f.last_seen)},
      {"start_time", Ms(f.first_seen)},
      {"end_time", Ms(f.last_seen)},
      {"count", f.count},
      {"message", Summary(sf)},
      {"metadata",
       {{"version", "1.1.0"},
        {"profiles", {"host"}},
        {"uid", f.id + ":" + std::to_string(f.revision)},
        {"product",
         {{"name", "minerwatch"},
          {"vendor_name", "minerwatch"},
          {"version", MW_PROJECT_VERSION}}}}},
      {"finding_info", std::move(finding_info)},
      {"device",
       {{"ip", f.resource.host_ip},
        {"hostname", f.resource.hostname},
        {"type_id", 0},
        {"type", "Unknown"}}},
      {"resources", {{{"type", "host"}, {"uid", f.resource.host_ip}, {"name", HostOf(f)}}}},
      {"evidences", {{{"data", f.evidence}}}},
      {"observables", std::move(observables)},
      {"unmapped",
       {{"stage", store::StageText(f.stage)},
        {"incident_id", sf.incident_id},
        {"reopen_count", sf.reopen_count}}},
  };
  if (f.resource.host_ip.empty()) j["device"].erase("ip");
  if (sf.state != store::FindingState::kActive && !sf.state_reason.empty()) {
    j["status_detail"] = sf.state_reason;
  }
  return j;
}

Result<SyslogAddress> ParseSyslogAddress(std::string_view url) {
  SyslogAddress a;
  auto bad = [&](std::string_view why) {
    return Fail(Error::InvalidArgument("syslog address '" + SanitizeText(url.substr(0, 200)) +
                                       "': " + std::string(why) +
                                       " (want udp://host:port or tcp://host:port)"));
  };
  if (url.starts_with("udp://")) {
    url.remove_prefix(6);
  } else if (url.starts_with("tcp://")) {
    a.tcp = true;
    url.remove_prefix(6);
  } else {
    return bad("unknown scheme");
  }
  size_t colon;
  if (url.starts_with('[')) {
    size_t close = url.find(']');
    if (close == std::string_view::npos) return bad("unterminated [");
    a.host = std::string(url.substr(1, close - 1));
    if (close + 1 >= url.size() || url[close + 1] != ':') return bad("missing port");
    colon = close + 1;
  } else {
    colon = url.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    a.host = std::string(url.substr(0, colon));
    if (a.host.find(':') != std::string::npos) return bad("IPv6 addresses go in brackets");
  }
  if (a.host.empty()) return bad("missing host");
  std::string_view port = url.substr(colon + 1);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p == 0 ||
      p > 65535) {
    return bad("bad port");
  }
  a.port = uint16_t(p);
  return a;
}

}  // namespace mw::siem
