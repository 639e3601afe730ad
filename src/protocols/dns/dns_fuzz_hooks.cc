// minerwatch — SPDX-License-Identifier: Apache-2.0
// dns_fuzz (src/protocols/parser_fuzz.cc): reads every view of a dns::MessageEvent.
#include "protocols/dns/dns_events.h"
#include "protocols/parser_fuzz.h"

namespace mw::fuzz {

ParserFuzzHooks ProtocolFuzzHooks() {
  return {.subscribe = [](EventBus& bus) {
    bus.On<dns::MessageEvent>([](const dns::MessageEvent& e) {
      Touch(e.qname);
      for (const auto& a : e.answers) {
        Touch(a.name);
        Touch(a.target);
        Touch(std::string_view(reinterpret_cast<const char*>(a.address.bytes().data()), 16));
      }
    });
  }};
}

}  // namespace mw::fuzz
