// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// TLS handshake parser over TCP: record layer, handshake messages spanning records and
// segments (bounded to kMaxHandshakeMessage), ClientHello (SNI, ALPN, versions, JA3, JA4),
// ServerHello (version, cipher, JA3S) and the server Certificate (TLS <= 1.2; leaf subject,
// issuer and SAN DNS names via OpenSSL). Once a direction turns encrypted (ChangeCipherSpec,
// application data, or a TLS 1.3 ServerHello) it is skipped without looking at the bytes.
//
// Thread-safety: one parser per flow, used by one pipeline thread.
#include <cstdint>
#include <vector>

#include "mw/parse/app_parser.h"

namespace mw::tls {

inline constexpr size_t kRecordHeader = 5;
inline constexpr size_t kMaxRecordPayload = 16384 + 2048;  // TLSCiphertext bound, RFC 5246 6.2.3
inline constexpr size_t kMaxHandshakeMessage = 64 * 1024;  // bigger handshakes are not parsed

class TlsParser final : public AppParser {
 public:
  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override;
  void OnGap(Direction dir, uint32_t len, ParseContext& ctx) override;

 private:
  struct DirState {
    bool done = false;             // encrypted from here on, or given up
    std::vector<uint8_t> partial;  // a handshake message that spans records
  };
  enum class Step : uint8_t { kContinue, kStopDirection, kInvalid };

  Step HandleHandshakeRecord(Direction dir, ByteView payload, ParseContext& ctx);
  // Parses complete handshake messages at the front of "buf"; "*used" gets the bytes consumed.
  Step HandleMessages(Direction dir, ByteView buf, size_t* used, ParseContext& ctx);
  Step HandleMessage(Direction dir, uint8_t type, ByteView body, ParseContext& ctx);
  void HandleCertificate(ByteView body, ParseContext& ctx);

  DirState dirs_[2];
  bool confirmed_ = false;
  bool certificate_seen_ = false;
  uint16_t server_version_ = 0;
};

// Content probe: a handshake record (0x16 0x03 0x00..0x04) carrying a ClientHello/ServerHello.
ProbeResult ProbeTls(Direction dir, ByteView first_bytes);

}  // namespace mw::tls
