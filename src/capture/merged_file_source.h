// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Reads several capture files as one stream in timestamp order (a min-heap over the next packet
// of each file; ties go to the file listed first). Files may have different link types, which is
// why RawPacket carries its own.
//
// The packet returned by Next() stays valid until the following Next(): the file it came from is
// only advanced at the start of the next call.
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "capture/pcap_file_source.h"

namespace mw::capture {

class MergedFileSource final : public PacketSource {
 public:
  // Opens every file up front so that a bad path fails before any packet is read. A pipe or
  // FIFO must send its first bytes within "stream_wait_ms" (PcapFileSource::Open).
  static Result<std::unique_ptr<MergedFileSource>> Open(const std::vector<std::string>& paths,
                                                        int stream_wait_ms = kDefaultStreamWaitMs);

  Result<bool> Next(RawPacket& packet) override;
  // One file's common record without a Result (PcapFileSource::NextFast); false means "call
  // Next()", and nothing was consumed. The packet loop of `scan pcap` tries this first.
  bool NextFast(RawPacket& packet) { return files_.size() == 1 && files_[0]->NextFast(packet); }
  uint64_t bytes_read() const override;
  uint64_t total_bytes() const override;

 private:
  struct Head {
    TimestampUs ts;
    size_t index;
    bool operator>(const Head& o) const { return ts != o.ts ? ts > o.ts : index > o.index; }
  };
  // Reads the next packet of file "i" into pending_[i] and pushes it on the heap.
  Status Advance(size_t i);

  std::vector<std::unique_ptr<PcapFileSource>> files_;
  std::vector<RawPacket> pending_;
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap_;
  static constexpr size_t kNone = size_t(-1);
  size_t last_returned_ = kNone;
};

}  // namespace mw::capture
