// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

namespace mw::server {
namespace {

constexpr size_t kIdBytes = 6;
constexpr size_t kSecretBytes = 32;

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

bool ValidTokenName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<NewToken> CreateToken(store::Store& store, std::string_view name, store::Role role,
                             std::string_view actor, TimestampUs now) {
  if (!ValidTokenName(name)) {
    return Fail(Error::InvalidArgument("token name must be 1-64 characters of A-Z a-z 0-9 . _ -"));
  }
  unsigned char id[kIdBytes];
  unsigned char secret[kSecretBytes];
  if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(secret, sizeof(secret)) != 1) {
    return Fail(Error::Internal("no randomness for a token"));
  }
  NewToken t;
  t.record.id = Hex(id, sizeof(id));
  t.record.name = std::string(name);
  t.record.role = role;
  std::string secret_hex = Hex(secret, sizeof(secret));
  t.record.secret_hash = Sha256Hex(secret_hex);
  t.record.created_at = now;
  t.record.created_by = std::string(actor);
  t.plaintext = "mw_" + t.record.id + "_" + secret_hex;
  if (auto s = store.PutToken(t.record); !s) return Fail(s.error());
  auto audit = store.AppendAudit(
      {0, now, std::string(actor), "token.create", t.record.id,
       nlohmann::json{{"name", t.record.name}, {"role", store::RoleName(role)}}.dump()});
  if (!audit) return Fail(audit.error());
  return t;
}

std::optional<store::TokenRecord> Authenticate(store::Store& store, std::string_view presented) {
  // mw_<12 hex>_<64 hex>
  if (presented.size() != 3 + kIdBytes * 2 + 1 + kSecretBytes * 2) return std::nullopt;
  if (presented.substr(0, 3) != "mw_" || presented[3 + kIdBytes * 2] != '_') return std::nullopt;
  std::string_view id = presented.substr(3, kIdBytes * 2);
  std::string_view secret = presented.substr(4 + kIdBytes * 2);
  if (!IsHex(id) || !IsHex(secret)) return std::nullopt;
  auto rec = store.GetToken(std::string(id));
  if (!rec || !rec->has_value()) return std::nullopt;
  std::string want = (*rec)->secret_hash;
  std::string got = Sha256Hex(secret);
  if (want.size() != got.size() || CRYPTO_memcmp(want.data(), got.data(), got.size()) != 0) {
    return std::nullopt;
  }
  return **rec;
}

}  // namespace mw::server
