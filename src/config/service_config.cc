// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "config/service_config.h"

#include <fcntl.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>

namespace mw::config {
namespace {

// Walks one YAML mapping: typed getters that record "file:line:col: message" errors, and a final
// check that every key present was one the schema knows.
class Section {
 public:
  Section(const YAML::Node& node, std::string path, const std::string& source,
          std::vector<std::string>& errors)
      : node_(node), path_(std::move(path)), source_(source), errors_(errors) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      Error(node_, path_ + " must be a mapping of key: value");
      valid_ = false;
    }
  }

  ~Section() {
    if (!valid_ || !node_ || node_.IsNull()) return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      if (!known_.count(key)) {
        std::string known;
        for (const auto& k : known_) known += (known.empty() ? "" : ", ") + k;
        Error(it->first, "unknown key '" + Join(key) + "' (known here: " + known + ")");
      }
    }
  }

  YAML::Node Child(const std::string& key) {
    known_.insert(key);
    if (!valid_ || !node_ || node_.IsNull()) return YAML::Node();
    return node_[key];
  }
  std::string Join(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  void Error(const YAML::Node& at, const std::string& msg) {
    YAML::Mark m = at.Mark();
    std::ostringstream o;
    o << source_ << ":" << (m.line + 1) << ":" << (m.column + 1) << ": " << msg;
    errors_.push_back(o.str());
  }

  void Str(const std::string& key, std::string& out,
           std::initializer_list<const char*> allowed = {}) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) return Error(n, Join(key) + " must be a string");
    std::string v = n.Scalar();
    if (allowed.size()) {
      bool ok = false;
      std::string list;
      for (const char* a : allowed) {
        ok |= v == a;
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      if (!ok) return Error(n, Join(key) + " must be one of " + list + ", not '" + v + "'");
    }
    out = v;
  }
  // A key whose other values are not implemented yet: only "value" is accepted, and any other
  // is an error naming the key and saying what works today ("today" explains that value).
  void OnlyImplemented(const std::string& key, const char* value, const std::string& today) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) return Error(n, Join(key) + " must be a string");
    if (n.Scalar() != value) {
      Error(n, Join(key) + " '" + n.Scalar() + "' is not implemented: only '" + value +
                   "' works today (" + today + "); remove the key or set it to " + value);
    }
  }
  void Bool(const std::string& key, bool& out) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    auto b = n.IsScalar() ? ParseBool(n.Scalar()) : std::nullopt;
    if (!b) return Error(n, Join(key) + " must be true or false");
    out = *b;
  }
  template <typename T>
  void Int(const std::string& key, T& out, int64_t min, int64_t max) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    std::string v = n.IsScalar() ? n.Scalar() : "";
    int64_t x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size() || x < min || x > max) {
      return Error(n, Join(key) + " must be an integer from " + std::to_string(min) + " to " +
                          std::to_string(max));
    }
    out = T(x);
  }
  void Duration(const std::string& key, int64_t& out, int64_t min_s) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    auto d = n.IsScalar() ? ParseDuration(n.Scalar()) : std::nullopt;
    if (!d || *d < min_s) {
      return Error(n, Join(key) + " must be a duration like 30s, 15m, 2h or 7d (at least " +
                          std::to_string(min_s) + "s)");
    }
    out = *d;
  }
  void StrList(const std::string& key, std::vector<std::string>& out) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsSequence()) return Error(n, Join(key) + " must be a list of strings");
    std::vector<std::string> v;
    for (const auto& e : n) {
      if (!e.IsScalar()) return Error(e, Join(key) + " entries must be strings");
      v.push_back(e.Scalar());
    }
    out = std::move(v);
  }
  void StrMap(const std::string& key, std::map<std::string, std::string>& out) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsMap()) return Error(n, Join(key) + " must be a mapping of NAME: value");
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node v = it->second;  // a copy: the iterator's proxy dangles
      if (!v.IsScalar()) return Error(v, Join(key) + " values must be strings");
      out[it->first.as<std::string>("")] = v.Scalar();
    }
  }
  void BoolMap(const std::string& key, std::map<std::string, bool>& out) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsMap()) return Error(n, Join(key) + " must be a mapping of name: true|false");
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node v = it->second;
      auto b = v.IsScalar() ? ParseBool(v.Scalar()) : std::nullopt;
      if (!b) return Error(v, Join(key) + " values must be true or false");
      out[it->first.as<std::string>("")] = *b;
    }
  }
  template <typename T>
  void IntList(const std::string& key, std::vector<T>& out, int64_t min, int64_t max) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    if (!n.IsSequence()) return Error(n, Join(key) + " must be a list of numbers");
    std::vector<T> v;
    for (const auto& e : n) {
      int64_t x = 0;
      const std::string& t = e.IsScalar() ? e.Scalar() : std::string();
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size() || x < min || x > max)
        return Error(e, Join(key) + " entries must be numbers from " + std::to_string(min) +
                            " to " + std::to_string(max));
      v.push_back(T(x));
    }
    out = std::move(v);
  }
  // A user-supplied regular expression: RE2 syntax, checked now so `up` never meets a bad one.
  void Pattern(const std::string& key, std::string& out) {
    std::string v = out;
    Str(key, v);
    if (auto st = CheckPattern(v); !st) {
      return Error(Child(key), Join(key) + " is not a valid RE2 pattern (" + st.error().message() +
                                   "; RE2 has no backreferences or lookaround)");
    }
    out = v;
  }
  void Sev(const std::string& key, Severity& out) {
    YAML::Node n = Child(key);
    if (!n || n.IsNull()) return;
    auto s = n.IsScalar() ? ParseSeverity(n.Scalar()) : std::nullopt;
    if (!s) return Error(n, Join(key) + " must be one of info, low, medium, high, critical");
    out = *s;
  }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::vector<std::string>& errors_;
  std::set<std::string> known_;
  bool valid_ = true;
};

