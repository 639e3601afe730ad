// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Suricata EVE JSON alert records
// (https://docs.suricata.io/en/latest/output/eve/eve-json-format.html), one line per rule alert, so
// tools already pointed at eve.json (jq, Filebeat's Suricata module, Wazuh, EveBox) read
// minerwatch's alerts unchanged: event_type, timestamp, flow_id, src/dest, proto, app_proto,
// direction and alert.{action, gid, signature_id, rev, signature, category, severity, metadata}.
//
// Thread-safe: live capture's pipelines write from their own threads. Each record is flushed as
// it is written, so a crash loses nothing already reported.
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "mw/core/result.h"
#include "rules/rule_alert.h"

namespace mw::eve {

// The record for one alert, as one line of JSON without the newline.
std::string FormatAlert(const rules::RuleAlertEvent& alert);

class EveWriter {
 public:
  // Appends to "path" ("-" = stdout); the file is created with mode 0640.
  [[nodiscard]] static Result<std::unique_ptr<EveWriter>> Open(const std::string& path,
                                                               bool append = true);
  ~EveWriter();

  void Write(const rules::RuleAlertEvent& alert);
  uint64_t written() const;
  // Write errors since Open (disk full...): the caller reports them at the end.
  uint64_t errors() const;

 private:
  EveWriter(FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  mutable std::mutex mu_;
  FILE* file_;
  std::string path_;
  uint64_t written_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace mw::eve
