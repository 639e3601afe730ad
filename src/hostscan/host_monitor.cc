// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/host_monitor.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace mw::hostscan {
namespace {

HostMonitorOptions WithDefaults(HostMonitorOptions o) {
  if (o.scan.memory.read_rate_bytes_per_sec == 0) {
    o.scan.memory.read_rate_bytes_per_sec = o.default_read_rate_bytes_per_sec;
  }
  return o;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// nice 19 and the idle I/O class for the calling thread only (Linux applies both per thread).
void LowerThreadPriority() {
  pid_t tid = pid_t(syscall(SYS_gettid));
  setpriority(PRIO_PROCESS, id_t(tid), 19);
  constexpr int kIoprioWhoProcess = 1, kIoprioClassIdle = 3, kIoprioClassShift = 13;
  syscall(SYS_ioprio_set, kIoprioWhoProcess, tid, kIoprioClassIdle << kIoprioClassShift);
}

}  // namespace

HostMonitor::HostMonitor(HostMonitorOptions options, FindingSink* sink,
                         std::function<void(const HostScanReport&)> on_report)
    : options_(WithDefaults(std::move(options))),
      sink_(sink),
      on_report_(std::move(on_report)),
      agent_(options_.scan, options_.intel, options_.engine) {}

HostMonitor::~HostMonitor() { Stop(); }

Status HostMonitor::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return Fail(Error::InvalidArgument("host monitor already running"));
  stop_ = std::stop_source();
  thread_ = std::thread([this] { Loop(); });
  return Ok();
}

void HostMonitor::RequestStop() {
  // The waits registered on the token (Loop's interval wait, the scanner's) wake at once.
  stop_.request_stop();
}

void HostMonitor::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

HostScanReport HostMonitor::RunOnce() {
  double cpu0 = ThreadCpuSeconds();
  uint64_t pass;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pass = stats_.passes;
  }
  uint32_t every = options_.system_binaries_every == 0 ? 1 : options_.system_binaries_every;
  agent_.scanner().set_check_system_binaries(options_.scan.check_system_binaries &&
                                             pass % every == 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.pass_running = true;
    stats_.pass_started_at_s = time(nullptr);
  }
  std::vector<std::string> sink_errors;
  auto deliver = [&] {
    std::vector<Finding> changed = agent_.findings().TakeChanged();
    if (!sink_ || changed.empty()) return;
    if (auto s = sink_->Write(changed); !s) {
      sink_errors.push_back("sink: " + s.error().message());
    } else if (auto f = sink_->Flush(); !f) {
      sink_errors.push_back("sink flush: " + f.error().message());
    }
  };
  HostScanReport rep = agent_.RunPass(stop_.get_token(), deliver);
  deliver();  // also after a stop: what the pass found so far is not lost
  for (auto& e : sink_errors) rep.notes.push_back(std::move(e));
  double cpu = ThreadCpuSeconds() - cpu0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.passes;
    stats_.passes_incomplete += IncompleteReasons(rep).empty() ? 0 : 1;
    stats_.pass_running = false;
    stats_.last_pass_seconds = rep.seconds;
    stats_.cpu_seconds += cpu;
    stats_.last_report = rep;
  }
  if (on_report_) on_report_(rep);
  return rep;
}

void HostMonitor::Loop() {
  if (options_.low_priority) LowerThreadPriority();
  std::stop_token stop = stop_.get_token();
  while (!stop.stop_requested()) {
    RunOnce();
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, stop, options_.interval, [] { return false; }) ||
        stop.stop_requested()) {
      return;
    }
  }
}

HostMonitorStats HostMonitor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace mw::hostscan
