// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "doctor/doctor.h"

#include <httplib.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <regex>
#include <set>

namespace mw::doctor {
namespace {

std::string_view VerdictName(Verdict v) {
  return v == Verdict::kPass ? "PASS" : v == Verdict::kWarn ? "WARN" : "FAIL";
}

std::set<std::string> NonLoopbackInterfaces() {
  std::set<std::string> out;
  struct ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return out;
  for (auto* i = ifs; i; i = i->ifa_next) {
    if (i->ifa_name && !(i->ifa_flags & IFF_LOOPBACK) && (i->ifa_flags & IFF_UP))
      out.insert(i->ifa_name);
  }
  freeifaddrs(ifs);
  return out;
}

}  // namespace

std::vector<Check> RunDoctor(const config::ServiceConfig& cfg, const DoctorOptions& o) {
  std::vector<Check> out;
  auto add = [&out](std::string name, Verdict v, std::string detail, std::string fix = "") {
    out.push_back(
        {std::move(name), v, std::move(detail), v == Verdict::kPass ? "" : std::move(fix)});
  };
  int64_t now = o.now_s ? o.now_s : int64_t(std::time(nullptr));

  // The running service.
  nlohmann::json health;
  {
    std::string url = o.url;
    httplib::Client cli(url);
    cli.set_connection_timeout(3, 0);
    cli.set_read_timeout(5, 0);
    auto r = cli.Get("/api/v1/health");
    if (!r) {
      add("service reachable", Verdict::kFail, "no answer from " + url,
          "start it with `minerwatch up -c <config>` (or pass --url)");
    } else {
      health = nlohmann::json::parse(r->body, nullptr, false);
      bool ok = r->status == 200 && health.is_object() && health.value("status", "") == "ok";
      add("service reachable", ok ? Verdict::kPass : Verdict::kFail,
          url + " answered " + std::to_string(r->status),
          "see the service log (journalctl -u minerwatch)");
    }
    if (!o.token.empty() && r) {
      auto t = cli.Get("/api/v1/tokens", {{"Authorization", "Bearer " + o.token}});
      if (t && t->status == 200) {
        auto j = nlohmann::json::parse(t->body, nullptr, false);
        int admins = 0, total = 0;
        if (j.is_object() && j["tokens"].is_array()) {
          for (auto& tok : j["tokens"]) {
            ++total;
            admins += tok.value("role", "") == "admin";
          }
        }
        add("API tokens least privilege", admins <= 1 ? Verdict::kPass : Verdict::kWarn,
            std::to_string(total) + " tokens, " + std::to_string(admins) + " admin",
            "give tools viewer or responder tokens; revoke extra admins with `minerwatch token "
            "revoke`");
      } else {
        add("API tokens least privilege", Verdict::kWarn,
            "cannot list tokens (" + (t ? std::to_string(t->status) : std::string("no answer")) +
                ")",
            "pass an admin token with --token or MINERWATCH_TOKEN");
      }
    } else {
      add("API tokens least privilege", Verdict::kWarn, "not checked: no token given",
          "pass an admin token with --token or MINERWATCH_TOKEN");
    }
  }

  // Detectors.
  const std::pair<const char*, bool> detectors[] = {
      {"network_protocol", cfg.detectors.network_protocol},
      {"pool_intel", cfg.detectors.pool_intel},
      {"host_memory", cfg.detectors.host_memory},
      {"hash_match", cfg.detectors.hash_match},
      {"persistence", cfg.detectors.persistence}};
  for (auto [name, on] : detectors) {
    add(std::string("detector ") + name, on ? Verdict::kPass : Verdict::kFail,
        on ? "enabled" : "disabled", std::string("set detectors.") + name + ": true");
  }

  // Capture coverage.
  if (!cfg.sensor.enabled) {
    add("capture on every interface", Verdict::kFail, "sensor disabled",
        "set sensor.enabled: true");
  } else {
    std::string status =
        health.is_object() ? health["components"]["sensor"].value("status", "unknown") : "unknown";
    auto ifs = NonLoopbackInterfaces();
    bool any = std::find(cfg.sensor.interfaces.begin(), cfg.sensor.interfaces.end(), "any") !=
               cfg.sensor.interfaces.end();
    std::string missing;
    if (!any) {
      for (const auto& i : ifs) {
        if (std::find(cfg.sensor.interfaces.begin(), cfg.sensor.interfaces.end(), i) ==
            cfg.sensor.interfaces.end()) {
          missing += (missing.empty() ? "" : ", ") + i;
        }
      }
    }
    Verdict v = !missing.empty()      ? Verdict::kFail
                : status == "running" ? Verdict::kPass
                                      : Verdict::kWarn;
    add("capture on every interface", v,
        (missing.empty() ? std::to_string(ifs.size()) + " non-loopback interfaces covered"
                         : "not captured: " + missing) +
            "; sensor " + status,
        missing.empty() ? "check the sensor status in the service log"
                        : "add them to sensor.interfaces, or use [any]");
  }

  // Host agent: enabled, running, passes on schedule, and able to see every process.
  if (!cfg.hostscan.enabled) {
    add("host agent", Verdict::kFail, "hostscan disabled",
        "set hostscan.enabled: true (process, memory and persistence checks)");
  } else {
    nlohmann::json hs = health.is_object() && health["components"].is_object()
                            ? health["components"].value("hostscan", nlohmann::json::object())
                            : nlohmann::json::object();
    std::string status = hs.is_object() ? hs.value("status", "unknown") : "unknown";
    uint64_t passes = hs.is_object() ? hs.value("passes", uint64_t(0)) : 0;
    std::string last = hs.is_object() && hs["last_pass_at"].is_string()
                           ? hs["last_pass_at"].get<std::string>()
                           : "";
    auto last_us = last.empty() ? std::optional<TimestampUs>() : ParseTimestamp(last);
    int64_t age_s = last_us ? now - *last_us / 1000000 : -1;
    // A pass may run long on a busy host; two missed intervals (plus a minute) means it is stuck.
    int64_t late_s = 2 * cfg.hostscan.interval_s + 60;
    if (status != "running") {
      add("host agent", Verdict::kFail, "host agent " + status,
          "see the service log; `minerwatch host scan` shows what a pass finds and why it fails");
    } else if (passes == 0 || age_s < 0) {
      add("host agent", Verdict::kWarn, "running; first pass not finished yet",
          "run doctor again in a minute");
    } else if (age_s > late_s) {
      add("host agent", Verdict::kFail,
          "last pass " + std::to_string(age_s) + " s ago (interval " +
              std::to_string(cfg.hostscan.interval_s) + " s)",
          "a pass is stuck or slow: lower hostscan.max_process_mb or raise hostscan.read_rate_mb");
    } else {
      add("host agent", Verdict::kPass,
          std::to_string(passes) + " passes, last " + std::to_string(age_s) + " s ago, " +
              std::to_string(hs.value("processes", uint64_t(0))) + " processes");
    }
    bool partial = false;
    if (hs.is_object() && hs["notes"].is_array()) {
      for (const auto& n : hs["notes"]) {
        partial |=
            n.is_string() && n.get<std::string>().find("CAP_SYS_PTRACE") != std::string::npos;
      }
    }
    if (status == "running" && passes > 0) {
      add("host agent sees every process", partial ? Verdict::kWarn : Verdict::kPass,
          partial ? "some processes could not be inspected" : "all processes inspected",
          "run the service as root (or with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)");
    }
  }

  // DNS visibility: a BPF filter that never mentions DNS hides pool-name lookups.
  bool dns_ok = cfg.sensor.enabled &&
                (cfg.sensor.bpf.empty() || cfg.sensor.bpf.find("53") != std::string::npos ||
                 cfg.sensor.bpf.find("udp") != std::string::npos);
  add("DNS visibility", dns_ok ? Verdict::kPass : Verdict::kWarn,
      cfg.sensor.bpf.empty() ? "no BPF filter: DNS is captured" : "bpf: " + cfg.sensor.bpf,
      "include 'port 53' in sensor.bpf so pool-name lookups (precursors) are seen");

  // Intel freshness.
  if (cfg.sensor.intel_dir.empty() && cfg.sensor.intel_files.empty()) {
    add("intel fresh", Verdict::kWarn, "only built-in intel (no intel_dir or intel_files)",
        "import current lists: `minerwatch intel import` and set sensor.intel_dir");
  } else {
    std::vector<std::string> files = cfg.sensor.intel_files;
    std::error_code ec;
    if (!cfg.sensor.intel_dir.empty()) {
      for (auto& e : std::filesystem::directory_iterator(cfg.sensor.intel_dir, ec)) {
        if (e.is_regular_file()) files.push_back(e.path().string());
      }
    }
    for (const auto& f : files) {
      auto t = std::filesystem::last_write_time(f, ec);
      if (ec) {
        add("intel fresh: " + f, Verdict::kFail, "cannot read", "fix the path in the config");
        continue;
      }
      auto age_s = now - int64_t(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::file_clock::to_sys(t).time_since_epoch())
                                     .count());
      int64_t days = age_s / 86400;
      add("intel fresh: " + std::filesystem::path(f).filename().string(),
          days <= 7    ? Verdict::kPass
          : days <= 30 ? Verdict::kWarn
                       : Verdict::kFail,
          std::to_string(days) + " days old", "refresh it with `minerwatch intel import`");
    }
  }

