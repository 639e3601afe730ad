// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/router.h"

#include <algorithm>
#include <cstdint>

namespace mw::notify {
namespace {
constexpr size_t kOmitted = SIZE_MAX;

}  // namespace

std::string_view ReasonName(Reason r) {
  switch (r) {
    case Reason::kNew:
      return "new";
    case Reason::kReopened:
      return "reopened";
    case Reason::kEscalated:
      return "escalated";
    case Reason::kUpdated:
      return "updated";
  }
  return "updated";
}

NotificationRouter::NotificationRouter(std::vector<config::ContactConfig> contacts, RouterOptions o)
    : contacts_(std::move(contacts)), o_(o), state_(contacts_.size()) {
  o_.max_per_window = std::max<uint32_t>(o_.max_per_window, 1);
  o_.window_us = std::max<int64_t>(o_.window_us, 1);
  o_.max_tracked = std::max<size_t>(o_.max_tracked, 2);
}

bool NotificationRouter::Routes(const config::ContactConfig& c, const Finding& f) const {
  if (f.severity < c.min_severity) return false;
  if (c.categories.empty()) return true;
  return std::find(c.categories.begin(), c.categories.end(), f.category) != c.categories.end();
}

bool NotificationRouter::MayRoute(const store::StoredFinding& f) const {
  if (f.state != store::FindingState::kActive) return false;
  for (const auto& c : contacts_) {
    if (Routes(c, f.finding)) return true;
  }
  return false;
}

void NotificationRouter::Remember(const store::StoredFinding& f) {
  auto [it, inserted] = tracked_.try_emplace(f.finding.id);
  it->second = Track{f.finding.stage, f.reopen_count, f.finding.count};
  if (!inserted) return;
  tracked_order_.push_back(f.finding.id);
  if (tracked_.size() > o_.max_tracked) {
    while (tracked_.size() > o_.max_tracked / 2 && !tracked_order_.empty()) {
      tracked_.erase(tracked_order_.front());
      tracked_order_.pop_front();
    }
  }
}

void NotificationRouter::Observe(const store::StoredFinding& f, TimestampUs now,
                                 std::vector<Notice>& out) {
  ++stats_.observed;
  const Finding& fd = f.finding;
  // What kind of change this is, from what we remember of the finding.
  Reason reason = Reason::kUpdated;
  uint64_t events = 1;
  auto known = tracked_.find(fd.id);
  if (known != tracked_.end()) {
    const Track& t = known->second;
    if (f.reopen_count > t.reopen_count) {
      reason = Reason::kReopened;
    } else if (t.stage == Stage::kPrecursor && fd.stage == Stage::kMining) {
      reason = Reason::kEscalated;
    }
    events = fd.count > t.count ? fd.count - t.count : 1;
  } else if (fd.revision <= 1) {
    reason = Reason::kNew;
    events = std::max<uint64_t>(fd.count, 1);
  } else if (f.reopen_count > 0 && f.reopened_at != 0 && f.reopened_at == f.updated_at) {
    reason = Reason::kReopened;  // reopened by this very write, though we had forgotten it
  }
  // After a restart, a known-to-the-store finding we do not remember is an update, not news:
  // re-alerting every active finding on each restart would teach people to ignore us.
  Remember(f);

  if (f.state != store::FindingState::kActive) {
    // Muted or resolved while waiting in a digest: the digest must not announce it as active.
    for (ContactState& cs : state_) {
      auto it = cs.index.find(fd.id);
      if (it != cs.index.end() && it->second != kOmitted) {
        cs.items[it->second].finding = store::WithoutEvidenceSamples(f);
      }
    }
    ++stats_.not_routed;
    return;
  }
  bool routed = false;
  for (size_t i = 0; i < contacts_.size(); ++i) {
    if (!Routes(contacts_[i], fd)) continue;
    routed = true;
    ContactState& cs = state_[i];
    if (cs.window_start != 0 && now >= cs.window_start + o_.window_us) CloseWindow(i, now, out);
    if (cs.window_start == 0) {
      cs.window_start = now;
      cs.sent_in_window = 0;
    }
    if (reason != Reason::kUpdated && cs.sent_in_window < o_.max_per_window) {
      ++cs.sent_in_window;
      ++stats_.immediate;
      Notice n;
      n.contact = i;
      n.items.push_back(NoticeItem{store::WithoutEvidenceSamples(f), reason, events});
      n.total_events = events;
      out.push_back(std::move(n));
      continue;
    }
    cs.total_events += events;
    stats_.digested_events += events;
    auto it = cs.index.find(fd.id);
    if (it != cs.index.end() && it->second != kOmitted) {
      NoticeItem& item = cs.items[it->second];
      item.finding = store::WithoutEvidenceSamples(f);
      item.reason = std::min(item.reason, reason);
      item.new_events += events;
    } else if (it != cs.index.end()) {
      cs.omitted_events += events;
    } else if (cs.items.size() < o_.max_digest_items) {
      cs.index.emplace(fd.id, cs.items.size());
      cs.items.push_back(NoticeItem{store::WithoutEvidenceSamples(f), reason, events});
    } else {
      // Listed as a total only. Past max_digest_index ids we stop remembering which ones were
      // counted, so a finding seen again then counts twice (bounded memory beats exactness).
      if (cs.index.size() < o_.max_digest_index) cs.index.emplace(fd.id, kOmitted);
      ++cs.omitted_findings;
      cs.omitted_events += events;
    }
  }
  if (!routed) ++stats_.not_routed;
}

void NotificationRouter::CloseWindow(size_t contact, TimestampUs now, std::vector<Notice>& out) {
  ContactState& cs = state_[contact];
  std::erase_if(cs.items, [](const NoticeItem& item) {
    return item.finding.state != store::FindingState::kActive;
  });
  if (!cs.items.empty() || cs.omitted_findings) {
    Notice n;
    n.contact = contact;
    n.digest = true;
    n.items = std::move(cs.items);
    n.omitted_findings = cs.omitted_findings;
    n.omitted_events = cs.omitted_events;
    n.total_events = cs.total_events;
    n.window_start = cs.window_start;
    n.window_end = now;
    out.push_back(std::move(n));
    ++stats_.digests;
  }
  cs = ContactState{};
}

void NotificationRouter::Tick(TimestampUs now, std::vector<Notice>& out) {
  for (size_t i = 0; i < state_.size(); ++i) {
    if (state_[i].window_start != 0 && now >= state_[i].window_start + o_.window_us) {
      CloseWindow(i, now, out);
    }
  }
}

void NotificationRouter::FlushAll(TimestampUs now, std::vector<Notice>& out) {
  for (size_t i = 0; i < state_.size(); ++i) {
    if (state_[i].window_start != 0) CloseWindow(i, now, out);
  }
}

TimestampUs NotificationRouter::NextDeadline() const {
  TimestampUs next = 0;
  for (const auto& cs : state_) {
    if (cs.window_start == 0) continue;
    TimestampUs d = cs.window_start + o_.window_us;
    if (next == 0 || d < next) next = d;
  }
  return next;
}

}  // namespace mw::notify
