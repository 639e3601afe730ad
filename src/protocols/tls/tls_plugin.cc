// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/tls/tls_plugin.h"

#include <memory>

#include "protocols/tls/tls_parser.h"

namespace mw {

void RegisterTls(ParserRegistry& registry) {
  registry.Add(ParserSpec{
      .name = "tls",
      .transport = Transport::kTcp,
      .probe = &tls::ProbeTls,
      .create = []() -> std::unique_ptr<AppParser> { return std::make_unique<tls::TlsParser>(); },
      // The parser only leaves an incomplete record unconsumed; handshake messages that span
      // records are kept by the parser itself (bounded by kMaxHandshakeMessage).
      .max_buffer = uint32_t(tls::kRecordHeader + tls::kMaxRecordPayload),
      .state_bytes = sizeof(tls::TlsParser),
  });
}

}  // namespace mw
