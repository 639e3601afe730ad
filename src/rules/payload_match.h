// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Suricata's payload inspection of one buffer: a rule's steps on that buffer (content with its
// modifiers, pcre, byte_test, byte_jump, isdataat, bsize, dotprefix) evaluated in rule order, with
// relative steps anchored at the end of the previous match and Suricata's backtracking (a content
// is retried at its next occurrence when a later relative step fails).
//
// Compiled once at load (PCRE2 code, decoded patterns); immutable and shared between threads.
// Matching allocates nothing in the steady state: PayloadScratch is per thread and reused.
#include <cstdint>
#include <memory>
#include <vector>

#include "mw/core/byte_view.h"
#include "mw/core/result.h"
#include "rules/rule.h"

namespace mw::rules {

// Per-thread state for matching (PCRE2 match data, transform output such as dotprefix).
class PayloadScratch {
 public:
  PayloadScratch();
  ~PayloadScratch();
  PayloadScratch(PayloadScratch&&) noexcept;
  PayloadScratch& operator=(PayloadScratch&&) noexcept;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Where the match was: the span of the buffer the rule's first positive content (or pcre) matched,
// for evidence (in the caller's bytes, also after dotprefix). Empty when the rule's steps are all
// negative or checks (a fast_pattern:only content is not searched, so it gives no span).
struct MatchSpan {
  uint32_t offset = 0;
  uint32_t length = 0;
};

class CompiledPayload {
 public:
  // Fails only on what the parser should already have refused (a pcre that does not compile).
  [[nodiscard]] static Result<CompiledPayload> Compile(const BufferMatches& matches);
  CompiledPayload(CompiledPayload&&) noexcept;
  CompiledPayload& operator=(CompiledPayload&&) noexcept;
  ~CompiledPayload();

  // True when every step holds on "data". "span" (optional) gets where it matched. Meant to run
  // after the prefilter selected the rule for this buffer: a `fast_pattern:only` content is not
  // searched again (Suricata does not either), so on its own it holds on any data.
  bool Matches(ByteView data, PayloadScratch& scratch, MatchSpan* span = nullptr) const;

  struct Impl;

 private:
  CompiledPayload();
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::rules
