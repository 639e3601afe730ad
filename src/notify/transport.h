// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// How notices leave the process. Transport is the seam (tests use a fake); CurlTransport sends
// e-mail through an SMTP relay and posts webhooks, both with libcurl (no hand-written SMTP).
//
// Thread-safety: a Transport is used by one worker thread at a time.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mw/core/result.h"

namespace mw::notify {

struct DeliveryResult {
  bool ok = false;
  bool retryable = false;  // a timeout, refused connection, 4xx SMTP reply, HTTP 408/429/5xx
  std::string error;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual DeliveryResult SendEmail(const std::string& from, const std::string& to,
                                   const std::string& data) = 0;
  virtual DeliveryResult PostWebhook(const std::string& url, const std::string& body,
                                     const std::vector<std::string>& headers) = 0;
};

struct SmtpOptions {
  std::string url;               // smtp://host:port or smtps://host:port
  std::string starttls = "try";  // off | try | require (smtp:// only)
  std::string username;
  std::string password;
  std::chrono::seconds timeout{20};
};

// libcurl is loaded on the first send (notify/libcurl.h); when it cannot be, each delivery
// fails with that reason, not retried.
class CurlTransport : public Transport {
 public:
  CurlTransport(SmtpOptions smtp, std::chrono::seconds webhook_timeout);
  DeliveryResult SendEmail(const std::string& from, const std::string& to,
                           const std::string& data) override;
  DeliveryResult PostWebhook(const std::string& url, const std::string& body,
                             const std::vector<std::string>& headers) override;

 private:
  SmtpOptions smtp_;
  std::chrono::seconds webhook_timeout_;
};

}  // namespace mw::notify
