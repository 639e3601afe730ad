// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// HMAC-SHA256 for webhook signatures (OpenSSL). A receiver recomputes
// HMAC-SHA256(secret, raw request body) and compares it, in constant time, with the hex digest
// in "X-Minerwatch-Signature: sha256=<hex>".
#include <string>
#include <string_view>

namespace mw::notify {

// Lower-case hex HMAC-SHA256 of "message" under "key".
std::string HmacSha256Hex(std::string_view key, std::string_view message);
// "sha256=<hex>", the header value.
std::string SignatureHeaderValue(std::string_view key, std::string_view body);
// Constant-time check of a header value against the body (for tests and receivers).
bool VerifySignature(std::string_view key, std::string_view body, std::string_view header_value);

}  // namespace mw::notify