  // Contacts and routes.
  int emails = 0;
  for (const auto& c : cfg.notify.contacts) {
    if (c.email.empty()) continue;
    ++emails;
    // Same rule as the notifier's startup warning (notify.group_address_pattern first).
    auto kind = config::ClassifyContactAddress(cfg.notify, c.email);
    add("contact " + c.name + " is a group",
        kind == config::AddressKind::kGroup ? Verdict::kPass : Verdict::kWarn,
        c.email + (kind == config::AddressKind::kPersonal ? " looks like a personal address"
                   : kind == config::AddressKind::kUnrecognized
                       ? " is not recognised as a group mailbox"
                       : ""),
        "route to a group mailbox (e.g. secops@) so alerts survive absences and staff changes");
  }
  add("security contact", emails > 0 ? Verdict::kPass : Verdict::kFail,
      std::to_string(cfg.notify.contacts.size()) + " contacts, " + std::to_string(emails) +
          " e-mail",
      "add a group mailbox under notify.contacts");
  bool route = !cfg.notify.contacts.empty() || !cfg.exports.jsonl_path.empty() ||
               !cfg.exports.syslog_address.empty() || !cfg.exports.ocsf_path.empty();
  add("export or notification route", route ? Verdict::kPass : Verdict::kFail,
      route ? "configured" : "findings stay in the console only",
      "configure export.syslog_address (SIEM) or notify.contacts");
  if (emails > 0 && cfg.notify.smtp.url.empty()) {
    add("SMTP relay", Verdict::kFail, "contacts have e-mail but notify.smtp.url is empty",
        "set notify.smtp.url");
  }

