// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Packet sources: where raw frames come from (capture files, merged files, live interfaces).
//
// A source hands out one RawPacket at a time. The bytes belong to the source and stay valid only
// until the next call to Next() on the same source, so the data plane never copies a frame.
//
// Thread-safety: a source is used by one thread; LiveSource::Stop() may be called from any thread
// or from a signal handler.
#include <cstdint>
#include <string>

#include "mw/core/byte_view.h"
#include "mw/core/result.h"
#include "mw/net/flow_info.h"

namespace mw::capture {

struct RawPacket {
  TimestampUs ts = 0;
  int link_type = 0;      // libpcap DLT_* value of the frame (may differ between merged files)
  ByteView data;          // captured bytes (caplen); valid until the source's next Next()
  uint32_t wire_len = 0;  // length on the wire (>= data.size() when the snaplen cut the frame)
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // Fills "packet" and returns true; returns false at the end of input (or after Stop() for live
  // sources). A returned Error is one line naming the file and the byte offset where it failed.
  [[nodiscard]] virtual Result<bool> Next(RawPacket& packet) = 0;
  // For progress reporting: bytes consumed so far and the total (0 when unknown, e.g. live).
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
};

}  // namespace mw::capture
