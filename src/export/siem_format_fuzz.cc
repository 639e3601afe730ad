// minerwatch — SPDX-License-Identifier: Apache-2.0
// Fuzzes the SIEM formatters with hostile finding fields and the syslog address parser. Beyond
// "no crash", it checks the formats' invariants: one line per finding (no CR/LF), valid UTF-8
// out, exactly one structured-data element in RFC 5424, eight CEF header fields, JSON that parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "export/siem_format.h"

namespace {
// Sanitized text is a fixed point: valid UTF-8 without control characters.
bool Clean(std::string_view s) { return mw::SanitizeText(s) == s; }
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)mw::siem::ParseSyslogAddress(in);

  // Split the input into fields on 0x00.
  std::string parts[6];
  size_t k = 0;
  for (char c : in) {
    if (c == '\0' && k < 5) {
      ++k;
    } else {
      parts[k] += c;
    }
  }
  mw::store::StoredFinding sf;
  sf.finding.id = parts[0];
  sf.finding.category = parts[1];
  sf.finding.indicator = parts[2];
  sf.finding.resource.hostname = parts[3];
  sf.finding.detector = parts[4];
  sf.finding.evidence = {{"agent", parts[5]}};
  sf.finding.severity = mw::Severity(size % 5);
  sf.finding.last_seen = int64_t(size) * 1000003;

  mw::siem::SyslogHeader h;
  h.hostname = parts[3];
  std::string line = mw::siem::FormatRfc5424(sf, h, parts[5]);
  Check(line.find_first_of("\r\n") == std::string::npos);
  Check(mw::SanitizeText(line) == line);
  size_t closers = 0;
  // Header tokens may hold ']' (printable ASCII); the SD element starts after the MSGID.
  size_t sd = line.find(" finding [");
  Check(sd != std::string::npos);
  for (size_t i = sd + 10; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;  // an escaped character inside a PARAM-VALUE
      continue;
    }
    if (line[i] == ']') {
      ++closers;
      break;  // MSG may contain anything after the SD element
    }
  }
  Check(closers == 1);

  std::string cef = mw::siem::FormatCef(sf);
  Check(cef.find_first_of("\r\n") == std::string::npos);
  int pipes = 0;
  for (size_t i = 0; i < cef.size() && pipes < 7; ++i) {
    if (cef[i] == '\\') {
      ++i;
    } else if (cef[i] == '|') {
      ++pipes;
    }
  }
  Check(pipes == 7);

  std::string ocsf = mw::DumpJson(mw::siem::ToOcsf(sf, size & 1));
  Check(!nlohmann::json::parse(ocsf, nullptr, false).is_discarded());
  Check(Clean(mw::SanitizeText(in)));
  return 0;
}
