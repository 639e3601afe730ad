// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// API tokens: "mw_<id>_<secret>". The id is public (it names the token in the audit log and the
// store); only the SHA-256 of the secret is stored, so a leaked database leaks no credential.
// Secrets are 256 random bits, which is why a fast hash is enough (no password stretching).
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace mw::server {

struct NewToken {
  store::TokenRecord record;
  std::string plaintext;  // shown once, never stored
};

// Creates and stores a token. "name" is 1-64 of [A-Za-z0-9._-]; it must be unique.
Result<NewToken> CreateToken(store::Store& store, std::string_view name, store::Role role,
                             std::string_view actor, TimestampUs now);

// Returns the token record for "presented" if it is a valid, known token.
std::optional<store::TokenRecord> Authenticate(store::Store& store, std::string_view presented);

std::string Sha256Hex(std::string_view data);
bool ValidTokenName(std::string_view name);

}  // namespace mw::server
