// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// SIEM wire formats for a stored finding: RFC 5424 syslog lines (with the finding as structured
// data), ArcSight CEF, and the OCSF Detection Finding (class_uid 2004). Pure functions, no I/O.
//
// Every field can carry bytes seen on the network (a miner's user agent, a pool name), so each
// formatter makes its output valid UTF-8, escapes what its format requires, and never emits a
// raw CR or LF: one finding is always one line, whatever the framing.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/text_sanitize.h"  // SanitizeText, DumpJson
#include "mw/core/result.h"
#include "store/store.h"

namespace mw::siem {

// RFC 5424 section 6.3.3: '"', '\' and ']' get a backslash (after mw::SanitizeText).
std::string EscapeSdValue(std::string_view in);
// CEF header fields: '\' and '|' get a backslash. Extension values: '\' and '=' get a backslash,
// CR and LF become "\r" and "\n".
std::string EscapeCefHeader(std::string_view in);
std::string EscapeCefExtension(std::string_view in);

struct SyslogHeader {
  int facility = 16;           // local0
  std::string hostname = "-";  // the sending host (RFC 5424 HOSTNAME); "-" when unknown
  std::string app_name = "minerwatch";
  int64_t procid = 0;  // 0 = "-"
};

// The syslog severity of a finding: critical→2 (crit), high→3 (err), medium→4 (warning),
// low→5 (notice), info→6 (info).
int SyslogSeverity(Severity s);

// "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [minerwatch@32473 ...] MSG". TIMESTAMP is the
// finding's last_seen. "msg" is the free-form part (a summary, a CEF record or OCSF JSON).
std::string FormatRfc5424(const store::StoredFinding& f, const SyslogHeader& h,
                          std::string_view msg);
// One-line human summary, used as the RFC 5424 MSG.
std::string Summary(const store::StoredFinding& f);
// "CEF:0|minerwatch|minerwatch|VERSION|SIGNATURE|NAME|SEVERITY|EXTENSIONS".
std::string FormatCef(const store::StoredFinding& f);
// The OCSF 1.1.0 Detection Finding event for "f". "previously_seen" picks activity Update over
// Create; a resolved finding is activity Close.
nlohmann::json ToOcsf(const store::StoredFinding& f, bool previously_seen);

// "udp://host:port" or "tcp://host:port" (IPv6 as [addr]).
struct SyslogAddress {
  bool tcp = false;
  std::string host;
  uint16_t port = 0;
};
Result<SyslogAddress> ParseSyslogAddress(std::string_view url);

}  // namespace mw::siem
