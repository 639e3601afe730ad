// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// TLS handshake parser over TCP: record layer, handshake messages spanning records and
// segments (bounded to kMaxHandshakeMessage), ClientHello (SNI, ALPN, versions, JA3, JA4),
// ServerHello (version, cipher, JA3S) and the server Certificate (TLS <= 1.2; leaf subject,
// issuer and SAN DNS names via OpenSSL). Once a direction turns encrypted (ChangeCipherSpec,
// application data, or a TLS 1.3 ServerHello) it is skipped without looking at the bytes.
//
// HelloRetryRequest (RFC 8446 4.1.4): the HRR is published (ServerHelloEvent with
// hello_retry_request) without stopping the server direction; the middlebox-compat dummy
// ChangeCipherSpec of either side is passed over until the second ClientHello (published with
// after_hello_retry) and the real ServerHello have been seen.
//
// Gaps: after lost bytes a direction scans forward (at most kMaxResyncScan bytes) for a
// plausible record header confirmed by the next header or by a consistent handshake header
// inside it ("tls.resync"), or gives the direction up ("tls.resync_failed"). Every anomaly and
// violation is declared in tls_anomalies.h.
//
// Thread-safety: one parser per flow, used by one pipeline thread.
#include <cstdint>
#include <vector>

#include "mw/parse/app_parser.h"

namespace mw::tls {

inline constexpr size_t kRecordHeader = 5;
inline constexpr size_t kMaxRecordPayload = 16384 + 2048;  // TLSCiphertext bound, RFC 5246 6.2.3
inline constexpr size_t kMaxHandshakeMessage = 64 * 1024;  // bigger handshakes are not parsed
inline constexpr size_t kMaxResyncScan = 64 * 1024;        // bytes dropped looking for a record

class TlsParser final : public AppParser {
 public:
  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override;
  void OnGap(Direction dir, uint32_t len, ParseContext& ctx) override;
  size_t heap_bytes() const override {
    return dirs_[0].partial.capacity() + dirs_[1].partial.capacity();
  }

 private:
  struct DirState {
    bool done = false;             // encrypted from here on, or given up
    bool resync = false;           // after a gap: looking for a record header
    bool skip_fragments = false;   // after a resync: handshake records until a message starts
    uint32_t resync_dropped = 0;   // bytes dropped by the current resync scan
    std::vector<uint8_t> partial;  // a handshake message that spans records
  };
  enum class Step : uint8_t { kContinue, kStopDirection, kInvalid };

  // Finds where records start again after a gap. Returns the bytes to drop in front of "bytes"
  // and sets "*synced" when a record starts there.
  size_t Resync(ByteView bytes, bool* synced) const;
  // A dummy ChangeCipherSpec of TLS 1.3 middlebox-compat mode while a HelloRetryRequest
  // exchange is still in plaintext (RFC 8446 D.4), as opposed to one that starts encryption.
  bool IsCompatChangeCipherSpec(Direction dir, ByteView payload) const;
  void StopDirection(DirState& d);

  Step HandleHandshakeRecord(Direction dir, ByteView payload, ParseContext& ctx);
  // Parses complete handshake messages at the front of "buf"; "*used" gets the bytes consumed.
  Step HandleMessages(Direction dir, ByteView buf, size_t* used, ParseContext& ctx);
  Step HandleMessage(Direction dir, uint8_t type, ByteView body, ParseContext& ctx);
  void HandleCertificate(ByteView body, ParseContext& ctx);

  DirState dirs_[2];
  bool confirmed_ = false;
  bool certificate_seen_ = false;
  bool hello_retry_seen_ = false;   // the server sent a HelloRetryRequest
  bool server_hello_seen_ = false;  // a ServerHello that is not a HelloRetryRequest
  uint8_t client_hellos_ = 0;       // saturates at 255
  uint16_t server_version_ = 0;
};

// Content probe: a handshake record (0x16 0x03 0x00..0x04) carrying a ClientHello/ServerHello.
ProbeResult ProbeTls(Direction dir, ByteView first_bytes);

}  // namespace mw::tls
