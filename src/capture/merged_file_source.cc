// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/merged_file_source.h"

#include <sys/resource.h>

#include <algorithm>

namespace mw::capture {

Result<std::unique_ptr<MergedFileSource>> MergedFileSource::Open(
    const std::vector<std::string>& paths, int stream_wait_ms) {
  if (paths.empty()) return Fail(Error::InvalidArgument("no capture files given"));
  auto merged = std::unique_ptr<MergedFileSource>(new MergedFileSource());
  // Every file stays open with a read window of its own: keep the windows to ~8 MB in all, and
  // make sure the descriptor limit allows that many files (as far as the hard limit does).
  const size_t window =
      std::clamp<size_t>((8u << 20) / paths.size(), 16u << 10, CaptureFileReader::kDefaultWindow);
  struct rlimit nofile {};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
      nofile.rlim_cur < paths.size() + 64) {
    nofile.rlim_cur = std::min<rlim_t>(paths.size() + 64, nofile.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  for (const auto& path : paths) {
    MW_ASSIGN(file, PcapFileSource::Open(path, window, stream_wait_ms));
    merged->files_.push_back(std::move(file));
  }
  if (merged->files_.size() == 1) return merged;
  merged->pending_.resize(merged->files_.size());
  for (size_t i = 0; i < merged->files_.size(); ++i) {
    MW_TRY(merged->Advance(i));
  }
  return merged;
}

Status MergedFileSource::Advance(size_t i) {
  MW_ASSIGN(got, files_[i]->Next(pending_[i]));
  if (got) heap_.push(Head{pending_[i].ts, i});
  return Ok();
}

Result<bool> MergedFileSource::Next(RawPacket& packet) {
  // One file (the common case): no heap and no copy through pending_.
  if (files_.size() == 1) return files_[0]->Next(packet);
  if (last_returned_ != kNone) {
    size_t i = last_returned_;
    last_returned_ = kNone;
    MW_TRY(Advance(i));
  }
  if (heap_.empty()) return false;
  Head head = heap_.top();
  heap_.pop();
  packet = pending_[head.index];
  last_returned_ = head.index;
  return true;
}

uint64_t MergedFileSource::bytes_read() const {
  uint64_t n = 0;
  for (const auto& f : files_) n += f->bytes_read();
  return n;
}

uint64_t MergedFileSource::total_bytes() const {
  uint64_t n = 0;
  for (const auto& f : files_) n += f->total_bytes();
  return n;
}

}  // namespace mw::capture
