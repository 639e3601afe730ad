// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/files/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace mw::siem {

RotatingFile::RotatingFile(std::string path, uint64_t max_bytes, uint32_t keep)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep) {}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status RotatingFile::Open() {
  std::error_code ec;
  auto dir = std::filesystem::path(path_).parent_path();
  // Owner-only, as the store: exported lines carry the findings and their evidence.
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return Fail(Error::IoError("cannot open " + path_ + ": " + std::strerror(errno)));
  struct stat st;
  size_ = ::fstat(fd_, &st) == 0 ? uint64_t(st.st_size) : 0;
  return Ok();
}

Status RotatingFile::Rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // Oldest first, so no rename ever overwrites a file that has not moved yet.
  std::string oldest = path_ + "." + std::to_string(keep_);
  std::remove(oldest.c_str());
  for (uint32_t i = keep_; i > 1; --i) {
    std::string from = path_ + "." + std::to_string(i - 1);
    std::string to = path_ + "." + std::to_string(i);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return Fail(Error::IoError("cannot rotate " + from + ": " + std::strerror(errno)));
    }
  }
  std::string first = path_ + ".1";
  if (::rename(path_.c_str(), first.c_str()) != 0 && errno != ENOENT) {
    return Fail(Error::IoError("cannot rotate " + path_ + ": " + std::strerror(errno)));
  }
  ++rotations_;
  return Open();
}

Status RotatingFile::Append(std::string_view line) {
  if (fd_ < 0) {
    if (auto s = Open(); !s) return s;
  }
  // A line larger than the limit still goes out (alone in its file) rather than being lost.
  if (size_ > 0 && size_ + line.size() + 1 > max_bytes_) {
    if (auto s = Rotate(); !s) return s;
  }
  buf_.assign(line);
  buf_ += '\n';
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd_);
      fd_ = -1;  // reopen next time: the disk may have been remounted or the file removed
      return Fail(Error::IoError("cannot write " + path_ + ": " + std::strerror(err)));
    }
    off += size_t(n);
  }
  size_ += buf_.size();
  return Ok();
}

}  // namespace mw::siem
