// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Registers the HTTP/1.x parser ("http").
#include "mw/parse/app_parser.h"

namespace mw {

void RegisterHttp(ParserRegistry& registry);

}  // namespace mw
