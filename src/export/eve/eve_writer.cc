// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/eve/eve_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "mw/findings/finding.h"

namespace mw::eve {
namespace {

// Suricata's form: "2026-12-03T12:34:56.123456+0000".
std::string SuricataTimestamp(TimestampUs ts) { return FormatTimestamp(ts, "+0000"); }

const char* ProtoName(IpProto p) {
  switch (p) {
    case IpProto::kTcp:
      return "TCP";
    case IpProto::kUdp:
      return "UDP";
    case IpProto::kIcmp:
      return "ICMP";
    case IpProto::kIcmpV6:
      return "IPv6-ICMP";
  }
  return "IP";
}

// Suricata groups metadata values by key: {"key": ["v1", "v2"]}.
nlohmann::json Metadata(const rules::Rule& rule) {
  nlohmann::json m = nlohmann::json::object();
  for (const rules::MetadataEntry& e : rule.metadata) {
    auto& list = m[e.key];
    if (!list.is_array()) list = nlohmann::json::array();
    list.push_back(e.value);
  }
  return m;
}

}  // namespace

std::string FormatAlert(const rules::RuleAlertEvent& a) {
  const rules::Rule& r = a.rule;
  nlohmann::json alert = {{"action", a.blocked ? "blocked" : "allowed"},
                          {"gid", r.gid},
                          {"signature_id", r.sid},
                          {"rev", r.rev},
                          {"signature", r.msg},
                          {"category", a.category},
                          {"severity", a.priority}};
  if (!r.metadata.empty()) alert["metadata"] = Metadata(r);
  nlohmann::json j = {{"timestamp", SuricataTimestamp(a.ts)},
                      {"flow_id", a.flow.flow_id},
                      {"event_type", "alert"},
                      {"src_ip", a.src.ToString()},
                      {"dest_ip", a.dst.ToString()},
                      {"proto", ProtoName(a.ip_proto)},
                      {"direction", a.dir == mw::Direction::kToServer ? "to_server" : "to_client"}};
  if (a.ip_proto == IpProto::kTcp || a.ip_proto == IpProto::kUdp) {
    j["src_port"] = a.src_port;
    j["dest_port"] = a.dst_port;
  }
  if (!a.app_protocol.empty()) j["app_proto"] = a.app_protocol;
  j["alert"] = std::move(alert);
  j["flow"] = {{"pkts_toserver", a.flow.packets[0]},
               {"pkts_toclient", a.flow.packets[1]},
               {"bytes_toserver", a.flow.bytes[0]},
               {"bytes_toclient", a.flow.bytes[1]},
               {"start", SuricataTimestamp(a.flow.first_seen)}};
  // Invalid UTF-8 in a msg becomes U+FFFD rather than an exception mid-capture.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::unique_ptr<EveWriter>> EveWriter::Open(const std::string& path, bool append) {
  if (path == "-") return std::unique_ptr<EveWriter>(new EveWriter(stdout, path));
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0640);
  if (fd < 0) return Fail(Error::IoError(path + ": " + std::strerror(errno)));
  FILE* f = ::fdopen(fd, append ? "a" : "w");
  if (f == nullptr) {
    ::close(fd);
    return Fail(Error::IoError(path + ": " + std::strerror(errno)));
  }
  return std::unique_ptr<EveWriter>(new EveWriter(f, path));
}

EveWriter::~EveWriter() {
  if (file_ != stdout)
    std::fclose(file_);
  else
    std::fflush(file_);
}

void EveWriter::Write(const rules::RuleAlertEvent& alert) {
  const std::string line = FormatAlert(alert);
  std::lock_guard lock(mu_);
  const bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
                  std::fputc('\n', file_) != EOF && std::fflush(file_) == 0;
  ok ? ++written_ : ++errors_;
}

uint64_t EveWriter::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

uint64_t EveWriter::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

}  // namespace mw::eve
