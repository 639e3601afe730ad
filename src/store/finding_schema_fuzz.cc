// minerwatch — SPDX-License-Identifier: Apache-2.0
// Any POST /api/v1/findings body must be accepted or refused with a message, never crash, throw
// or accept what the schema forbids. What it accepts must survive the round trip: the findings'
// own JSON is accepted again and reads back the same.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "store/finding_schema.h"

namespace {

constexpr mw::TimestampUs kNow = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z

void CheckAccepted(const std::vector<mw::Finding>& batch) {
  nlohmann::json again = {{"findings", nlohmann::json::array()}};
  for (const auto& f : batch) {
    if (!mw::store::IsAddressableId(f.id) || f.count > mw::kMaxFindingCount ||
        f.revision > mw::kMaxFindingCount || f.first_seen > f.last_seen ||
        f.first_seen < mw::store::kEarliestFindingTime || !mw::IsKnownCategory(f.category)) {
      std::abort();
    }
    again["findings"].push_back(f.ToJson());
  }
  auto back = mw::store::ValidateIngest(again, kNow);
  if (!back || back->size() != batch.size()) std::abort();
  for (size_t i = 0; i < batch.size(); ++i) {
    if ((*back)[i].ToJson() != batch[i].ToJson()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;  // the API's body limit is far below
  auto body = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  auto r = mw::store::ValidateIngest(body, kNow);
  if (r) {
    CheckAccepted(*r);
  } else if (r.error().message().empty() || r.error().code() != mw::Error::Code::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
