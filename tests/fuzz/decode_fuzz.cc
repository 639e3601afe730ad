// minerwatch — SPDX-License-Identifier: Apache-2.0
// Decoder + flow table on arbitrary frames. Byte 0 picks the link type; the rest is the frame.
// Frames share one decoder, so fragment reassembly state carries over between inputs' frames:
// the input is split into frames at each "\xff\xfe" marker.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "decode/decoder.h"
#include "flow/flow_table.h"

namespace {
constexpr int kLinkTypes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static mw::ParserRegistry registry;
  mw::EventBus bus;
  mw::decode::Decoder decoder({.fragments = {.max_datagrams = 8, .timeout_us = 1000}});
  mw::flow::FlowTable flows({.max_flows = 16}, registry, bus);
  const int link = kLinkTypes[data[0] % (sizeof(kLinkTypes) / sizeof(kLinkTypes[0]))];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  mw::decode::DecodedPacket out;
  int64_t ts = 0;
  while (true) {
    size_t cut = rest.find("\xff\xfe");
    std::string_view frame = rest.substr(0, cut);
    mw::capture::RawPacket raw{ts += 100, link, mw::AsBytes(frame), uint32_t(frame.size())};
    if (decoder.Decode(raw, out) == mw::decode::DecodeResult::kPacket) flows.Process(out);
    if (cut == std::string_view::npos) break;
    rest = rest.substr(cut + 2);
  }
  flows.Finish();
  return 0;
}
