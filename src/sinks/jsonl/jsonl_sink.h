// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Writes findings as JSON Lines (docs/findings.md), one object per line, flushed after every batch
// so a crash loses nothing that was reported. An updated finding is written again with the same
// id and a higher revision; consumers keep the last line per id.
#include <cstdio>
#include <memory>
#include <string>

#include "mw/sink/finding_sink.h"

namespace mw {

class JsonlSink : public FindingSink {
 public:
  enum class Mode { kTruncate, kAppend };
  // "path" "-" means stdout. kAppend keeps what an earlier run wrote (a restarted sensor).
  static Result<std::unique_ptr<JsonlSink>> Open(const std::string& path,
                                                 Mode mode = Mode::kTruncate);
  ~JsonlSink() override;

  Status Write(std::span<const Finding> findings) override;
  Status Flush() override;

 private:
  JsonlSink(FILE* file, bool owned, std::string path)
      : file_(file), owned_(owned), path_(std::move(path)) {}
  FILE* file_;
  bool owned_;
  std::string path_;
};

}  // namespace mw
