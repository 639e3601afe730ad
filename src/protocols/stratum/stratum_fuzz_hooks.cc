// minerwatch — SPDX-License-Identifier: Apache-2.0
// stratum_fuzz (src/protocols/parser_fuzz.cc): reads every view of a stratum::MessageEvent;
// "turn" mode changes direction after each line, so requests and responses interleave.
#include "protocols/parser_fuzz.h"
#include "protocols/stratum/stratum_events.h"

namespace mw::fuzz {

ParserFuzzHooks ProtocolFuzzHooks() {
  return {.subscribe =
              [](EventBus& bus) {
                bus.On<stratum::MessageEvent>([](const stratum::MessageEvent& e) {
                  Touch(e.method);
                  Touch(e.agent);
                  for (std::string_view a : e.algos) Touch(a);
                  Touch(e.login);
                  Touch(e.worker);
                  Touch(e.coin);
                  Touch(e.job_id);
                  Touch(e.request_method);
                });
              },
          .turn_after = "\n"};
}

}  // namespace mw::fuzz
