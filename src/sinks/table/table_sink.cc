// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/table/table_sink.h"

#include <string>

namespace mw {
namespace {

std::string Clip(std::string s, size_t width) {
  if (s.size() > width) {
    s.resize(width - 1);
    s += "~";
  }
  return s;
}

void AppendIfString(std::string& out, const nlohmann::json& ev, const char* key,
                    const char* label) {
  auto it = ev.find(key);
  if (it == ev.end()) return;
  std::string value;
  if (it->is_string()) {
    value = it->get<std::string>();
  } else if (it->is_array() && !it->empty()) {
    for (const auto& v : *it) {
      if (!value.empty()) value += ",";
      value += v.is_string() ? v.get<std::string>() : v.dump();
    }
  } else if (it->is_number()) {
    value = it->dump();
  }
  if (value.empty()) return;
  if (!out.empty()) out += "  ";
  out += label;
  out += value;
}

}  // namespace

std::string TableSink::EvidenceSummary(const Finding& f) {
  std::string s;
  const auto& ev = f.evidence;
  AppendIfString(s, ev, "dialect", "");
  AppendIfString(s, ev, "agent", "agent=");
  AppendIfString(s, ev, "algos", "algo=");
  AppendIfString(s, ev, "coin", "coin=");
  AppendIfString(s, ev, "login", "login=");
  AppendIfString(s, ev, "matched_by", "via=");
  AppendIfString(s, ev, "name", "name=");
  AppendIfString(s, ev, "exe", "exe=");
  AppendIfString(s, ev, "rules", "rules=");
  return s;
}

Status TableSink::Write(std::span<const Finding> findings) {
  if (findings.empty()) return Ok();
  if (!header_written_) {
    std::fprintf(out_, "%-8s %-5s %-40s %-16s %-28s %6s  %s\n", "SEVERITY", "STAGE", "CATEGORY",
                 "HOST", "INDICATOR", "COUNT", "EVIDENCE");
    header_written_ = true;
  }
  for (const Finding& f : findings) {
    std::fprintf(out_, "%-8s %-5d %-40s %-16s %-28s %6llu  %s\n",
                 std::string(SeverityName(f.severity)).c_str(), int(f.stage),
                 Clip(f.category, 40).c_str(), Clip(f.resource.host_ip, 16).c_str(),
                 Clip(f.indicator, 28).c_str(), static_cast<unsigned long long>(f.count),
                 Clip(EvidenceSummary(f), 100).c_str());
  }
  return Flush();
}

Status TableSink::Flush() {
  std::fflush(out_);
  return Ok();
}

}  // namespace mw
