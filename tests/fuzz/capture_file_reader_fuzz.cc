// minerwatch — SPDX-License-Identifier: Apache-2.0
// The memory-mapped capture-file reader (classic pcap and pcapng) on arbitrary bytes: no crash,
// no read outside the input, every packet inside the input, and an end within a bounded number
// of steps (each Next() consumes at least 12 bytes or ends).
#include <cstdint>
#include <cstdlib>

#include "capture/capture_file_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = mw::capture::CaptureFileReader::Open(mw::ByteView(data, size));
  if (!reader) return 0;
  mw::capture::RawPacket raw;
  for (size_t steps = 0; steps <= size; ++steps) {
    const uint64_t before = reader->offset();
    auto more = reader->Next(raw);
    if (!more || !*more) return 0;
    if (raw.data.data() < data || raw.data.data() + raw.data.size() > data + size) std::abort();
    if (reader->offset() <= before || reader->offset() > size) std::abort();
    volatile uint8_t sink = raw.data.empty() ? 0 : raw.data[raw.data.size() - 1];
    (void)sink;
  }
  std::abort();  // more packets than bytes: the reader did not advance
}
