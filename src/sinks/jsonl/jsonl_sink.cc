// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/jsonl/jsonl_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mw {

Result<std::unique_ptr<JsonlSink>> JsonlSink::Open(const std::string& path, Mode mode) {
  if (path == "-") return std::unique_ptr<JsonlSink>(new JsonlSink(stdout, false, path));
  FILE* f = std::fopen(path.c_str(), mode == Mode::kAppend ? "a" : "w");
  if (f == nullptr) {
    return Fail(Error::IoError(path + ": cannot open for writing: " + std::strerror(errno)));
  }
  return std::unique_ptr<JsonlSink>(new JsonlSink(f, true, path));
}

JsonlSink::~JsonlSink() {
  if (owned_) std::fclose(file_);
}

Status JsonlSink::Write(std::span<const Finding> findings) {
  for (const Finding& f : findings) {
    std::string line = f.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      return Fail(Error::IoError(path_ + ": write failed: " + std::strerror(errno)));
    }
  }
  return Flush();
}

Status JsonlSink::Flush() {
  if (std::fflush(file_) != 0) {
    return Fail(Error::IoError(path_ + ": flush failed: " + std::strerror(errno)));
  }
  if (owned_) fdatasync(fileno(file_));
  return Ok();
}

}  // namespace mw
