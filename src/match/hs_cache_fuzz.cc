// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target: a Hyperscan cache file (HsDatabase::Deserialize) is read from the state
// folder, which a damaged disk or a careless copy can fill with anything.
#include <cstddef>
#include <cstdint>

#include "match/hyperscan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto db = mw::match::HsDatabase::Deserialize(mw::ByteView(data, size));
  if (db) {
    mw::match::HsScratch scratch(**db);
    if (scratch.ok())
      (void)(*db)->Scan(
          mw::ByteView(data, size), scratch, [](unsigned, uint64_t, uint64_t, void*) { return 0; },
          nullptr);
  }
  return 0;
}
