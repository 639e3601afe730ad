// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/transport.h"

#include <cstring>

#include "notify/libcurl.h"

namespace mw::notify {
namespace {

struct Reader {
  const std::string* data;
  size_t off = 0;
};

size_t ReadCb(char* buf, size_t size, size_t nitems, void* user) {
  auto* r = static_cast<Reader*>(user);
  size_t n = std::min(size * nitems, r->data->size() - r->off);
  std::memcpy(buf, r->data->data() + r->off, n);
  r->off += n;
  return n;
}

size_t DiscardCb(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

// Handle and list owners, so every early return frees them. Loads libcurl first: when that or
// the handle fails, "h" is null and r->error says why.
struct Easy {
  explicit Easy(DeliveryResult* r) {
    auto api = LoadLibCurl();
    if (!api) {
      r->error = api.error().message();
      return;
    }
    curl = *api;
    h = curl->easy_init();
    if (!h) {
      r->error = "curl_easy_init failed";
      r->retryable = true;
    }
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  ~Easy() {
    if (list) curl->slist_free_all(list);
    if (h) curl->easy_cleanup(h);
  }
  const LibCurl* curl = nullptr;
  CURL* h = nullptr;
  curl_slist* list = nullptr;
};

bool RetryableCurl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

}  // namespace

CurlTransport::CurlTransport(SmtpOptions smtp, std::chrono::seconds webhook_timeout)
    : smtp_(std::move(smtp)), webhook_timeout_(webhook_timeout) {}

DeliveryResult CurlTransport::SendEmail(const std::string& from, const std::string& to,
                                        const std::string& data) {
  DeliveryResult r;
  if (smtp_.url.empty()) {
    r.error = "notify.smtp.url is not set";
    return r;
  }
  Easy e(&r);
  if (!e.h) return r;
  const LibCurl& curl = *e.curl;
  Reader reader{&data};
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string mail_from = "<" + from + ">";
  e.list = curl.slist_append(nullptr, ("<" + to + ">").c_str());
  curl.easy_setopt(e.h, CURLOPT_URL, smtp_.url.c_str());
  curl.easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl.easy_setopt(e.h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl.easy_setopt(e.h, CURLOPT_MAIL_RCPT, e.list);
  curl.easy_setopt(e.h, CURLOPT_READFUNCTION, ReadCb);
  curl.easy_setopt(e.h, CURLOPT_READDATA, &reader);
  curl.easy_setopt(e.h, CURLOPT_UPLOAD, 1L);
  curl.easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(e.h, CURLOPT_TIMEOUT, long(smtp_.timeout.count()));
  curl.easy_setopt(e.h, CURLOPT_CONNECTTIMEOUT, long(std::min<int64_t>(smtp_.timeout.count(), 10)));
  curl.easy_setopt(e.h, CURLOPT_ERRORBUFFER, errbuf);
  if (smtp_.url.starts_with("smtp://")) {
    long use_ssl = smtp_.starttls == "require" ? CURLUSESSL_ALL
                   : smtp_.starttls == "try"   ? CURLUSESSL_TRY
                                               : CURLUSESSL_NONE;
    curl.easy_setopt(e.h, CURLOPT_USE_SSL, use_ssl);
  }
  if (!smtp_.username.empty()) {
    curl.easy_setopt(e.h, CURLOPT_USERNAME, smtp_.username.c_str());
    curl.easy_setopt(e.h, CURLOPT_PASSWORD, smtp_.password.c_str());
  }
  CURLcode c = curl.easy_perform(e.h);
  long code = 0;
  curl.easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &code);
  if (c == CURLE_OK) {
    r.ok = true;
    return r;
  }
  r.error = "smtp " + smtp_.url + ": " + (errbuf[0] ? errbuf : curl.easy_strerror(c));
  if (code) r.error += " (last reply " + std::to_string(code) + ")";
  // SMTP 4xx replies are transient by definition (RFC 5321 4.2.1); 5xx are permanent.
  r.retryable = (code >= 400 && code < 500) || (code == 0 && RetryableCurl(c));
  return r;
}

DeliveryResult CurlTransport::PostWebhook(const std::string& url, const std::string& body,
                                          const std::vector<std::string>& headers) {
  DeliveryResult r;
  Easy e(&r);
  if (!e.h) return r;
  const LibCurl& curl = *e.curl;
  char errbuf[CURL_ERROR_SIZE] = {};
  for (const auto& h : headers) e.list = curl.slist_append(e.list, h.c_str());
  curl.easy_setopt(e.h, CURLOPT_URL, url.c_str());
  curl.easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(e.h, CURLOPT_HTTPHEADER, e.list);
  curl.easy_setopt(e.h, CURLOPT_POST, 1L);
  curl.easy_setopt(e.h, CURLOPT_POSTFIELDS, body.data());
  curl.easy_setopt(e.h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  curl.easy_setopt(e.h, CURLOPT_WRITEFUNCTION, DiscardCb);
  curl.easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(e.h, CURLOPT_TIMEOUT, long(webhook_timeout_.count()));
  curl.easy_setopt(e.h, CURLOPT_ERRORBUFFER, errbuf);
  // A redirect would re-send the signed alert to a host the operator did not configure.
  curl.easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);
  CURLcode c = curl.easy_perform(e.h);
  if (c != CURLE_OK) {
    r.error = "webhook " + url + ": " + (errbuf[0] ? errbuf : curl.easy_strerror(c));
    r.retryable = RetryableCurl(c);
    return r;
  }
  long code = 0;
  curl.easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300) {
    r.ok = true;
    return r;
  }
  r.error = "webhook " + url + ": HTTP " + std::to_string(code);
  r.retryable = code == 408 || code == 429 || code >= 500;
  return r;
}

}  // namespace mw::notify
