// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/files/files_output.h"

#include "export/export_counters.h"
#include "export/siem_format.h"
#include "store/store_json.h"

namespace mw::siem {

Result<std::unique_ptr<FilesOutput>> FilesOutput::Start(const config::ExportConfig& cfg) {
  if (cfg.jsonl_path.empty() && cfg.ocsf_path.empty()) return std::unique_ptr<FilesOutput>();
  auto out = std::make_unique<FilesOutput>();
  if (!cfg.jsonl_path.empty()) {
    out->jsonl_ =
        std::make_unique<RotatingFile>(cfg.jsonl_path, cfg.jsonl_max_bytes, cfg.jsonl_keep);
  }
  if (!cfg.ocsf_path.empty()) {
    out->ocsf_ = std::make_unique<RotatingFile>(cfg.ocsf_path, cfg.jsonl_max_bytes, cfg.jsonl_keep);
  }
  return out;
}

Status FilesOutput::Write(const ChangeBatch& batch) {
  Status result = Ok();
  for (const auto& f : batch.findings) {
    Status line = Ok();
    if (jsonl_) {
      if (auto s = jsonl_->Append(DumpJson(store::ToJson(f, false))); !s) line = s;
    }
    if (ocsf_) {
      bool previously_seen = f.finding.revision > 1;
      if (auto s = ocsf_->Append(DumpJson(ToOcsf(f, previously_seen))); !s) line = s;
    }
    if (line) {
      ++stats_.delivered;
    } else {
      ++stats_.failed;
      result = line;
    }
  }
  return result;
}

void FilesOutput::Counters(std::vector<OutputCounter>& out) const {
  AppendExportCounters("export_files", stats_.delivered, stats_.dropped, out);
  out.push_back({"minerwatch_export_write_errors_total", "counter", "export file write errors",
                 double(stats_.failed.load())});
}

void RegisterFilesOutput(OutputRegistry& registry) {
  registry.Add({.name = "export_files",
                .help = "SIEM files: JSON Lines and OCSF, rotated (export.jsonl_path, "
                        "export.ocsf_path)",
                .queue = 100000,
                .start = [](const OutputContext& ctx) -> Result<OutputPtr> {
                  if (!ctx.config) return OutputPtr();
                  MW_ASSIGN(out, FilesOutput::Start(ctx.config->exports));
                  return OutputPtr(std::move(out));
                }});
}

}  // namespace mw::siem
