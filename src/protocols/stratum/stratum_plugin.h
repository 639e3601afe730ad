// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Registers the mining-protocol parser ("stratum": every JSON-RPC mining dialect over TCP).
#include "mw/parse/app_parser.h"

namespace mw {

void RegisterStratum(ParserRegistry& registry);

}  // namespace mw
