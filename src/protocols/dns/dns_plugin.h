// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
#include "mw/parse/app_parser.h"

namespace mw {

// Registers "dns" (UDP) and "dns-tcp" (TCP, length-prefixed).
void RegisterDns(ParserRegistry& registry);

}  // namespace mw
