// minerwatch — SPDX-License-Identifier: Apache-2.0
// The page database loader and the ELF executable-page hasher on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hostscan/page_db.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mw::hostscan;
  auto db = PageDb::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (db) {
    uint64_t probe[2] = {0, size};
    (void)db->Match(probe, 0, 0);
  }
  (void)HashElfExecPages(mw::ByteView(data, size));
  return 0;
}
