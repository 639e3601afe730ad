// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// An append-only JSON Lines file with size-based rotation: when the next line would push the
// file past "max_bytes", FILE becomes FILE.1, FILE.1 becomes FILE.2 ... and FILE.<keep> is
// deleted, so disk use is bounded by (keep + 1) * max_bytes. Lines are written whole with one
// write(2) on an O_APPEND descriptor, so a reader (or a shipper tailing the file) never sees a
// torn line from us.
//
// Thread-safety: none; one owner (the export worker).
#include <cstdint>
#include <string>
#include <string_view>

#include "mw/core/result.h"

namespace mw::siem {

class RotatingFile {
 public:
  RotatingFile(std::string path, uint64_t max_bytes, uint32_t keep);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Appends "line" and a newline. REQUIRES: "line" has no newline.
  Status Append(std::string_view line);
  const std::string& path() const { return path_; }
  uint64_t rotations() const { return rotations_; }

 private:
  Status Open();
  Status Rotate();

  std::string path_;
  uint64_t max_bytes_;
  uint32_t keep_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t rotations_ = 0;
  std::string buf_;  // reused: the line plus '\n'
};

}  // namespace mw::siem
