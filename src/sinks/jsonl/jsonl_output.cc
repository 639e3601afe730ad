// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/jsonl/jsonl_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/text_sanitize.h"

namespace mw {

Result<std::unique_ptr<JsonlOutput>> JsonlOutput::Open(const std::string& path, Mode mode) {
  if (path == "-") return std::unique_ptr<JsonlOutput>(new JsonlOutput(stdout, false, path));
  FILE* f = std::fopen(path.c_str(), mode == Mode::kAppend ? "a" : "w");
  if (f == nullptr) {
    return Fail(Error::IoError(path + ": cannot open for writing: " + std::strerror(errno)));
  }
  return std::unique_ptr<JsonlOutput>(new JsonlOutput(f, true, path));
}

JsonlOutput::~JsonlOutput() {
  if (owned_) std::fclose(file_);
}

Status JsonlOutput::Write(const ChangeBatch& batch) {
  if (batch.kind != ChangeKind::kDetected) return Ok();
  for (const auto& sf : batch.findings) {
    std::string line = DumpJson(sf.finding.ToJson());
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      ++stats_.failed;
      return Fail(Error::IoError(path_ + ": write failed: " + std::strerror(errno)));
    }
    ++stats_.delivered;
  }
  return Flush();
}

Status JsonlOutput::Flush() {
  if (std::fflush(file_) != 0) {
    return Fail(Error::IoError(path_ + ": flush failed: " + std::strerror(errno)));
  }
  if (owned_) fdatasync(fileno(file_));
  return Ok();
}

void RegisterJsonlOutput(OutputRegistry& registry) {
  registry.Add({.name = "jsonl",
                .help = "JSON Lines to stdout or a file (the commands' --json)",
                .start = [](const OutputContext& ctx) -> Result<OutputPtr> {
                  if (ctx.host != OutputHost::kCommand) return OutputPtr();
                  std::string path = ctx.flags.JsonPath();
                  if (path.empty()) return OutputPtr();
                  auto mode = ctx.flags.json_append ? JsonlOutput::Mode::kAppend
                                                    : JsonlOutput::Mode::kTruncate;
                  MW_ASSIGN(out, JsonlOutput::Open(path, mode));
                  return OutputPtr(std::move(out));
                }});
}

}  // namespace mw
