// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Output "export_files" of the SIEM export: every stored change of a finding (new events and
// state changes alike) becomes one line in the JSON Lines file (export.jsonl_path: the finding's
// API JSON) and one OCSF Detection Finding line (export.ocsf_path), both rotated by size
// (export.jsonl_max_bytes, export.jsonl_keep). It runs on its own worker behind a bounded queue
// (OutputSpec::queue), so a slow disk never holds up ingest.
#include <memory>
#include <string>

#include "config/service_config.h"
#include "export/files/rotating_file.h"
#include "sinks/output.h"

namespace mw::siem {

class FilesOutput : public Output {
 public:
  // Returns nullptr (not an error) when neither file is configured.
  static Result<std::unique_ptr<FilesOutput>> Start(const config::ExportConfig& cfg);

  // A change not written to every configured file is an error (the last one) and counted failed.
  Status Write(const ChangeBatch& batch) override;
  void Counters(std::vector<OutputCounter>& out) const override;

 private:
  std::unique_ptr<RotatingFile> jsonl_;
  std::unique_ptr<RotatingFile> ocsf_;
};

void RegisterFilesOutput(OutputRegistry& registry);

}  // namespace mw::siem
