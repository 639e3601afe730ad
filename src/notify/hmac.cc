// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace mw::notify {

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty key is valid HMAC input; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (!HMAC(EVP_sha256(), k, int(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len)) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size_t(len) * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[mac[i] >> 4];
    out[2 * i + 1] = kHex[mac[i] & 15];
  }
  return out;
}

std::string SignatureHeaderValue(std::string_view key, std::string_view body) {
  return "sha256=" + HmacSha256Hex(key, body);
}

bool VerifySignature(std::string_view key, std::string_view body, std::string_view header_value) {
  std::string want = SignatureHeaderValue(key, body);
  return header_value.size() == want.size() &&
         CRYPTO_memcmp(header_value.data(), want.data(), want.size()) == 0;
}

}  // namespace mw::notify
