// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/pool_intel/host_intel.h"

#include "hostscan/host_events.h"
#include "hostscan/host_scanner.h"
#include "hostscan/process_evidence.h"

namespace mw {
namespace {

using hostscan::ProcessEvent;
using hostscan::SocketEvent;

std::optional<std::string> Describe(const std::optional<intel::Match>& m) {
  if (!m || m->list != intel::ListKind::kBlock || !m->entry) return std::nullopt;
  return m->entry->source + ": " + m->entry->category + " (" + std::string(m->pattern) + ")";
}

// A process on this host talking to or naming mining infrastructure is stronger than a
// connection seen on the wire: the process is known. High, and only T1496 (no protocol seen).
Finding& ReportHost(DetectorContext& ctx, std::string_view category, const hostscan::HostRef& host,
                    std::string indicator, const hostscan::ProcessInfo& p, const std::string& why) {
  Finding& f = ctx.Report(category, host.host_ip, indicator, host.ts);
  f.severity = Severity::kHigh;
  f.attack = {"T1496"};
  f.source = why;
  f.resource.hostname = std::string(host.hostname);
  hostscan::AddProcess(f, p);
  f.evidence["intel"] = why;
  return f;
}

void OnSocket(DetectorContext& ctx, const SocketEvent& e) {
  const hostscan::RemoteEndpoint& s = e.socket;
  if (s.remote_port == 0 || s.remote.IsUnspecifiedOrLoopback()) return;
  std::optional<std::string> why = ListedIp(ctx.intel, s.remote);
  if (!why) return;
  Finding& f = ReportHost(ctx, category::kBadIp, e.host,
                          HostIntelIndicator(s.remote.ToString(), e.process), e.process, *why);
  f.evidence["endpoint"] = s.proto + " " + hostscan::Endpoint(s.local, s.local_port) + " -> " +
                           hostscan::Endpoint(s.remote, s.remote_port);
}

void OnProcess(DetectorContext& ctx, const ProcessEvent& e) {
  for (const std::string& host : hostscan::PoolHostsInCmdline(e.process.cmdline)) {
    // A pool given by address ("-o 198.51.100.23:3333") is on the IP lists, not the domain ones.
    std::optional<std::string> why = ListedHost(ctx.intel, host);
    if (!why) continue;
    const bool ip = IpAddress::Parse(host).has_value();
    Finding& f = ReportHost(ctx, ip ? category::kBadIp : category::kBadDomain, e.host,
                            HostIntelIndicator(host, e.process), e.process, *why);
    f.evidence["where"] = "command line";
  }
}

}  // namespace

std::optional<std::string> ListedIp(const intel::IntelStore& intel, const IpAddress& ip) {
  return Describe(intel.LookupIp(ip));
}

std::optional<std::string> ListedHost(const intel::IntelStore& intel, std::string_view host) {
  if (auto ip = IpAddress::Parse(host)) return ListedIp(intel, *ip);
  return Describe(intel.LookupDomain(host));
}

std::string HostIntelIndicator(std::string_view what, const hostscan::ProcessInfo& p) {
  // A fileless process's "executable" ("/memfd: ") names nothing; its name does.
  return std::string(what) + " by " + (p.exe.empty() || p.exe_memfd ? p.comm : p.exe);
}

void SubscribeHostIntel(EventBus& bus, DetectorContext& ctx) {
  bus.On<SocketEvent>([&ctx](const SocketEvent& e) { OnSocket(ctx, e); });
  bus.On<ProcessEvent>([&ctx](const ProcessEvent& e) { OnProcess(ctx, e); });
}

}  // namespace mw
