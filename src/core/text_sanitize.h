// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Text that came off the network (a miner's user agent, a pool name) made safe to print where a
// byte could do harm: a terminal (escape sequences), a syslog line or an e-mail header (CR/LF).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mw {

// Replaces invalid UTF-8 sequences with U+FFFD and control characters (C0, DEL) with a space
// ("keep_newlines" keeps '\n' for multi-line text such as an e-mail body).
std::string SanitizeText(std::string_view in, bool keep_newlines = false);

// JSON text that cannot throw on invalid UTF-8 (replaced with U+FFFD).
inline std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mw
