// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The running outputs of one command or of `up`: started from the registry for one context,
// each batch fanned out in registration order, queued outputs run on their own worker thread,
// and every output's counters collected for /metrics.
//
// Thread-safety: Write/WriteFindings/Flush from one producer thread at a time; Counters from any
// thread; Stop from the owner.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/bounded_queue.h"
#include "sinks/output.h"

namespace mw {

class OutputSet {
 public:
  // Starts every output "ctx" configures; the first that fails to start is the error (named).
  static Result<std::unique_ptr<OutputSet>> Start(const OutputRegistry& registry,
                                                  OutputContext ctx);
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Every output sees the batch; the first error of an output on this thread is returned.
  [[nodiscard]] Status Write(const ChangeBatch& batch);
  // A command's findings: new or changed since the last call (kDetected, state active).
  [[nodiscard]] Status WriteFindings(std::span<const Finding> findings);
  [[nodiscard]] Status Flush();
  // Drains the queues (bounded by the outputs' own timeouts), joins the workers, stops each.
  void Stop();

  // stats() of each output as minerwatch_output_*_total{output=...}, then each output's own,
  // grouped by name (Prometheus wants one block per metric).
  std::vector<OutputCounter> Counters() const;
  std::vector<std::string> names() const;

 private:
  struct Queued {
    ChangeKind kind;
    store::StoredFinding finding;
  };
  struct Running {
    std::string name;
    OutputPtr output;
    std::unique_ptr<BoundedQueue<Queued>> queue;  // null: written on the producer's thread
    std::thread worker;
    std::string last_error;  // worker-owned: a full disk is logged once, not per line
  };
  OutputSet() = default;
  void Work(Running& r);

  OutputContext ctx_;
  std::vector<std::unique_ptr<Running>> running_;
  bool stopped_ = false;
};

// The outputs of RegisterBuiltinOutputs that "ctx" configures (src/sinks/builtin.cc): what the
// commands and `up` both call.
Result<std::unique_ptr<OutputSet>> StartBuiltinOutputs(OutputContext ctx);

}  // namespace mw
