// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Decides who hears about which finding, and when. Pure logic: no I/O, time is passed in.
//
// Routing: a contact receives a finding when its severity is at least the contact's
// min_severity and (if the contact lists categories) its category is listed. Muted and resolved
// findings are never notified.
//
// Rate limiting and digesting, per contact and per window (notify.window):
//   - the first event of a finding (new, reopened after resolution, or escalated from precursor
//     to mining) is sent at once, while the contact has budget left in the window
//     (notify.max_per_window messages);
//   - everything else (updates of a known finding, first events beyond the budget) is folded
//     into one digest for that contact, sent when the window closes.
// So a burst of 10,000 events costs a contact at most max_per_window + 1 messages per window.
//
// Memory is bounded: at most max_tracked findings are remembered (beyond that the oldest half
// is forgotten, which only costs escalation detection for them) and a digest lists at most
// max_digest_items findings in detail, the rest as totals.
//
// Thread-safety: none; owned by the notifier's worker thread.
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/service_config.h"
#include "store/store.h"

namespace mw::notify {

enum class Reason : uint8_t { kNew, kReopened, kEscalated, kUpdated };
std::string_view ReasonName(Reason r);

struct NoticeItem {
  store::StoredFinding finding;      // latest state (without evidence samples)
  Reason reason = Reason::kUpdated;  // the most significant reason seen in the window
  uint64_t new_events = 0;           // events folded into this item
};

struct Notice {
  size_t contact = 0;  // index into the router's contacts
  bool digest = false;
  std::vector<NoticeItem> items;
  // Digests only: what did not fit in "items", and the window they cover.
  uint64_t omitted_findings = 0;
  uint64_t omitted_events = 0;
  uint64_t total_events = 0;
  TimestampUs window_start = 0;
  TimestampUs window_end = 0;
};

struct RouterOptions {
  int64_t window_us = 600LL * 1000000;
  uint32_t max_per_window = 3;
  size_t max_tracked = 200000;
  size_t max_digest_items = 50;
  size_t max_digest_index = 10000;  // distinct findings counted exactly per digest; beyond, changes
};

struct RouterStats {
  uint64_t observed = 0;
  uint64_t immediate = 0;
  uint64_t digests = 0;
  uint64_t digested_events = 0;
  uint64_t not_routed = 0;
};

class NotificationRouter {
 public:
  NotificationRouter(std::vector<config::ContactConfig> contacts, RouterOptions o);

  // Feeds one stored change at time "now"; appends immediate notices to "out".
  void Observe(const store::StoredFinding& f, TimestampUs now, std::vector<Notice>& out);
  // Closes every window that ended by "now": one digest per contact with something pending.
  void Tick(TimestampUs now, std::vector<Notice>& out);
  // Sends every pending digest now (shutdown).
  void FlushAll(TimestampUs now, std::vector<Notice>& out);
  // The earliest time Tick has work to do, or 0 when nothing is pending.
  TimestampUs NextDeadline() const;

  // Whether any contact could receive "f" (a cheap pre-filter for the ingest thread).
  bool MayRoute(const store::StoredFinding& f) const;
  const std::vector<config::ContactConfig>& contacts() const { return contacts_; }
  const RouterStats& stats() const { return stats_; }

 private:
  struct Track {
    Stage stage = Stage::kPrecursor;
    uint32_t reopen_count = 0;
    uint64_t count = 0;
  };
  struct ContactState {
    TimestampUs window_start = 0;  // 0: idle, no window open
    uint32_t sent_in_window = 0;
    std::vector<NoticeItem> items;
    std::unordered_map<std::string, size_t> index;  // finding id -> items position, or kOmitted
    uint64_t omitted_findings = 0;
    uint64_t omitted_events = 0;
    uint64_t total_events = 0;
  };

  bool Routes(const config::ContactConfig& c, const Finding& f) const;
  void Remember(const store::StoredFinding& f);
  void CloseWindow(size_t contact, TimestampUs now, std::vector<Notice>& out);

  std::vector<config::ContactConfig> contacts_;
  RouterOptions o_;
  std::vector<ContactState> state_;
  std::unordered_map<std::string, Track> tracked_;
  std::deque<std::string> tracked_order_;  // insertion order, for bounded forgetting
  RouterStats stats_;
};

}  // namespace mw::notify
