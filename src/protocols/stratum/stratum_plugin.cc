// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/stratum_plugin.h"

#include "protocols/stratum/stratum_parser.h"

namespace mw {

void RegisterStratum(ParserRegistry& registry) {
  registry.Add({
      .name = "stratum",
      .transport = Transport::kTcp,
      .probe = &stratum::ProbeStratum,
      .create = &stratum::CreateStratumParser,
      .max_buffer = uint32_t(stratum::kMaxLine),
      .state_bytes = sizeof(stratum::StratumParser),
  });
}

}  // namespace mw
