// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/dns/dns_plugin.h"

#include <memory>

#include "protocols/dns/dns_parser.h"

namespace mw {

void RegisterDns(ParserRegistry& registry) {
  registry.Add(ParserSpec{
      .name = "dns",
      .transport = Transport::kUdp,
      .probe = &dns::ProbeUdp,
      .create = []() -> std::unique_ptr<AppParser> {
        return std::make_unique<dns::DnsParser>(dns::Framing::kDatagram);
      },
      .state_bytes = sizeof(dns::DnsParser),
  });
  registry.Add(ParserSpec{
      .name = "dns-tcp",
      .transport = Transport::kTcp,
      .probe = &dns::ProbeTcp,
      .create = []() -> std::unique_ptr<AppParser> {
        return std::make_unique<dns::DnsParser>(dns::Framing::kLengthPrefixed);
      },
      .max_buffer = 2 + 65535,  // one whole length-prefixed message
      .state_bytes = sizeof(dns::DnsParser),
  });
}

}  // namespace mw
