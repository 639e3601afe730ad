// minerwatch — SPDX-License-Identifier: Apache-2.0
// One rule: header, option list, the meta keywords; detection and state keywords are in their
// own files.
#include "rules/rule_parser.h"

#include <cctype>
#include <charconv>
#include <utility>

#include "rules/rule_internal.h"

namespace mw::rules {
namespace internal {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitTopLevel(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[') ++depth;
    if (s[i] == ']') --depth;
    if (s[i] == sep && depth == 0) {
      parts.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(Trim(s.substr(start)));
  return parts;
}

Result<int64_t> ParseInt(std::string_view s, int64_t min, int64_t max) {
  s = Trim(s);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return Fail(Error::InvalidArgument("'" + std::string(s) + "' is not a number"));
  if (v < min || v > max)
    return Fail(Error::InvalidArgument("'" + std::string(s) + "' is out of range " +
                                       std::to_string(min) + ".." + std::to_string(max)));
  return v;
}

Result<NumberCheck> ParseNumberCheck(std::string_view s, uint64_t max) {
  s = Trim(s);
  NumberCheck check;
  auto number = [max](std::string_view t) { return ParseInt(t, 0, int64_t(max)); };
  for (std::string_view sep : {"<>", "-"}) {
    auto at = s.find(sep);
    if (at == std::string_view::npos || at == 0) continue;
    MW_ASSIGN(lo, number(s.substr(0, at)));
    MW_ASSIGN(hi, number(s.substr(at + sep.size())));
    if (hi <= lo + 1)
      return Fail(Error::InvalidArgument("range '" + std::string(s) + "' holds no number"));
    check.op = NumberCheck::Op::kRange;
    check.value = uint64_t(lo);
    check.upper = uint64_t(hi);
    return check;
  }
  static constexpr std::pair<std::string_view, NumberCheck::Op> kOps[] = {
      {"<=", NumberCheck::Op::kLessEqual}, {">=", NumberCheck::Op::kGreaterEqual},
      {"<", NumberCheck::Op::kLess},       {">", NumberCheck::Op::kGreater},
      {"!", NumberCheck::Op::kNotEqual},   {"=", NumberCheck::Op::kEqual}};
  for (const auto& [prefix, op] : kOps) {
    if (s.starts_with(prefix)) {
      check.op = op;
      s.remove_prefix(prefix.size());
      break;
    }
  }
  MW_ASSIGN(value, number(s));
  check.value = uint64_t(value);
  return check;
}

}  // namespace internal

namespace {
using internal::ParseInt;
using internal::Trim;

Error Invalid(std::string m) { return Error::InvalidArgument(std::move(m)); }

// Options are separated by ';' that no backslash escapes; like Suricata, quotes do not protect a
// ';' (content:"a;b" is an error, content:"a\;b" is the pattern a;b).
Result<std::vector<Option>> SplitOptions(std::string_view body) {
  std::vector<Option> options;
  std::string current;
  bool escaped = false;
  for (char c : body) {
    if (escaped) {
      current += '\\';
      current += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ';') {
      std::string_view text = Trim(current);
      if (text.empty()) return Fail(Invalid("empty option (';;')"));
      Option option;
      auto colon = text.find(':');
      option.keyword = std::string(Trim(text.substr(0, colon)));
      if (colon != std::string_view::npos) {
        option.value = std::string(Trim(text.substr(colon + 1)));
        option.has_value = true;
      }
      options.push_back(std::move(option));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!Trim(current).empty())
    return Fail(Invalid("last option '" + std::string(Trim(current)) + "' has no ';'"));
  return options;
}

// msg is free text: the option escapes (\; \" \\ \:) are decoded, other backslashes kept.
Result<std::string> ParseMsg(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"')
    return Fail(Invalid("msg must be quoted"));
  value = value.substr(1, value.size() - 2);
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      char next = value[i + 1];
      if (next == ';' || next == '"' || next == '\\' || next == ':' || next == ',') {
        out += next;
        ++i;
        continue;
      }
    } else if (c == '"') {
      return Fail(Invalid("msg has an unescaped '\"'"));
    }
    out += c;
  }
  return out;
}

Result<std::vector<MetadataEntry>> ParseMetadata(std::string_view value) {
  std::vector<MetadataEntry> entries;
  for (auto item : internal::SplitTopLevel(value, ',')) {
    if (item.empty()) continue;
    auto space = item.find_first_of(" \t");
    MetadataEntry e;
    e.key = std::string(item.substr(0, space));
    if (space != std::string_view::npos) e.value = std::string(Trim(item.substr(space)));
    entries.push_back(std::move(e));
  }
  return entries;
}

Result<Reference> ParseReference(std::string_view value) {
  auto comma = value.find(',');
  if (comma == std::string_view::npos || comma == 0 || Trim(value.substr(comma + 1)).empty())
    return Fail(Invalid("reference needs 'system,id'"));
  return Reference{std::string(Trim(value.substr(0, comma))),
                   std::string(Trim(value.substr(comma + 1)))};
}

Result<uint32_t> ParseU32(std::string_view keyword, std::string_view value, int64_t min) {
  auto n = ParseInt(value, min, UINT32_MAX);
  if (!n) return Fail(Invalid(std::string(keyword) + ": " + n.error().message()));
  return uint32_t(*n);
}

bool IsMetaKeyword(std::string_view k) {
  for (std::string_view name :
       {"msg", "sid", "rev", "gid", "classtype", "reference", "metadata", "priority", "target"})
    if (k == name) return true;
  return false;
}

Status ApplyMetaKeyword(const Option& o, Rule& rule) {
  const std::string& k = o.keyword;
  if (!o.has_value || o.value.empty()) return Fail(Invalid(k + " needs a value"));
  if (k == "msg") {
    MW_ASSIGN(msg, ParseMsg(o.value));
    rule.msg = std::move(msg);
  } else if (k == "sid") {
    MW_ASSIGN(sid, ParseU32(k, o.value, 1));
    rule.sid = sid;
  } else if (k == "rev") {
    MW_ASSIGN(rev, ParseU32(k, o.value, 0));
    rule.rev = rev;
  } else if (k == "gid") {
    MW_ASSIGN(gid, ParseU32(k, o.value, 0));
    rule.gid = gid;
  } else if (k == "classtype") {
    rule.classtype = o.value;
  } else if (k == "reference") {
    MW_ASSIGN(ref, ParseReference(o.value));
    rule.references.push_back(std::move(ref));
  } else if (k == "metadata") {
    MW_ASSIGN(entries, ParseMetadata(o.value));
    rule.metadata.insert(rule.metadata.end(), entries.begin(), entries.end());
  } else if (k == "priority") {
    MW_ASSIGN(priority, ParseU32(k, o.value, 1));
    if (priority > 255) return Fail(Invalid("priority must be 1..255"));
    rule.priority = uint8_t(priority);
  } else if (k == "target") {
    if (o.value != "src_ip" && o.value != "dest_ip")
      return Fail(Invalid("target must be src_ip or dest_ip"));
    rule.target = o.value;
  }
  return Ok();
}

Status ApplyOptions(Rule& rule) {
  internal::DetectionState detection;
  detection.snort3 = rule.dialect == Dialect::kSnort3;
  for (const Option& o : rule.options) {
    Status s;
    if (o.keyword == "service" && rule.dialect == Dialect::kSnort3) {
      for (auto name : internal::SplitTopLevel(o.value, ',')) rule.services.emplace_back(name);
    } else if (IsMetaKeyword(o.keyword)) {
      s = ApplyMetaKeyword(o, rule);
    } else if (internal::IsStateKeyword(o.keyword)) {
      s = internal::ApplyStateKeyword(o, rule);
    } else if (internal::IsDetectionKeyword(o.keyword)) {
      s = internal::ApplyDetectionKeyword(o, detection, rule);
    } else {
      return Fail(Error::Unsupported("unsupported keyword '" + o.keyword + "'"));
    }
    if (!s) return s;
  }
  return Ok();
}

}  // namespace

Vars DefaultVars() {
  return {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
      {"HTTP_PORTS", "80"},
      {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"},
      {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},
      {"MODBUS_PORTS", "502"},
      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"FTP_PORTS", "21"},
      {"GENEVE_PORTS", "6081"},
      {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
  };
}

std::optional<uint32_t> FindSid(std::string_view text) {
  for (size_t at = text.find("sid"); at != std::string_view::npos; at = text.find("sid", at + 1)) {
    size_t before = at;
    while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
    if (before > 0 && text[before - 1] != ';' && text[before - 1] != '(') continue;
    std::string_view rest = Trim(text.substr(at + 3));
    if (rest.empty() || rest.front() != ':') continue;
    rest = Trim(rest.substr(1));
    uint32_t sid = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), sid);
    if (ec == std::errc() && end != rest.data()) return sid;
  }
  return std::nullopt;
}

Result<Rule> ParseRule(std::string_view text, const Vars& vars) {
  text = Trim(text);
  auto open = text.find('(');
  if (open == std::string_view::npos || text.back() != ')')
    return Fail(Invalid("not a rule: expected 'action proto src sport -> dst dport (options)'"));
  Rule rule;
  MW_TRY(internal::ParseHeader(text.substr(0, open), vars, rule));
  MW_ASSIGN(options, SplitOptions(text.substr(open + 1, text.size() - open - 2)));
  if (internal::LooksLikeSnort3(options)) {
    rule.dialect = Dialect::kSnort3;
    options = internal::ExpandSnort3Options(options);
  }
  rule.options = std::move(options);
  MW_TRY(ApplyOptions(rule));
  if (rule.sid == 0) return Fail(Invalid("rule has no sid"));
  MW_TRY(internal::CheckBuffersFitProtocol(rule));
  return rule;
}

}  // namespace mw::rules
