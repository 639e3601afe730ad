// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Pure decoding of TLS ClientHello / ServerHello bodies (RFC 8446 4.1.2-4.1.3, RFC 5246 7.4.1)
// and the JA3 / JA3S / JA4 fingerprints computed from them.
//
// JA3 (Salesforce): "version,ciphers,extensions,groups,point_formats", decimal values joined
// by '-', GREASE (RFC 8701) removed; hashed with MD5. JA3S: "version,cipher,extensions".
// JA4 (FoxIO, technical_details/JA4.md): "t" + version + d|i + cipher count + extension count
// + ALPN first/last char, "_", sha256[:12] of sorted cipher hex, "_", sha256[:12] of sorted
// extension hex (minus SNI 0000 and ALPN 0010) + "_" + signature algorithms in order.
//
// A HelloDecoder keeps its scratch vectors and strings between messages, so decoding allocates
// only while they grow to the largest hello seen. Not thread-safe; one per parser.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mw/core/byte_view.h"

namespace mw::tls {

inline bool IsGrease(uint16_t v) { return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF); }

enum class HelloStatus : uint8_t { kOk, kTruncated, kMalformed };

struct ClientHelloInfo {
  uint16_t legacy_version = 0;
  uint16_t version = 0;                // highest supported_versions entry, else legacy_version
  std::string_view sni;                // lower-case; views the decoder's storage
  std::vector<std::string_view> alpn;  // views into the message bytes
  std::string_view ja3, ja3_hash, ja4;
};

// ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3): SHA-256("HelloRetryRequest").
inline constexpr uint8_t kHelloRetryRequestRandom[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

struct ServerHelloInfo {
  uint16_t legacy_version = 0;
  uint16_t version = 0;  // supported_versions selection, else legacy_version
  uint16_t cipher = 0;
  bool hello_retry_request = false;  // random is kHelloRetryRequestRandom
  std::string_view ja3s, ja3s_hash;
};

class HelloDecoder {
 public:
  // "body" is the handshake message body (after the 4-byte handshake header). Views in "out"
  // are valid until the next call and while "body" is alive. With "fingerprint" false the
  // JA3/JA3S/JA4 views are left empty (they are most of the cost).
  HelloStatus DecodeClientHello(ByteView body, ClientHelloInfo& out, bool fingerprint = true);
  HelloStatus DecodeServerHello(ByteView body, ServerHelloInfo& out, bool fingerprint = true);

 private:
  void FingerprintClientHello(bool has_sni, ClientHelloInfo& out);

  std::vector<uint16_t> ciphers_, extensions_, groups_, sigalgs_, sorted_;
  std::vector<uint8_t> point_formats_;
  std::string sni_, ja3_, ja4_, hash_input_;
  char ja3_hash_[33] = {};
};

// Lower-case hex digests through OpenSSL EVP; "out" receives 2 * digest-size characters.
void Md5Hex(std::string_view data, char out[32]);
void Sha256Hex(std::string_view data, char out[64]);

}  // namespace mw::tls
