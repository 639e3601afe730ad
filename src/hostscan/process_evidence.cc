// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/process_evidence.h"

#include <cmath>

namespace mw::hostscan {
namespace {

const char* TcpState(uint8_t s) {
  switch (s) {
    case 1:
      return "ESTABLISHED";
    case 2:
      return "SYN_SENT";
    case 3:
      return "SYN_RECV";
    case 6:
      return "TIME_WAIT";
    case 8:
      return "CLOSE_WAIT";
    case 10:
      return "LISTEN";
    default:
      return "OTHER";
  }
}

}  // namespace

std::string Endpoint(const IpAddress& ip, uint16_t port) {
  std::string s = ip.ToString();
  if (!ip.is_v4()) s = "[" + s + "]";
  return s + ":" + std::to_string(port);
}

nlohmann::json ProcessJson(const ProcessInfo& p) {
  nlohmann::json j = {
      {"pid", p.pid},
      {"ppid", p.ppid},
      {"user", p.user},
      {"uid", p.uid},
      {"comm", p.comm},
      {"exe", p.exe},
      {"exe_deleted", p.exe_deleted},
      {"exe_memfd", p.exe_memfd},
      {"exe_suspicious_dir", p.exe_suspicious_dir},
      {"exe_sha256", p.exe_sha256},
      {"cmdline", p.CmdlineString()},
      {"cwd", p.cwd},
      {"start_time", p.start_time_unix},
      {"start_ticks", p.start_time_ticks},
      {"threads", p.threads},
  };
  if (p.cpu_percent >= 0) j["cpu_percent"] = std::round(p.cpu_percent * 10) / 10;
  if (!p.container.id.empty()) {
    j["container"] = {{"id", p.container.id}, {"runtime", p.container.runtime}};
  }
  nlohmann::json socks = nlohmann::json::array();
  for (const auto& s : p.sockets) {
    if (s.remote_port == 0 && s.state != 10) continue;  // unconnected UDP etc.
    socks.push_back({{"proto", s.proto},
                     {"local", Endpoint(s.local, s.local_port)},
                     {"remote", Endpoint(s.remote, s.remote_port)},
                     {"state", s.proto.starts_with("udp") ? "UDP" : TcpState(s.state)}});
  }
  if (!socks.empty()) j["sockets"] = std::move(socks);
  if (!p.unreadable.empty()) j["unreadable"] = p.unreadable;
  return j;
}

std::string ProcessIndicator(const ProcessInfo& p) {
  return p.exe_sha256.empty() ? "pid:" + std::to_string(p.pid) + ":" + p.exe
                              : "sha256:" + p.exe_sha256;
}

void AddProcess(Finding& f, const ProcessInfo& p) {
  auto& arr = f.evidence["processes"];
  if (!arr.is_array()) arr = nlohmann::json::array();
  for (auto& e : arr) {
    if (e.value("pid", 0) == p.pid) {
      e = ProcessJson(p);
      return;
    }
  }
  if (arr.size() < 32) arr.push_back(ProcessJson(p));
}

}  // namespace mw::hostscan
