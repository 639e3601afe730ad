// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Output "notify" (webhook and SMTP): takes stored changes (Write, on the producer's thread),
// routes and rate-limits them (router.h) and delivers e-mail and signed
// webhooks on its own worker thread. OnChanges only filters and enqueues into a bounded queue;
// it never waits on the network. Failed deliveries are retried with exponential backoff
// (1 s, 2 s, 4 s ... capped at 5 min) up to notify.webhook_retries times, without holding up
// other deliveries.
//
// Thread-safety: Write/OnChanges and stats() from any thread; Stop from the owner.
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/service_config.h"
#include "core/bounded_queue.h"
#include "notify/router.h"
#include "notify/transport.h"
#include "sinks/output.h"

namespace mw::notify {

using LogFn = std::function<void(const std::string&)>;
using ClockFn = std::function<TimestampUs()>;

struct NotifierStats {
  std::atomic<uint64_t> queued{0};
  std::atomic<uint64_t> queue_dropped{0};
  std::atomic<uint64_t> sent_email{0};
  std::atomic<uint64_t> sent_webhook{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> failed{0};              // gave up after the retries, or a permanent error
  std::atomic<uint64_t> deliveries_dropped{0};  // retry queue full
  std::atomic<uint64_t> digests{0};
  std::atomic<uint64_t> immediate{0};
};

struct NotifierOptions {
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_max{300000};
  size_t max_pending_deliveries = 1000;
  ClockFn now;  // default: the system clock
};

class Notifier : public Output {
 public:
  // Reads the secret files (webhook keys, SMTP password) now, so a missing key is an error at
  // startup rather than an unsigned alert later. Returns nullptr when no contact is configured.
  static Result<std::unique_ptr<Notifier>> Start(const config::NotifyConfig& cfg,
                                                 std::unique_ptr<Transport> transport, LogFn log,
                                                 NotifierOptions o = {});
  // The default transport for "cfg" (libcurl).
  static Result<std::unique_ptr<Transport>> MakeCurlTransport(const config::NotifyConfig& cfg);
  // Warnings about contacts: personal rather than group addresses, unsigned webhooks.
  static std::vector<std::string> ContactWarnings(const config::NotifyConfig& cfg);
  ~Notifier() override;

  // kDetected goes to OnChanges, kLifecycle to OnLifecycleChanges. Never waits on the network.
  Status Write(const ChangeBatch& batch) override;
  void OnChanges(std::span<const store::StoredFinding> changed);
  // Mute, unmute and resolve (API or auto-resolve): withdraws the finding from pending digests.
  void OnLifecycleChanges(std::span<const store::StoredFinding> changed);
  // Sends pending digests, tries queued deliveries once more, and joins the worker.
  void Stop() override;
  void Counters(std::vector<OutputCounter>& out) const override;
  const NotifierStats& notifier_stats() const { return nstats_; }

 private:
  struct Delivery {
    size_t contact = 0;
    bool webhook = false;
    std::string id;       // stable across retries, so receivers can de-duplicate
    std::string payload;  // e-mail DATA or webhook JSON body
    std::string event;    // "finding" | "digest"
    uint32_t attempts = 0;
    std::chrono::steady_clock::time_point due{};
  };

  Notifier(const config::NotifyConfig& cfg, std::unique_ptr<Transport> t, LogFn log,
           NotifierOptions o);
  void Run();
  void Enqueue(std::vector<Notice>& notices);
  enum class Outcome { kSent, kRetry, kGaveUp };
  Outcome Attempt(Delivery& d);  // on kRetry, d.due is the next attempt
  void DeliverDue(bool final_pass);

  config::NotifyConfig cfg_;
  std::unique_ptr<Transport> transport_;
  LogFn log_;
  NotifierOptions o_;
  std::vector<std::string> secrets_;  // webhook HMAC keys, by contact index
  BoundedQueue<store::StoredFinding> queue_;
  NotifierStats nstats_;
  std::thread worker_;
  // Worker-owned.
  NotificationRouter router_;
  std::deque<Delivery> deliveries_;
  uint64_t next_delivery_id_ = 0;
  std::string instance_;  // distinguishes delivery ids across restarts
};

void RegisterNotifyOutput(OutputRegistry& registry);

}  // namespace mw::notify
