// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "doctor/doctor.h"

#include <httplib.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>

#include "engine/detector_settings.h"

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

// j[key] when j is an object holding it, else null: a service's answer is never trusted to have
// the shape docs/api.md gives.
const nlohmann::json& Field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const nlohmann::json& j, const char* key, std::string dflt) {
  const auto& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : dflt;
}

// Why an HTTP request got no answer, in words (httplib's own names are one word: "Connection").
std::string NoAnswer(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "could not connect: nothing listens there, or the host is unreachable";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out after 3 s";
    case httplib::Error::Read:
      return "no answer within 5 s";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
      return "TLS failed";
    default:
      return httplib::to_string(e);
  }
}

uint64_t Uint(const nlohmann::json& j, const char* key) {
  const auto& v = Field(j, key);
  return v.is_number_unsigned() ? v.get<uint64_t>() : 0;
}

}  // namespace

std::vector<Check> RunDoctor(const config::ServiceConfig& cfg, const DoctorOptions& o) {
  std::vector<Check> out;
  auto add = [&out](std::string name, Verdict v, std::string detail, std::string fix = "") {
    out.push_back(
        {std::move(name), v, std::move(detail), v == Verdict::kPass ? "" : std::move(fix)});
  };
  int64_t now = o.now_s ? o.now_s : int64_t(std::time(nullptr));

  // Which deployment: the config file, or the embedded defaults `minerwatch up` runs without -c.
  add("config", Verdict::kPass,
      cfg.source.empty() ? "embedded defaults (no -c: what `minerwatch up` runs without -c)"
                         : cfg.source + " is valid");

  // The store: read-only, so only whether it is there (up creates it on its first start).
  {
    std::error_code ec;
    bool there = std::filesystem::exists(cfg.store.path, ec);
    if (ec) {
      add("store", Verdict::kWarn, "could not check " + cfg.store.path + ": " + ec.message(),
          "run doctor as the user the service runs as (root for the default store.path)");
    } else {
      add("store", there ? Verdict::kPass : Verdict::kWarn,
          cfg.store.path + (there ? " exists" : " does not exist"),
          "`minerwatch up` with this config creates it on its first start");
    }
  }

  // The running service. What depends on its answer says "not checked" and why when it gave none.
  nlohmann::json health;
  const std::string url = o.url;
  std::string unchecked;  // empty once /api/v1/health gave its JSON
  {
    httplib::Client cli(url);
    cli.set_connection_timeout(3, 0);
    cli.set_read_timeout(5, 0);
    auto r = cli.Get("/api/v1/health");
    if (!r) {
      unchecked = "not checked: no answer from " + url;
      add("service reachable", Verdict::kFail,
          "could not reach " + url + " (" + NoAnswer(r.error()) + ")",
          cfg.source.empty()
              ? "start it with `minerwatch up` (or pass --url, or -c for a config)"
              : "start it with `minerwatch up -c " + cfg.source + "` (or pass --url)");
    } else {
      health = nlohmann::json::parse(r->body, nullptr, false);
      if (!health.is_object()) {
        health = nlohmann::json();
        unchecked = "not checked: " + url + "/api/v1/health gave no health JSON";
      }
      bool ok = r->status == 200 && Str(health, "status", "") == "ok";
      add("service reachable", ok ? Verdict::kPass : Verdict::kFail,
          url + " answered " + std::to_string(r->status),
          "see the service log (journalctl -u minerwatch)");
    }
    if (!r) {
      add("API tokens least privilege", Verdict::kWarn, unchecked,
          "start the service, then run doctor again");
    } else if (!o.token.empty()) {
      auto t = cli.Get("/api/v1/tokens", {{"Authorization", "Bearer " + o.token}});
      if (t && t->status == 200) {
        auto j = nlohmann::json::parse(t->body, nullptr, false);
        int admins = 0, total = 0;
        if (j.is_object() && j["tokens"].is_array()) {
          for (auto& tok : j["tokens"]) {
            ++total;
            admins += Str(tok, "role", "") == "admin";
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

  // Detectors: every registered one, as detectors.<name>.enabled leaves it.
  DetectorRegistry registry;
  RegisterBuiltinDetectors(registry);
  auto detectors = engine::ResolveDetectorConfig(registry, cfg);
  if (!detectors) {
    add("detector settings", Verdict::kFail, detectors.error().message(),
        "`minerwatch detectors` lists every detector and its settings");
  }
  for (const DetectorSpec& spec : registry.specs()) {
    std::string name(spec.name);
    bool on = detectors ? detectors->For(spec).enabled() : spec.enabled_by_default;
    add("detector " + name, on ? Verdict::kPass : Verdict::kFail, on ? "enabled" : "disabled",
        "set detectors." + name + ".enabled: true");
  }

  // Capture coverage.
  if (!cfg.sensor.enabled) {
    add("capture on every interface", Verdict::kFail, "sensor disabled",
        "set sensor.enabled: true");
  } else {
    std::string status =
        !unchecked.empty() ? "status " + unchecked
                           : Str(Field(Field(health, "components"), "sensor"), "status", "unknown");
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
    const nlohmann::json& hs = Field(Field(health, "components"), "hostscan");
    std::string status = Str(hs, "status", "unknown");
    uint64_t passes = Uint(hs, "passes");
    std::string last = Str(hs, "last_pass_at", "");
    auto last_us = last.empty() ? std::optional<TimestampUs>() : ParseTimestamp(last);
    int64_t age_s = last_us ? now - *last_us / 1000000 : -1;
    // A pass may run long on a busy host; two missed intervals (plus a minute) means it is stuck.
    int64_t late_s = 2 * cfg.hostscan.interval_s + 60;
    if (!unchecked.empty()) {
      add("host agent", Verdict::kWarn, unchecked, "start the service, then run doctor again");
    } else if (status != "running") {
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
              std::to_string(Uint(hs, "processes")) + " processes");
    }
    // The last pass's coverage (docs/api.md): complete=false names why (a blind agent, a path
    // it could not read, a stopped pass).
    if (status == "running" && passes > 0) {
      const nlohmann::json& cov = Field(hs, "coverage");
      const nlohmann::json& complete = Field(cov, "complete");
      if (!complete.is_boolean()) {
        add("host agent sees every process", Verdict::kWarn,
            "not checked: the service reports no coverage.complete for the last pass",
            "upgrade the service to this doctor's version");
      } else if (complete.get<bool>()) {
        add("host agent sees every process", Verdict::kPass, "last pass complete");
      } else {
        std::string why;
        if (Field(cov, "incomplete_reasons").is_array()) {
          for (const auto& w : Field(cov, "incomplete_reasons")) {
            if (w.is_string()) why += (why.empty() ? "" : "; ") + w.get<std::string>();
          }
        }
        add("host agent sees every process", Verdict::kWarn,
            "last pass incomplete" + (why.empty() ? std::string() : ": " + why),
            "run the service as root (or with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)");
      }
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
  return out;
}

std::string RenderTable(const std::vector<Check>& checks) {
  size_t w = 5;
  for (const auto& c : checks) w = std::max(w, c.name.size());
  std::string out;
  for (const auto& c : checks) {
    // One line per check: verdict, name, what was found, and how to fix it.
    out += std::string(VerdictName(c.verdict)) + "  " + c.name +
           std::string(w - c.name.size() + 2, ' ') + c.detail +
           (c.fix.empty() ? "" : "; fix: " + c.fix) + "\n";
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
