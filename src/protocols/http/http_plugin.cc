// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/http/http_plugin.h"

#include "protocols/http/http_parser.h"

namespace mw {

void RegisterHttp(ParserRegistry& registry) {
  registry.Add({
      .name = "http",
      .transport = Transport::kTcp,
      .probe = &http::ProbeHttp,
      .create = &http::CreateHttpParser,
      // A header block (or trailer) is the most the parser leaves unconsumed.
      .max_buffer = uint32_t(http::kMaxHeaderBlock + 1024),
      .state_bytes = sizeof(http::HttpParser),
  });
}

}  // namespace mw