// detectors: a mapping of detector name to a mapping of scalar settings. Which names and keys
// exist is the detectors' business (engine::ResolveDetectorConfig); the shape is checked here.
void ReadDetectorSections(const YAML::Node& node, const std::string& source,
                          std::vector<std::string>& errors, DetectorsConfig& out) {
  if (!node || node.IsNull()) return;
  auto error = [&](const YAML::Node& at, const std::string& msg) {
    YAML::Mark m = at.Mark();
    errors.push_back(source + ":" + std::to_string(m.line + 1) + ":" +
                     std::to_string(m.column + 1) + ": " + msg);
  };
  if (!node.IsMap()) return error(node, "detectors must be a mapping of detector name: settings");
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string name = it->first.as<std::string>("");
    // A copy: yaml-cpp's iterator hands out a proxy, and a reference into it dangles.
    const YAML::Node body = it->second;
    if (!body.IsMap()) {
      error(it->first, "detectors." + name +
                           " must be a mapping of settings (e.g. `enabled: false`); "
                           "`minerwatch detectors` lists the detectors and their settings");
      continue;
    }
    DetectorSection section;
    section.line = it->first.Mark().line + 1;
    section.column = it->first.Mark().column + 1;
    for (auto kv = body.begin(); kv != body.end(); ++kv) {
      std::string key = kv->first.as<std::string>("");
      if (!kv->second.IsScalar()) {
        error(kv->second, "detectors." + name + "." + key + " must be a single value");
        continue;
      }
      section.values[key] = DetectorValue{kv->second.Scalar(), kv->second.Mark().line + 1,
                                          kv->second.Mark().column + 1};
    }
    out.sections[name] = std::move(section);
  }
}

bool ValidUrl(const std::string& url, std::initializer_list<const char*> schemes) {
  for (const char* s : schemes) {
    std::string prefix = std::string(s) + "://";
    if (url.rfind(prefix, 0) == 0 && url.size() > prefix.size()) return true;
  }
  return false;
}

