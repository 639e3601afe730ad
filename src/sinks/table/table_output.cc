// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/table/table_output.h"

#include <string>
#include <vector>

#include "core/text_sanitize.h"

namespace mw {
namespace {

// Sanitised after cutting, so a cut through a UTF-8 sequence shows as U+FFFD, not as a raw byte.
std::string Clip(std::string s, size_t width) {
  if (s.size() > width) {
    s.resize(width - 1);
    s += "~";
  }
  return SanitizeText(s);
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

std::string TableOutput::EvidenceSummary(const Finding& f) {
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

Status TableOutput::Write(const ChangeBatch& batch) {
  if (batch.kind != ChangeKind::kDetected) return Ok();
  std::vector<const Finding*> rows;
  for (const auto& sf : batch.findings) {
    if (repeat_ == Repeat::kOncePerOpening) {
      auto [it, inserted] = shown_.try_emplace(sf.finding.id, sf.reopen_count);
      if (!inserted && it->second == sf.reopen_count) continue;
      it->second = sf.reopen_count;
    }
    rows.push_back(&sf.finding);
  }
  if (rows.empty()) return Ok();
  if (!header_written_) {
    std::fprintf(out_, "%-8s %-5s %-40s %-16s %-28s %6s  %s\n", "SEVERITY", "STAGE", "CATEGORY",
                 "HOST", "INDICATOR", "COUNT", "EVIDENCE");
    header_written_ = true;
  }
  for (const Finding* row : rows) {
    const Finding& f = *row;
    std::fprintf(out_, "%-8s %-5d %-40s %-16s %-28s %6llu  %s\n",
                 std::string(SeverityName(f.severity)).c_str(), int(f.stage),
                 Clip(f.category, 40).c_str(), Clip(f.resource.host_ip, 16).c_str(),
                 Clip(f.indicator, 28).c_str(), static_cast<unsigned long long>(f.count),
                 Clip(EvidenceSummary(f), 100).c_str());
    ++stats_.delivered;
  }
  return Flush();
}

Status TableOutput::Flush() {
  std::fflush(out_);
  return Ok();
}

void RegisterTableOutput(OutputRegistry& registry) {
  registry.Add({.name = "table",
                .help = "a table on the terminal (commands: --table or a terminal; up: each "
                        "finding once as it appears)",
                .start = [](const OutputContext& ctx) -> Result<OutputPtr> {
                  if (ctx.host == OutputHost::kService)
                    return OutputPtr(std::make_unique<TableOutput>(
                        stdout, TableOutput::Repeat::kOncePerOpening));
                  if (!ctx.flags.Table()) return OutputPtr();
                  return OutputPtr(std::make_unique<TableOutput>(stdout));
                }});
}

}  // namespace mw
