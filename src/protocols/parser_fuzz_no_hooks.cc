// minerwatch — SPDX-License-Identifier: Apache-2.0
// Hooks for a parser fuzzer whose protocol needs none: no event is read beyond what the parser
// does itself, and "turn" mode never turns.
#include "protocols/parser_fuzz.h"

namespace mw::fuzz {

ParserFuzzHooks ProtocolFuzzHooks() { return {}; }

}  // namespace mw::fuzz
