// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The per-protocol part of the one app-layer parser fuzzer (parser_fuzz.cc): what a generic
// harness cannot know about a protocol. A protocol that needs none links parser_fuzz_no_hooks.cc.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mw/parse/event_bus.h"

namespace mw::fuzz {

struct ParserFuzzHooks {
  // Subscribes handlers that read every view of every event the parser publishes, so ASan sees
  // dangling or out-of-range data (views live only during Publish).
  void (*subscribe)(EventBus& bus) = nullptr;
  // In "turn" mode the direction changes after a chunk holding this (the end of an HTTP header
  // block, a Stratum line), so requests and responses interleave. Empty: the mode never turns.
  std::string_view turn_after;
};

// Defined once per fuzzer binary: by src/protocols/<p>/<p>_fuzz_hooks.cc or by
// parser_fuzz_no_hooks.cc (mw_add_parser_fuzzer's HOOKS argument).
ParserFuzzHooks ProtocolFuzzHooks();

// Reads every byte of "s" into a sink the optimiser cannot drop.
inline void Touch(std::string_view s) {
  static volatile size_t sink;
  size_t n = s.size();
  for (char c : s) n += uint8_t(c);
  sink = sink + n;
}

}  // namespace mw::fuzz