std::string MarkText(const std::string& source, const YAML::Mark& m) {
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// yaml-cpp keeps both entries of a key given twice and lookups see only the first, so the second
// would be silently ignored. The walk also records each key's line. Aliases share nodes, so a
// "billion laughs" document would be walked exponentially often: the walk has a node budget.
constexpr size_t kMaxWalkedNodes = 100000;  // a real config has a few hundred
constexpr int kMaxDepth = 32;               // and is four levels deep

void CheckKeys(const YAML::Node& root, const std::string& source, std::vector<std::string>& errors,
               std::map<std::string, int>& lines) {
  struct Item {
    YAML::Node node;
    std::string path;
    int depth;
  };
  std::vector<Item> stack{{root, "", 0}};
  size_t walked = 0;
  while (!stack.empty()) {
    Item item = std::move(stack.back());
    stack.pop_back();
    if (++walked > kMaxWalkedNodes) {
      errors.push_back(source + ": more than " + std::to_string(kMaxWalkedNodes) +
                       " YAML nodes (aliases expanding?); expected a config of a few hundred");
      return;
    }
    // An alias may name the node it is in ("&a [*a]"): a cycle, and paths that grow with it.
    if (item.depth > kMaxDepth) {
      errors.push_back(MarkText(source, item.node.Mark()) + ": nested deeper than " +
                       std::to_string(kMaxDepth) +
                       " levels (an alias of its own parent?); a config is a few levels deep");
      return;
    }
    const YAML::Node& node = item.node;
    const std::string& path = item.path;
    if (node.IsSequence()) {
      size_t i = 0;
      for (const auto& e : node) {
        std::string p = path + "[" + std::to_string(i++) + "]";
        lines.emplace(p, int(e.Mark().line + 1));
        stack.push_back({e, std::move(p), item.depth + 1});
      }
    } else if (node.IsMap()) {
      std::set<std::string> seen;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        const std::string& key = it->first.Scalar();
        std::string p = path.empty() ? key : path + "." + key;
        if (!seen.insert(key).second) {
          errors.push_back(MarkText(source, it->first.Mark()) + ": duplicate key '" + p +
                           "' (each key once per mapping; the first one would win unseen)");
          continue;
        }
        lines.emplace(p, int(it->first.Mark().line + 1));
        stack.push_back({it->second, std::move(p), item.depth + 1});
      }
    }
  }
}

// Counts documents for LoadOneDocument and remembers where each starts.
class DocumentMarks : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& m) override { marks.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  std::vector<YAML::Mark> marks;
};

// One document: YAML::Load silently drops a second one ("---" after the first). Counted with
// the parser, two documents at most: YAML::LoadAll never returns on some malformed input
// (yaml-cpp 0.7; the fuzzer found one).
Result<YAML::Node> LoadOneDocument(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Fail(Error::InvalidArgument(MarkText(source, e.mark) + ": " + e.msg));
  }
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentMarks docs;
  try {
    if (!parser.HandleNextDocument(docs) || !parser.HandleNextDocument(docs)) return root;
  } catch (const YAML::ParserException& e) {
    return Fail(
        Error::InvalidArgument(MarkText(source, e.mark) + ": after the first document: " + e.msg));
  }
  YAML::Mark second = docs.marks.size() > 1 ? docs.marks[1] : YAML::Mark();
  return Fail(Error::InvalidArgument(MarkText(source, second) +
                                     ": a second YAML document ('---'); the config is one " +
                                     "document, put every section in it"));
}

RE2::Options PatternOptions() {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_max_mem(1 << 20);  // a pattern needing more is refused, not slow
  return o;
}

bool PatternSearch(const std::string& pattern, const std::string& text) {
  RE2 re(pattern, PatternOptions());
  return re.ok() && RE2::PartialMatch(text, re);
}

}  // namespace

Status CheckPattern(const std::string& pattern) {
  RE2 re(pattern, PatternOptions());
  if (!re.ok()) return Fail(Error::InvalidArgument(re.error()));
  return Ok();
}

