// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/notifier.h"

#include "core/text_sanitize.h"
#include "notify/hmac.h"
#include "notify/libcurl.h"
#include "notify/message.h"

#ifndef MW_PROJECT_VERSION
#define MW_PROJECT_VERSION "0.0.0"
#endif

namespace mw::notify {
namespace {

TimestampUs SystemNow() {
  return TimestampUs(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
}

// The same reader as `config check` (config::ReadSecretFile), so the two cannot disagree.
Result<std::string> ReadSecret(const std::string& path, const std::string& what) {
  return config::ReadSecretFile(path, what);
}

}  // namespace

std::vector<std::string> Notifier::ContactWarnings(const config::NotifyConfig& cfg) {
  std::vector<std::string> w;
  for (const auto& c : cfg.contacts) {
    if (!c.email.empty()) {
      auto kind = config::ClassifyContactAddress(cfg, c.email);
      if (kind != config::AddressKind::kGroup) {
        w.push_back("contact " + c.name + ": " + c.email +
                    (kind == config::AddressKind::kPersonal
                         ? " looks like a personal address"
                         : " is not recognised as a group mailbox") +
                    "; route alerts to a group mailbox (e.g. secops@) so they survive absences "
                    "(notify.group_address_pattern)");
      }
    }
    if (!c.webhook_url.empty() && c.webhook_secret_file.empty()) {
      w.push_back("contact " + c.name +
                  ": webhook has no webhook_secret_file; its requests are unsigned");
    }
  }
  return w;
}

Result<std::unique_ptr<Transport>> Notifier::MakeCurlTransport(const config::NotifyConfig& cfg) {
  // Loaded now rather than at the first alert, so a machine without libcurl fails at start.
  if (auto curl = LoadLibCurl(); !curl) return Fail(curl.error());
  SmtpOptions so;
  so.url = cfg.smtp.url;
  so.starttls = cfg.smtp.starttls;
  so.username = cfg.smtp.username;
  so.timeout = std::chrono::seconds(cfg.smtp.timeout_s);
  if (!cfg.smtp.password_file.empty()) {
    auto p = ReadSecret(cfg.smtp.password_file, "notify.smtp.password_file");
    if (!p) return Fail(p.error());
    so.password = *p;
  }
  return std::unique_ptr<Transport>(
      std::make_unique<CurlTransport>(so, std::chrono::seconds(cfg.webhook_timeout_s)));
}

Notifier::Notifier(const config::NotifyConfig& cfg, std::unique_ptr<Transport> t, LogFn log,
                   NotifierOptions o)
    : cfg_(cfg),
      transport_(std::move(t)),
      log_(std::move(log)),
      o_(std::move(o)),
      queue_(cfg.queue_capacity),
      router_(cfg.contacts, RouterOptions{.window_us = cfg.window_s * 1000000,
                                          .max_per_window = cfg.max_per_window}) {
  if (!o_.now) o_.now = &SystemNow;
  instance_ = std::to_string(o_.now());
}

Result<std::unique_ptr<Notifier>> Notifier::Start(const config::NotifyConfig& cfg,
                                                  std::unique_ptr<Transport> transport, LogFn log,
                                                  NotifierOptions o) {
  if (cfg.contacts.empty()) return std::unique_ptr<Notifier>();
  bool emails = false;
  for (const auto& c : cfg.contacts) emails |= !c.email.empty();
  if (emails && cfg.smtp.url.empty()) {
    return Fail(Error::InvalidArgument(
        "notify: contacts have e-mail addresses but notify.smtp.url is not set"));
  }
  std::unique_ptr<Notifier> n(
      new Notifier(cfg, std::move(transport), std::move(log), std::move(o)));
  for (const auto& c : cfg.contacts) {
    std::string key;
    if (!c.webhook_secret_file.empty()) {
      auto k = ReadSecret(c.webhook_secret_file, "webhook_secret_file of contact " + c.name);
      if (!k) return Fail(k.error());
      key = *k;
    }
    n->secrets_.push_back(std::move(key));
  }
  for (const auto& w : ContactWarnings(cfg)) n->log_("notify: warning: " + w);
  n->worker_ = std::thread([p = n.get()] { p->Run(); });
  return n;
}

Notifier::~Notifier() { Stop(); }

Status Notifier::Write(const ChangeBatch& batch) {
  if (batch.kind == ChangeKind::kLifecycle) {
    OnLifecycleChanges(batch.findings);
  } else {
    OnChanges(batch.findings);
  }
  return Ok();
}

void Notifier::OnChanges(std::span<const store::StoredFinding> changed) {
  for (const auto& f : changed) {
    // Muted findings and findings below every contact's threshold never reach the worker.
    if (!router_.MayRoute(f)) continue;
    if (queue_.Push(store::WithoutEvidenceSamples(f))) {
      ++nstats_.queued;
    } else {
      ++nstats_.queue_dropped;
      ++stats_.dropped;
    }
  }
}

void Notifier::OnLifecycleChanges(std::span<const store::StoredFinding> changed) {
  for (const auto& f : changed) {
    if (queue_.Push(store::WithoutEvidenceSamples(f))) {
      ++nstats_.queued;
    } else {
      ++nstats_.queue_dropped;
      ++stats_.dropped;
    }
  }
}

void Notifier::Enqueue(std::vector<Notice>& notices) {
  TimestampUs now = o_.now();
  for (auto& n : notices) {
    (n.digest ? nstats_.digests : nstats_.immediate) += 1;
    const config::ContactConfig& c = cfg_.contacts[n.contact];
    std::string id = "mw-" + instance_ + "-" + std::to_string(++next_delivery_id_);
    auto add = [&](Delivery d) {
      if (deliveries_.size() >= o_.max_pending_deliveries) {
        deliveries_.pop_front();  // the oldest has been failing longest
        ++nstats_.deliveries_dropped;
        ++stats_.dropped;
      }
      deliveries_.push_back(std::move(d));
    };
    std::string event = n.digest ? "digest" : "finding";
    if (!c.email.empty()) {
      EmailMessage m = RenderEmail(n, c, cfg_.smtp.from, now, id);
      add(Delivery{.contact = n.contact,
                   .webhook = false,
                   .id = id,
                   .payload = std::move(m.data),
                   .event = event});
    }
    if (!c.webhook_url.empty()) {
      add(Delivery{.contact = n.contact,
                   .webhook = true,
                   .id = id,
                   .payload = DumpJson(WebhookPayload(n, c, now)),
                   .event = event});
    }
  }
  notices.clear();
}

Notifier::Outcome Notifier::Attempt(Delivery& d) {
  const config::ContactConfig& c = cfg_.contacts[d.contact];
  DeliveryResult r;
  if (d.webhook) {
    std::vector<std::string> headers = {
        "Content-Type: application/json",
        "User-Agent: minerwatch/" MW_PROJECT_VERSION,
        "X-Minerwatch-Event: " + d.event,
        "X-Minerwatch-Delivery: " + d.id,
    };
    if (!secrets_[d.contact].empty()) {
      headers.push_back("X-Minerwatch-Signature: " +
                        SignatureHeaderValue(secrets_[d.contact], d.payload));
    }
    r = transport_->PostWebhook(c.webhook_url, d.payload, headers);
    if (r.ok) ++nstats_.sent_webhook;
  } else {
    r = transport_->SendEmail(cfg_.smtp.from, c.email, d.payload);
    if (r.ok) ++nstats_.sent_email;
  }
  if (r.ok) ++stats_.delivered;
  ++d.attempts;
  if (r.ok) return Outcome::kSent;
  if (!r.retryable || d.attempts > cfg_.webhook_retries) {
    ++nstats_.failed;
    ++stats_.failed;
    log_("notify: giving up on " + d.event + " for contact " + c.name + " after " +
         std::to_string(d.attempts) + " attempt(s): " + r.error);
    return Outcome::kGaveUp;
  }
  ++nstats_.retries;
  auto delay = o_.backoff_base * (1LL << std::min<uint32_t>(d.attempts - 1, 20));
  if (delay > o_.backoff_max) delay = o_.backoff_max;
  d.due = std::chrono::steady_clock::now() + delay;
  if (d.attempts == 1) log_("notify: " + r.error + " (will retry)");
  return Outcome::kRetry;
}

void Notifier::DeliverDue(bool final_pass) {
  auto now = std::chrono::steady_clock::now();
  // Shutdown gets one more try per delivery, but not unbounded time: a dead relay must not
  // keep `minerwatch up` from stopping within its 5 s (systemd's stop timeout is longer, but a
  // stop that waits on the network is a stop an attacker can delay).
  auto final_deadline = now + std::chrono::seconds(3);
  for (auto it = deliveries_.begin(); it != deliveries_.end();) {
    if (!final_pass && it->due > now) {
      ++it;
      continue;
    }
    if (final_pass && std::chrono::steady_clock::now() > final_deadline) {
      ++nstats_.failed;
      ++stats_.failed;
      it = deliveries_.erase(it);
      continue;
    }
    Outcome r = Attempt(*it);
    if (r == Outcome::kRetry && final_pass) {
      ++nstats_.failed;
      ++stats_.failed;
    }
    if (r == Outcome::kRetry && !final_pass) {
      ++it;
    } else {
      it = deliveries_.erase(it);
    }
  }
}

void Notifier::Run() {
  std::vector<Notice> notices;
  for (;;) {
    // Wake for the next change, the next retry, or the next window end, at most 1 s apart.
    auto wake = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (const auto& d : deliveries_) wake = std::min(wake, d.due);
    auto item = queue_.PopUntil(wake);
    TimestampUs now = o_.now();
    if (item) {
      router_.Observe(*item, now, notices);
      // Drain what else is already queued before any network I/O, so a burst is routed (and
      // mostly digested) in one pass instead of one send per change.
      for (int i = 0; i < 4096; ++i) {
        auto more = queue_.PopUntil(std::chrono::steady_clock::now());
        if (!more) break;
        router_.Observe(*more, now, notices);
      }
    }
    router_.Tick(now, notices);
    Enqueue(notices);
    DeliverDue(false);
    if (!item && queue_.closed()) break;
  }
  router_.FlushAll(o_.now(), notices);
  Enqueue(notices);
  DeliverDue(true);
}

void Notifier::Stop() {
  queue_.Close();
  if (worker_.joinable()) worker_.join();
}

void Notifier::Counters(std::vector<OutputCounter>& out) const {
  const NotifierStats& ns = nstats_;
  out.push_back({"minerwatch_notify_sent_total", "counter", "notifications delivered",
                 double(ns.sent_email), "channel=\"email\""});
  out.push_back({"minerwatch_notify_sent_total", "counter", "notifications delivered",
                 double(ns.sent_webhook), "channel=\"webhook\""});
  out.push_back(
      {"minerwatch_notify_digests_total", "counter", "digest notices built", double(ns.digests)});
  out.push_back({"minerwatch_notify_failed_total", "counter", "notifications given up on",
                 double(ns.failed)});
  out.push_back(
      {"minerwatch_notify_retries_total", "counter", "notification retries", double(ns.retries)});
  out.push_back({"minerwatch_notify_dropped_total", "counter",
                 "changes dropped because the notify queue was full", double(ns.queue_dropped)});
}

void RegisterNotifyOutput(OutputRegistry& registry) {
  registry.Add({.name = "notify",
                .help = "e-mail (SMTP) and signed webhooks to contacts, rate-limited with digests "
                        "(notify.*)",
                .start = [](const OutputContext& ctx) -> Result<OutputPtr> {
                  if (!ctx.config || ctx.config->notify.contacts.empty()) return OutputPtr();
                  MW_ASSIGN(transport, Notifier::MakeCurlTransport(ctx.config->notify));
                  MW_ASSIGN(n, Notifier::Start(ctx.config->notify, std::move(transport), ctx.log));
                  return OutputPtr(std::move(n));
                }});
}

}  // namespace mw::notify
