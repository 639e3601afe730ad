// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
#include "mw/parse/app_parser.h"

namespace mw {

// Registers "tls" (TCP).
void RegisterTls(ParserRegistry& registry);

}  // namespace mw
