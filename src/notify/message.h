// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What a notice looks like on the wire: a webhook JSON document and an RFC 5322 e-mail
// (text/plain, UTF-8, CRLF line ends, no line over 998 octets, header values free of CR/LF and
// RFC 2047-encoded when not ASCII), so nothing a miner puts in a user agent can inject headers.
#include <nlohmann/json.hpp>
#include <string>

#include "config/service_config.h"
#include "notify/router.h"

namespace mw::notify {

// {"type":"finding"|"digest","contact":...,"sent_at":...,"total_events":...,"findings":[...]}
nlohmann::json WebhookPayload(const Notice& n, const config::ContactConfig& contact,
                              TimestampUs now);

struct EmailMessage {
  std::string from;  // bare addresses, for the SMTP envelope
  std::string to;
  std::string subject;
  std::string data;  // headers + CRLF + body, ready for DATA
};

// "message_id_seed" makes the Message-ID unique per delivery.
EmailMessage RenderEmail(const Notice& n, const config::ContactConfig& contact,
                         const std::string& from, TimestampUs now,
                         const std::string& message_id_seed);

// Subject lines, shared by both forms.
std::string NoticeSubject(const Notice& n);
// RFC 2047 "=?UTF-8?B?...?=" when "s" is not printable ASCII; CR/LF never survive.
std::string EncodeHeaderValue(const std::string& s);

}  // namespace mw::notify
