// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Output "jsonl": findings as JSON Lines (docs/findings.md), one object per line, to stdout or a
// file (the commands' --json), flushed after every batch so a crash loses nothing that was
// reported. An updated finding is written again with the same id and a higher revision;
// consumers keep the last line per id. State changes (kLifecycle) carry no finding event and are
// not written.
#include <cstdio>
#include <memory>
#include <string>

#include "sinks/output.h"

namespace mw {

class JsonlOutput : public Output {
 public:
  enum class Mode { kTruncate, kAppend };
  // "path" "-" means stdout. kAppend keeps what an earlier run wrote (a restarted sensor).
  static Result<std::unique_ptr<JsonlOutput>> Open(const std::string& path,
                                                   Mode mode = Mode::kTruncate);
  ~JsonlOutput() override;

  Status Write(const ChangeBatch& batch) override;
  Status Flush() override;

 private:
  JsonlOutput(FILE* file, bool owned, std::string path)
      : file_(file), owned_(owned), path_(std::move(path)) {}
  FILE* file_;
  bool owned_;
  std::string path_;
};

void RegisterJsonlOutput(OutputRegistry& registry);

}  // namespace mw