  add("threat-engine mode", cfg.threat_engine_mode == "block" ? Verdict::kPass : Verdict::kWarn,
      cfg.threat_engine_mode, "set threat_engine.mode: block to stop pool connections, once tuned");
  add("remediation policy", cfg.remediation_policy == "manual" ? Verdict::kWarn : Verdict::kPass,
      cfg.remediation_policy,
      "set remediation.policy: kill (or quarantine) to stop miners automatically");
  return out;
}

std::string RenderTable(const std::vector<Check>& checks) {
  size_t w = 5;
  for (const auto& c : checks) w = std::max(w, c.name.size());
  std::string out;
  for (const auto& c : checks) {
    out += std::string(VerdictName(c.verdict)) + "  " + c.name +
           std::string(w - c.name.size() + 2, ' ') + c.detail + "\n";
    if (!c.fix.empty()) out += "      fix: " + c.fix + "\n";
  }
  int pass = 0, warn = 0, fail = 0;
  for (const auto& c : checks) {
    (c.verdict == Verdict::kPass ? pass : c.verdict == Verdict::kWarn ? warn : fail)++;
  }
  out += std::to_string(pass) + " pass, " + std::to_string(warn) + " warn, " +
         std::to_string(fail) + " fail\n";
  return out;
}

std::string RenderJson(const std::vector<Check>& checks) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : checks) {
    a.push_back({{"check", c.name},
                 {"verdict", VerdictName(c.verdict)},
                 {"detail", c.detail},
                 {"fix", c.fix}});
  }
  return nlohmann::json{{"checks", a}, {"exit_code", ExitCode(checks)}}.dump(2) + "\n";
}

int ExitCode(const std::vector<Check>& checks) {
  int code = 0;
  for (const auto& c : checks) {
    if (c.verdict == Verdict::kFail) return 2;
    if (c.verdict == Verdict::kWarn) code = 1;
  }
  return code;
}

}  // namespace mw::doctor
