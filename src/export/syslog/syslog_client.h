// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Sends syslog messages over UDP (RFC 5426, one message per datagram) or TCP (RFC 6587, octet
// counting "LEN SP MSG" or newline-terminated). A TCP outage never stalls the caller for more
// than one connect timeout: after a failure the client waits (exponential backoff, 1 s to 60 s)
// before it dials again, keeps at most "max_pending" messages meanwhile (oldest dropped and
// counted) and sends them in order once connected.
//
// Thread-safety: none; one owner (the export worker).
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "export/siem_format.h"

namespace mw::siem {

enum class TcpFraming { kOctetCounting, kNewline };

struct SyslogClientOptions {
  SyslogAddress address;
  TcpFraming framing = TcpFraming::kOctetCounting;
  std::chrono::milliseconds io_timeout{2000};
  size_t max_pending = 10000;
  size_t max_datagram = 65000;  // longer UDP messages are truncated (RFC 5426 allows it)
};

class SyslogClient {
 public:
  explicit SyslogClient(SyslogClientOptions o);
  ~SyslogClient();
  SyslogClient(const SyslogClient&) = delete;
  SyslogClient& operator=(const SyslogClient&) = delete;

  // Queues "msg" and sends what it can now. Errors are reported once per outage through
  // last_error(); the message stays queued (TCP) or is counted as dropped (UDP).
  void Send(std::string msg);
  // Retries queued messages if the backoff allows (call periodically).
  void Flush();

  uint64_t sent() const { return sent_; }
  uint64_t dropped() const { return dropped_; }
  size_t pending() const { return pending_.size(); }
  // Non-empty after a new failure; Consume clears it so each outage is logged once.
  std::string ConsumeError();

 private:
  bool Connect();
  bool WriteAll(std::string_view data);
  void Close();
  void Fail(std::string why);

  SyslogClientOptions o_;
  int fd_ = -1;
  std::deque<std::string> pending_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  uint64_t sent_ = 0;
  uint64_t dropped_ = 0;
  std::string error_;
  bool error_reported_ = false;
  std::string frame_;  // reused framing buffer
};

}  // namespace mw::siem
