// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/service_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  auto r = mw::config::ParseConfig(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  (void)r;
  return 0;
}