std::optional<bool> ParseBool(std::string_view s) {
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  int64_t mult = 1;
  char last = s.back();
  if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
    mult = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
    s.remove_suffix(1);
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  if (v > INT64_MAX / mult / 1000000) return std::nullopt;
  return v * mult;
}

Result<ServiceConfig> ParseConfig(const std::string& text, const std::string& source) {
  ServiceConfig c;
  c.source = source;
  std::vector<std::string> errors;
  auto loaded = LoadOneDocument(text, source);
  if (!loaded) return Fail(loaded.error());
  YAML::Node root = *loaded;
  try {
    CheckKeys(root, source, errors, c.key_lines);
    Section top(root, "", source, errors);
    {
      Section s(top.Child("server"), "server", source, errors);
      s.Str("listen", c.server.listen);
      s.Int("max_body_bytes", c.server.max_body_bytes, 1024, 64 << 20);
      s.Int("threads", c.server.threads, 1, 256);
      s.Bool("metrics_public", c.server.metrics_public);
      s.Int("read_timeout_s", c.server.read_timeout_s, 1, 3600);
      s.Int("idle_timeout_s", c.server.idle_timeout_s, 1, 3600);
      s.Int("max_connections", c.server.max_connections, 64, 65536);  // > the loopback reserve
      s.Int("max_connections_per_ip", c.server.max_connections_per_ip, 1, 65536);
      auto colon = c.server.listen.rfind(':');
      int port = 0;
      if (colon == std::string::npos ||
          std::from_chars(c.server.listen.data() + colon + 1,
                          c.server.listen.data() + c.server.listen.size(), port)
                  .ec != std::errc() ||
          port < 0 || port > 65535) {
        s.Error(s.Child("listen"), "server.listen must be host:port, e.g. 127.0.0.1:8080");
      }
    }
    {
      Section s(top.Child("store"), "store", source, errors);
      s.Str("path", c.store.path);
      s.Str("synchronous", c.store.synchronous, {"full", "normal"});
      s.Duration("auto_resolve_after", c.store.auto_resolve_after_s, 0);
      s.Duration("resolved_retention", c.store.resolved_retention_s, 3600);
      s.Int("max_findings", c.store.max_findings, 1000, int64_t(1) << 40);
      s.Int("evidence_samples", c.store.evidence_samples, 0, 1000);
    }
    {
      Section s(top.Child("sensor"), "sensor", source, errors);
      s.Bool("enabled", c.sensor.enabled);
      s.StrList("interfaces", c.sensor.interfaces);
      s.Str("bpf", c.sensor.bpf);
      s.Duration("flush_interval", c.sensor.flush_interval_s, 1);
      s.Str("intel_dir", c.sensor.intel_dir);
      s.StrList("intel_files", c.sensor.intel_files);
      s.Int("workers", c.sensor.workers, 1, 64);  // LiveOptions::kMaxWorkers
    }
    {
      Section s(top.Child("flow"), "flow", source, errors);
      s.Int("memcap", c.flow.memcap, int64_t(1) << 20, int64_t(1) << 40);
    }
    {
      Section s(top.Child("hostscan"), "hostscan", source, errors);
      s.Bool("enabled", c.hostscan.enabled);
      s.Duration("interval", c.hostscan.interval_s, 10);
      s.Str("state_dir", c.hostscan.state_dir);
      s.Bool("builtin_rules", c.hostscan.builtin_rules);
      s.StrList("yara_files", c.hostscan.yara_files);
      s.Int("read_rate_mb", c.hostscan.read_rate_mb, 0, 1 << 20);
      s.Int("max_process_mb", c.hostscan.max_process_mb, 1, 1 << 20);
    }
    { ReadDetectorSections(top.Child("detectors"), source, errors, c.detectors); }
    {
      Section s(top.Child("rules"), "rules", source, errors);
      s.StrList("files", c.rules.files);
      s.StrMap("vars", c.rules.vars);
      s.IntList("disabled", c.rules.disabled, 1, UINT32_MAX);
      s.BoolMap("packs", c.rules.packs);
      s.Bool("simulate_ips", c.rules.simulate_ips);
    }
    {
      // Blocking and automatic remediation are not implemented yet (the enforcement issue): the
      // keys stay so that configs naming the default still load, and nothing else is accepted.
      Section s(top.Child("threat_engine"), "threat_engine", source, errors);
      s.OnlyImplemented("mode", "detect", "findings are reported, no connection is blocked");
    }
    {
      Section s(top.Child("remediation"), "remediation", source, errors);
      s.OnlyImplemented("policy", "manual",
                        "nothing is stopped automatically; `minerwatch host remediate FINDING_ID "
                        "--apply` acts on one finding");
    }
    {
      Section s(top.Child("notify"), "notify", source, errors);
      s.Pattern("personal_address_pattern", c.notify.personal_address_pattern);
      s.Pattern("group_address_pattern", c.notify.group_address_pattern);
      s.Int("queue_capacity", c.notify.queue_capacity, 100, 10'000'000);
      s.Duration("window", c.notify.window_s, 1);
      s.Int("max_per_window", c.notify.max_per_window, 1, 10000);
      s.Duration("webhook_timeout", c.notify.webhook_timeout_s, 1);
      s.Int("webhook_retries", c.notify.webhook_retries, 0, 20);
      {
        Section m(s.Child("smtp"), "notify.smtp", source, errors);
        m.Str("url", c.notify.smtp.url);
        m.Str("from", c.notify.smtp.from);
        m.Str("starttls", c.notify.smtp.starttls, {"off", "try", "require"});
        m.Str("username", c.notify.smtp.username);
        m.Str("password_file", c.notify.smtp.password_file);
        m.Duration("timeout", c.notify.smtp.timeout_s, 1);
        if (!c.notify.smtp.url.empty() && !ValidUrl(c.notify.smtp.url, {"smtp", "smtps"})) {
          m.Error(m.Child("url"), "notify.smtp.url must start with smtp:// or smtps://");
        }
      }
      YAML::Node contacts = s.Child("contacts");
      if (contacts && !contacts.IsNull()) {
        if (!contacts.IsSequence()) {
          s.Error(contacts, "notify.contacts must be a list");
        } else {
          size_t i = 0;
          for (const auto& cn : contacts) {
            ContactConfig cc;
            cc.line = int(cn.Mark().line + 1);
            std::string path = "notify.contacts[" + std::to_string(i++) + "]";
            Section k(cn, path, source, errors);
            k.Str("name", cc.name);
            k.Str("email", cc.email);
            k.Str("webhook_url", cc.webhook_url);
            k.Str("webhook_secret_file", cc.webhook_secret_file);
            k.Sev("min_severity", cc.min_severity);
            k.StrList("categories", cc.categories);
            if (cc.name.empty()) k.Error(cn, path + " needs a name");
            if (cc.email.empty() && cc.webhook_url.empty())
              k.Error(cn, path + " needs an email or a webhook_url");
            if (!cc.email.empty() && cc.email.find('@') == std::string::npos) {
              k.Error(k.Child("email"), path + ".email is not an e-mail address");
            }
            if (!cc.webhook_url.empty() && !ValidUrl(cc.webhook_url, {"http", "https"})) {
              k.Error(k.Child("webhook_url"), path + ".webhook_url must be http:// or https://");
            }
            c.notify.contacts.push_back(std::move(cc));
          }
        }
      }
      // The notifier refuses to start like this; say it here so `config check` does too.
      for (const auto& cc : c.notify.contacts) {
        if (cc.email.empty() || !c.notify.smtp.url.empty()) continue;
        s.Error(contacts, "notify.contacts have e-mail addresses but notify.smtp.url is not set");
        break;
      }
    }
    {
      Section s(top.Child("export"), "export", source, errors);
      s.Str("jsonl_path", c.exports.jsonl_path);
      s.Str("eve_path", c.exports.eve_path);
      s.Int("jsonl_max_bytes", c.exports.jsonl_max_bytes, 4096, int64_t(1) << 40);
      s.Int("jsonl_keep", c.exports.jsonl_keep, 1, 1000);
      s.Str("syslog_address", c.exports.syslog_address);
      s.Str("syslog_format", c.exports.syslog_format, {"rfc5424", "cef", "ocsf"});
      s.Str("syslog_framing", c.exports.syslog_framing, {"octet-counting", "newline"});
      s.Int("syslog_facility", c.exports.syslog_facility, 0, 23);
      s.Str("ocsf_path", c.exports.ocsf_path);
      if (!c.exports.syslog_address.empty() &&
          !ValidUrl(c.exports.syslog_address, {"udp", "tcp"})) {
        s.Error(s.Child("syslog_address"),
                "export.syslog_address must be udp://host:port or tcp://host:port");
      }
    }
  } catch (const YAML::Exception& e) {
    errors.push_back(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Fail(Error::InvalidArgument(all));
  }
  return c;
}

AddressKind ClassifyContactAddress(const NotifyConfig& n, const std::string& email) {
  // ParseConfig checked both patterns; one that does not compile (a hand-built config) matches
  // nothing.
  if (PatternSearch(n.group_address_pattern, email)) return AddressKind::kGroup;
  if (PatternSearch(n.personal_address_pattern, email)) return AddressKind::kPersonal;
  return AddressKind::kUnrecognized;
}

Result<std::string> ReadRegularFile(const std::string& path, uint64_t max_bytes,
                                    std::string_view what) {
  std::string w(what);
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Fail(Error::IoError(w + " " + path + ": " + std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    bool dir = S_ISDIR(st.st_mode);
    ::close(fd);
    return Fail(Error::InvalidArgument(w + " " + path + ": " +
                                       (dir ? "is a directory" : "is not a regular file") +
                                       ", expected a regular file"));
  }
  auto too_big = [&] {
    return Fail(Error::InvalidArgument(w + " " + path + ": larger than " +
                                       std::to_string(max_bytes) + " bytes"));
  };
  if (uint64_t(st.st_size) > max_bytes) {
    ::close(fd);
    return too_big();
  }
  std::string data(size_t(st.st_size) + 1, '\0');
  size_t off = 0;
  for (;;) {
    if (off == data.size()) {
      if (data.size() > max_bytes) break;
      data.resize(std::min<uint64_t>(max_bytes + 1, data.size() * 2 + 4096));
    }
    ssize_t n = ::read(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Fail(Error::IoError(w + " " + path + ": " + std::strerror(err)));
    }
    if (n == 0) break;
    off += size_t(n);
  }
  ::close(fd);
  if (off > max_bytes) return too_big();
  data.resize(off);
  return data;
}

Result<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  auto v = ReadRegularFile(path, 4096, what);
  if (!v) return Fail(v.error());
  while (!v->empty() && (v->back() == '\n' || v->back() == '\r' || v->back() == ' ')) v->pop_back();
  if (v->empty()) return Fail(Error::InvalidArgument(std::string(what) + " " + path + " is empty"));
  return v;
}

std::string KeyLocation(const ServiceConfig& c, const std::string& key) {
  auto it = c.key_lines.find(key);
  if (it == c.key_lines.end()) return c.source + ": " + key;
  return c.source + ":" + std::to_string(it->second) + ": " + key;
}

Result<ServiceConfig> LoadConfig(const std::string& path) {
  auto text = ReadRegularFile(path, kMaxConfigBytes, "config file");
  if (!text) return Fail(text.error());
  return ParseConfig(*text, path);
}

namespace {
// As written: only the sections the file has (the engine knows the defaults).
nlohmann::json DetectorsJson(const DetectorsConfig& d) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, section] : d.sections) {
    nlohmann::json& s = j[name] = nlohmann::json::object();
    for (const auto& [key, value] : section.values) s[key] = value.text;
  }
  return j;
}
}  // namespace

