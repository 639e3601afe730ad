// minerwatch — SPDX-License-Identifier: Apache-2.0
// Feeds arbitrary bytes to every /proc parser and the persistence line classifier.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hostscan/persistence.h"
#include "hostscan/proc_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace mw::hostscan;
  (void)ParseMaps(text);
  (void)ParseProcNet(text, false, false);
  (void)ParseProcNet(text, true, true);
  (void)ParseStat(text);
  (void)ParseStatusUid(text);
  (void)ParseCgroup(text);
  (void)ParseCmdline(text);
  (void)ParseSocketLink(text);
  std::vector<std::string> miners = {"/tmp/x"};
  (void)ClassifyLine(text, miners);
  (void)HostsInLine(text);
  return 0;
}
