// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/message.h"

#include <openssl/evp.h>

#include <ctime>

#include "core/text_sanitize.h"
#include "store/store_json.h"

namespace mw::notify {
namespace {

std::string Host(const Finding& f) {
  if (f.resource.hostname.empty()) return f.resource.host_ip;
  if (f.resource.host_ip.empty()) return f.resource.hostname;
  return f.resource.hostname + " (" + f.resource.host_ip + ")";
}

std::string Upper(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = char(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

std::string Rfc5322Date(TimestampUs now) {
  time_t t = time_t(now / 1000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// Keeps the body within SMTP's 998-octet line limit and normalises line ends to CRLF.
void AppendBody(std::string& out, std::string_view text) {
  size_t line_len = 0;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
      line_len = 0;
      continue;
    }
    if (c == '\r') continue;
    if (line_len >= 990) {
      out += "\r\n";
      line_len = 0;
    }
    out += c;
    ++line_len;
  }
}

std::string StripCrLf(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

void DescribeItem(std::string& b, const NoticeItem& it, bool with_evidence) {
  const Finding& f = it.finding.finding;
  b += "- [" + Upper(SeverityName(f.severity)) + ", " + std::string(store::StageText(f.stage)) +
       ", " + std::string(ReasonName(it.reason)) + "] " + f.category + "\n";
  b += "  host:      " + Host(f) + "\n";
  b += "  indicator: " + f.indicator + "\n";
  b += "  detector:  " + f.detector + (f.source.empty() ? "" : " (" + f.source + ")") + "\n";
  b += "  events:    " + std::to_string(it.new_events) + " new, " + std::to_string(f.count) +
       " total\n";
  b += "  seen:      " + (f.first_seen ? FormatTimestamp(f.first_seen) : "-") + " .. " +
       (f.last_seen ? FormatTimestamp(f.last_seen) : "-") + "\n";
  if (!f.attack.empty()) {
    b += "  ATT&CK:    ";
    for (size_t i = 0; i < f.attack.size(); ++i) b += (i ? ", " : "") + f.attack[i];
    b += "\n";
  }
  b += "  id:        " + f.id + "\n";
  if (with_evidence && !f.evidence.empty()) b += "  evidence:  " + DumpJson(f.evidence) + "\n";
}

}  // namespace

std::string NoticeSubject(const Notice& n) {
  if (n.digest) {
    uint64_t findings = n.items.size() + n.omitted_findings;
    return "[minerwatch] digest: " + std::to_string(findings) + " finding" +
           (findings == 1 ? "" : "s") + " changed, " + std::to_string(n.total_events) + " events";
  }
  const Finding& f = n.items.front().finding.finding;
  std::string prefix = n.items.front().reason == Reason::kNew
                           ? ""
                           : std::string(ReasonName(n.items.front().reason)) + ": ";
  return "[minerwatch] " + Upper(SeverityName(f.severity)) + " " + prefix + f.category + " on " +
         Host(f);
}

std::string EncodeHeaderValue(const std::string& raw) {
  std::string s = StripCrLf(SanitizeText(raw));
  bool ascii = true;
  for (unsigned char c : s) ascii &= c >= 0x20 && c < 0x7F;
  if (ascii) return s;
  // One encoded-word per <= 45 input bytes keeps each word under RFC 2047's 75 characters;
  // the split is on UTF-8 boundaries so no word holds half a character.
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t end = std::min(s.size(), i + 45);
    while (end < s.size() && end > i && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    std::string chunk = s.substr(i, end - i);
    std::string b64(4 * ((chunk.size() + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                        reinterpret_cast<const unsigned char*>(chunk.data()), int(chunk.size()));
    b64.resize(size_t(n));
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + b64 + "?=";
    i = end;
  }
  return out;
}

nlohmann::json WebhookPayload(const Notice& n, const config::ContactConfig& contact,
                              TimestampUs now) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& it : n.items) {
    nlohmann::json f = store::ToJson(it.finding, false);
    f["notify_reason"] = ReasonName(it.reason);
    f["new_events"] = it.new_events;
    findings.push_back(std::move(f));
  }
  nlohmann::json j = {
      {"type", n.digest ? "digest" : "finding"}, {"contact", contact.name},
      {"sent_at", FormatTimestamp(now)},         {"subject", NoticeSubject(n)},
      {"total_events", n.total_events},          {"findings", std::move(findings)},
  };
  if (n.digest) {
    j["window"] = {{"start", FormatTimestamp(n.window_start)},
                   {"end", FormatTimestamp(n.window_end)}};
    j["omitted_changes"] = n.omitted_findings;
    j["omitted_events"] = n.omitted_events;
  }
  return j;
}

EmailMessage RenderEmail(const Notice& n, const config::ContactConfig& contact,
                         const std::string& from, TimestampUs now,
                         const std::string& message_id_seed) {
  EmailMessage m;
  m.from = StripCrLf(from);
  m.to = StripCrLf(contact.email);
  m.subject = NoticeSubject(n);
  std::string body;
  if (n.digest) {
    body += "minerwatch digest for " + contact.name + ", " + FormatTimestamp(n.window_start) +
            " to " + FormatTimestamp(n.window_end) + ".\n";
    body += std::to_string(n.total_events) + " events on " +
            std::to_string(n.items.size() + n.omitted_findings) +
            " changed findings were held back by rate limiting (notify.max_per_window).\n\n";
    for (const auto& it : n.items) DescribeItem(body, it, false);
    if (n.omitted_findings) {
      body += "\n... and " + std::to_string(n.omitted_findings) + " more changes (" +
              std::to_string(n.omitted_events) + " events) not listed.\n";
    }
  } else {
    body += "minerwatch found a cryptocurrency-mining finding routed to " + contact.name + ".\n\n";
    DescribeItem(body, n.items.front(), true);
  }
  body +=
      "\nOpen the console or GET /api/v1/findings/<id> for details; mute or resolve it there.\n";
  body = SanitizeText(body, /*keep_newlines=*/true);

  std::string at =
      m.from.substr(m.from.find('@') == std::string::npos ? m.from.size() : m.from.find('@'));
  std::string& d = m.data;
  d += "Date: " + Rfc5322Date(now) + "\r\n";
  d += "From: minerwatch <" + m.from + ">\r\n";
  d += "To: " + EncodeHeaderValue(contact.name) + " <" + m.to + ">\r\n";
  d += "Subject: " + EncodeHeaderValue(m.subject) + "\r\n";
  d += "Message-ID: <" + message_id_seed + "." + std::to_string(now) +
       (at.empty() ? "@minerwatch" : at) + ">\r\n";
  d += "MIME-Version: 1.0\r\n";
  d += "Content-Type: text/plain; charset=utf-8\r\n";
  d += "Content-Transfer-Encoding: 8bit\r\n";
  d += "Auto-Submitted: auto-generated\r\n";
  d += "X-Minerwatch-Type: " + std::string(n.digest ? "digest" : "finding") + "\r\n";
  d += "\r\n";
  AppendBody(d, body);
  return m;
}

}  // namespace mw::notify