nlohmann::json ToJson(const ServiceConfig& c) {
  nlohmann::json contacts = nlohmann::json::array();
  for (const auto& k : c.notify.contacts) {
    contacts.push_back({{"name", k.name},
                        {"email", k.email},
                        {"webhook_url", k.webhook_url},
                        {"webhook_secret_file", k.webhook_secret_file},
                        {"min_severity", SeverityName(k.min_severity)},
                        {"categories", k.categories}});
  }
  return {
      {"server",
       {{"listen", c.server.listen},
        {"max_body_bytes", c.server.max_body_bytes},
        {"threads", c.server.threads},
        {"metrics_public", c.server.metrics_public},
        {"read_timeout_s", c.server.read_timeout_s},
        {"idle_timeout_s", c.server.idle_timeout_s},
        {"max_connections", c.server.max_connections},
        {"max_connections_per_ip", c.server.max_connections_per_ip}}},
      {"store",
       {{"path", c.store.path},
        {"synchronous", c.store.synchronous},
        {"auto_resolve_after_s", c.store.auto_resolve_after_s},
        {"resolved_retention_s", c.store.resolved_retention_s},
        {"max_findings", c.store.max_findings},
        {"evidence_samples", c.store.evidence_samples}}},
      {"sensor",
       {{"enabled", c.sensor.enabled},
        {"interfaces", c.sensor.interfaces},
        {"bpf", c.sensor.bpf},
        {"flush_interval_s", c.sensor.flush_interval_s},
        {"intel_dir", c.sensor.intel_dir},
        {"intel_files", c.sensor.intel_files},
        {"workers", c.sensor.workers}}},
      {"flow", {{"memcap", c.flow.memcap}}},
      {"hostscan",
       {{"enabled", c.hostscan.enabled},
        {"interval_s", c.hostscan.interval_s},
        {"state_dir", c.hostscan.state_dir},
        {"builtin_rules", c.hostscan.builtin_rules},
        {"yara_files", c.hostscan.yara_files},
        {"read_rate_mb", c.hostscan.read_rate_mb},
        {"max_process_mb", c.hostscan.max_process_mb}}},
      {"detectors", DetectorsJson(c.detectors)},
      {"notify",
       {{"personal_address_pattern", c.notify.personal_address_pattern},
        {"group_address_pattern", c.notify.group_address_pattern},
        {"queue_capacity", c.notify.queue_capacity},
        {"webhook_timeout_s", c.notify.webhook_timeout_s},
        {"webhook_retries", c.notify.webhook_retries},
        {"window_s", c.notify.window_s},
        {"max_per_window", c.notify.max_per_window},
        {"smtp",
         {{"url", c.notify.smtp.url},
          {"from", c.notify.smtp.from},
          {"starttls", c.notify.smtp.starttls},
          {"username", c.notify.smtp.username},
          {"password_file", c.notify.smtp.password_file}}},
        {"contacts", contacts}}},
      {"rules",
       {{"files", c.rules.files},
        {"vars", c.rules.vars},
        {"disabled", c.rules.disabled},
        {"packs", c.rules.packs},
        {"simulate_ips", c.rules.simulate_ips}}},
      {"export",
       {{"jsonl_path", c.exports.jsonl_path},
        {"eve_path", c.exports.eve_path},
        {"jsonl_max_bytes", c.exports.jsonl_max_bytes},
        {"jsonl_keep", c.exports.jsonl_keep},
        {"syslog_address", c.exports.syslog_address},
        {"syslog_format", c.exports.syslog_format},
        {"syslog_framing", c.exports.syslog_framing},
        {"syslog_facility", c.exports.syslog_facility},
        {"ocsf_path", c.exports.ocsf_path}}},
  };
}

}  // namespace mw::config
