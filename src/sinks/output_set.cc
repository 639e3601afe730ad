// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/output_set.h"

#include <map>

namespace mw {

Result<std::unique_ptr<OutputSet>> OutputSet::Start(const OutputRegistry& registry,
                                                    OutputContext ctx) {
  std::unique_ptr<OutputSet> set(new OutputSet());
  set->ctx_ = std::move(ctx);
  for (const OutputSpec& spec : registry.specs()) {
    auto out = spec.start(set->ctx_);
    if (!out) {
      set->Stop();
      return Fail(Error(out.error().code(), std::string(spec.name) + ": " + out.error().message()));
    }
    if (!*out) continue;
    auto r = std::make_unique<Running>();
    r->name = std::string(spec.name);
    r->output = std::move(*out);
    if (spec.queue > 0) {
      r->queue = std::make_unique<BoundedQueue<Queued>>(spec.queue);
      r->worker = std::thread([p = set.get(), rp = r.get()] { p->Work(*rp); });
    }
    set->running_.push_back(std::move(r));
  }
  return set;
}

OutputSet::~OutputSet() { Stop(); }

void OutputSet::Work(Running& r) {
  for (;;) {
    auto item = r.queue->PopUntil(std::chrono::steady_clock::now() + std::chrono::seconds(1));
    // Idle: a chance to retry what an outage left pending (syslog over TCP).
    Status st =
        item ? r.output->Write({item->kind, std::span(&item->finding, 1)}) : r.output->Flush();
    if (!st) {
      if (st.error().message() != r.last_error) ctx_.log(r.name + ": " + st.error().message());
      r.last_error = st.error().message();
    } else if (item) {
      r.last_error.clear();
    }
    if (!item && r.queue->closed()) break;
  }
}

Status OutputSet::Write(const ChangeBatch& batch) {
  Status first = Ok();
  if (batch.findings.empty()) return first;
  for (auto& r : running_) {
    if (r->queue) {
      for (const auto& f : batch.findings) {
        // Queued outputs send the latest evidence only: the samples would multiply the memory.
        if (!r->queue->Push({batch.kind, store::WithoutEvidenceSamples(f)}))
          ++r->output->stats().dropped;
      }
      continue;
    }
    if (Status st = r->output->Write(batch); !st && first) first = Fail(st.error());
  }
  return first;
}

Status OutputSet::WriteFindings(std::span<const Finding> findings) {
  std::vector<store::StoredFinding> changed(findings.size());
  for (size_t i = 0; i < findings.size(); ++i) changed[i].finding = findings[i];
  return Write({ChangeKind::kDetected, changed});
}

Status OutputSet::Flush() {
  Status first = Ok();
  for (auto& r : running_) {
    if (r->queue) continue;  // its worker flushes when idle
    if (Status st = r->output->Flush(); !st && first) first = Fail(st.error());
  }
  return first;
}

void OutputSet::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Every queue closes first, so the workers drain in parallel rather than one after another.
  for (auto& r : running_)
    if (r->queue) r->queue->Close();
  for (auto& r : running_) {
    if (r->worker.joinable()) r->worker.join();
    if (!r->queue) (void)r->output->Flush();
    r->output->Stop();
  }
}

std::vector<OutputCounter> OutputSet::Counters() const {
  std::vector<OutputCounter> all;
  struct Uniform {
    const char* name;
    const char* help;
    const std::atomic<uint64_t> OutputStats::*field;
  };
  static constexpr Uniform kUniform[] = {
      {"minerwatch_output_delivered_total",
       "findings or messages an output handed to its destination", &OutputStats::delivered},
      {"minerwatch_output_failed_total",
       "findings or messages an output tried and lost (write error, out of retries)",
       &OutputStats::failed},
      {"minerwatch_output_dropped_total",
       "findings an output refused untried because its queue was full", &OutputStats::dropped},
  };
  for (const auto& u : kUniform) {
    for (const auto& r : running_) {
      all.push_back({.name = u.name,
                     .type = "counter",
                     .help = u.help,
                     .value = double((r->output->stats().*u.field).load()),
                     .labels = "output=\"" + r->name + "\""});
    }
  }
  for (const auto& r : running_) r->output->Counters(all);
  // One block per metric name, in order of first appearance.
  std::map<std::string, size_t> first;
  for (const auto& c : all) first.try_emplace(c.name, first.size());
  std::stable_sort(all.begin(), all.end(), [&](const OutputCounter& a, const OutputCounter& b) {
    return first.at(a.name) < first.at(b.name);
  });
  return all;
}

std::vector<std::string> OutputSet::names() const {
  std::vector<std::string> n;
  for (const auto& r : running_) n.push_back(r->name);
  return n;
}

}  // namespace mw
