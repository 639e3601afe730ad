// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The multi-pattern prefilter, as the fast engines do it: each rule contributes one fast pattern
// (its `fast_pattern` content, else Suricata's choice: among the positive contents of the
// highest-priority buffer — app-layer buffers, then pkt_data, then http.method — the longest,
// ties to the higher pattern strength, then to the earlier one; `fast_pattern:o,l` contributes
// that slice), and every buffer name gets one Hyperscan database over the fast
// patterns of the rules that inspect it. A rule is evaluated in full only when its fast pattern
// occurs in its buffer; rules without a usable fast pattern (only negated contents, only pcre or
// checks, no payload at all) are always candidates.
//
// Immutable after Build and shared between threads; PrefilterScratch is per thread.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "mw/core/byte_view.h"
#include "mw/core/result.h"
#include "rules/rule.h"

namespace mw::rules {

// The buffers the engine knows, as small ids (index into BufferNames()). pkt_data is 0.
using BufferId = uint8_t;
inline constexpr BufferId kPktData = 0;
// Every buffer name the parser accepts ("pkt_data", "http.uri", "dns.query", ...).
std::span<const std::string_view> BufferNames();
// The id of a buffer name, or -1 when the engine does not know it.
int BufferIdOf(std::string_view name);

class PrefilterScratch {
 public:
  PrefilterScratch();
  ~PrefilterScratch();
  PrefilterScratch(PrefilterScratch&&) noexcept;
  PrefilterScratch& operator=(PrefilterScratch&&) noexcept;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class Prefilter {
 public:
  // "rules" are indexed by their position; ids passed back are those positions.
  [[nodiscard]] static Result<Prefilter> Build(const std::vector<Rule>& rules);
  Prefilter(Prefilter&&) noexcept;
  Prefilter& operator=(Prefilter&&) noexcept;
  ~Prefilter();

  // A scratch fit for this prefilter (Hyperscan scratch for every database).
  [[nodiscard]] Result<PrefilterScratch> MakeScratch() const;

  // Appends to "out" the index of every rule whose fast pattern lies in buffer "id" and occurs in
  // "data" (each rule at most once per call; order unspecified).
  void Scan(BufferId id, ByteView data, PrefilterScratch& scratch,
            std::vector<uint32_t>& out) const;

  // Rules that have no fast pattern: candidates for every inspection their header allows.
  const std::vector<uint32_t>& always_candidates() const;
  // The buffer a rule's fast pattern is in (so the caller knows which scan can select it), or -1.
  int fast_pattern_buffer(uint32_t rule) const;

  struct Impl;

 private:
  Prefilter();
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::rules
