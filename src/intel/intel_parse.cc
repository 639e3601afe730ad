// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/intel_parse.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <utility>

namespace mw::intel {
namespace {

using nlohmann::json;

constexpr size_t kMaxNote = 200;
constexpr int kMaxJsonDepth = 64;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Calls fn(line) for each line, '\r' stripped; "line_no" (if given) holds its 1-based number.
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn, size_t* line_no = nullptr) {
  size_t n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no) *line_no = ++n;
    fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string_view FirstToken(std::string_view line, std::string_view separators) {
  size_t end = line.find_first_of(separators);
  return line.substr(0, end);
}

std::vector<std::string_view> SplitWhitespace(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Drops a trailing " # comment" (hosts files and plain lists put notes there).
std::string_view StripInlineComment(std::string_view line) {
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '#' && IsSpace(line[i - 1])) return TrimToken(line.substr(0, i));
  }
  return line;
}

std::string CleanNote(std::string_view note) {
  note = TrimToken(note);
  std::string out(note.substr(0, kMaxNote));
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

class Collector {
 public:
  Collector(const ParseOptions& options, ParsedIntel* out) : options_(options), out_(out) {}

  // Classifies "token" and records it (or counts why not).
  void Add(std::string_view token, ListKind list, std::string_view note = {},
           bool subdomains = false, std::string_view category = {},
           std::optional<int> score = std::nullopt) {
    Token t = ClassifyToken(token, subdomains || options_.subdomains);
    switch (t.kind) {
      case TokenKind::kInvalid:
        ++out_->stats.invalid;
        return Reject(t.reject, token);
      case TokenKind::kNonNetwork:
      case TokenKind::kSinkhole:
        ++out_->stats.skipped;
        return;
      default:
        break;
    }
    if (!options_.allow_broad) {
      if (RejectReason why = BroadReason(t); why != RejectReason::kNone) {
        ++out_->stats.broad;
        return Reject(why, token);
      }
    }
    if (options_.list == ListKind::kAllow) list = ListKind::kAllow;
    std::string key;
    key.reserve(t.pattern.size() + 1);
    key.push_back(list == ListKind::kAllow ? 'a' : 'b');
    key += t.pattern;
    if (!seen_.insert(std::move(key)).second) {
      ++out_->stats.skipped;
      return;
    }
    switch (t.kind) {
      case TokenKind::kIp:
        ++out_->stats.ips;
        break;
      case TokenKind::kCidr:
        ++out_->stats.cidrs;
        break;
      default:
        ++out_->stats.domains;
        break;
    }
    out_->indicators.push_back(Indicator{.kind = t.kind,
                                         .list = list,
                                         .pattern = std::move(t.pattern),
                                         .category = std::string(category),
                                         .note = CleanNote(note),
                                         .score = score});
  }
  void Skip() { ++out_->stats.skipped; }
  void Invalid(RejectReason why = RejectReason::kNotIndicator, std::string_view text = {}) {
    ++out_->stats.invalid;
    Reject(why, text);
  }
  ListKind list() const { return options_.list; }
  // Where the parser is, for the examples of rejected entries.
  size_t* line() { return &line_; }

 private:
  void Reject(RejectReason why, std::string_view text) {
    auto& stats = out_->stats;
    if (why == RejectReason::kNone) why = RejectReason::kNotIndicator;
    if (stats.rejected[size_t(why)]++ >= ImportStats::kMaxRejectExamples) return;
    std::string shown(TrimToken(text).substr(0, 80));
    for (char& ch : shown) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
    }
    stats.examples.push_back({why, line_, std::move(shown)});
  }

  const ParseOptions& options_;
  ParsedIntel* out_;
  std::unordered_set<std::string> seen_;
  size_t line_ = 0;
};

bool IsCommentLine(std::string_view line) {
  return line.starts_with('#') || line.starts_with('!') || line.starts_with(';') ||
         line.starts_with("//");
}

// ---- plain ---------------------------------------------------------------------------------

void ParsePlain(std::string_view text, Collector& c) {
  ForEachLine(
      text,
      [&](std::string_view line) {
        line = StripInlineComment(TrimToken(line));
        if (line.empty() || IsCommentLine(line)) return c.Skip();
        c.Add(FirstToken(line, " \t;,"), c.list());
      },
      c.line());
}

// ---- hosts ---------------------------------------------------------------------------------

bool IsHostsBoilerplate(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "localhost",     "localhost.localdomain", "local",        "broadcasthost",
      "ip6-localhost", "ip6-loopback",          "ip6-localnet", "ip6-mcastprefix",
      "ip6-allnodes",  "ip6-allrouters",        "ip6-allhosts", "0.0.0.0"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

void ParseHosts(std::string_view text, Collector& c) {
  ForEachLine(
      text,
      [&](std::string_view line) {
        line = StripInlineComment(TrimToken(line));
        if (line.empty() || IsCommentLine(line)) return c.Skip();
        auto tokens = SplitWhitespace(line);
        if (tokens.size() == 1) return c.Add(tokens[0], c.list());  // mixed-in bare names
        // The address is where the blocking resolver points the name (a sinkhole): not an
        // indicator, even when it is not 0.0.0.0.
        if (!IpAddress::Parse(tokens[0])) return c.Invalid(RejectReason::kBadAddress, line);
        for (size_t i = 1; i < tokens.size(); ++i) {
          if (IsHostsBoilerplate(tokens[i])) {
            c.Skip();
          } else if (IpAddress::Parse(tokens[i])) {
            c.Invalid(RejectReason::kBadHostName, tokens[i]);
          } else {
            c.Add(tokens[i], c.list());
          }
        }
      },
      c.line());
}

// ---- adblock -------------------------------------------------------------------------------

void ParseAdblockLine(std::string_view line, Collector& c) {
  line = TrimToken(line);
  if (line.empty() || line.starts_with('!') || line.starts_with('[')) return c.Skip();
  // Cosmetic and scriptlet rules hide page elements; they name no network indicator.
  for (std::string_view marker : {"##", "#@#", "#?#", "#$#", "#%#"}) {
    if (line.find(marker) != std::string_view::npos) return c.Skip();
  }
  if (line.starts_with('#')) return c.Skip();
  ListKind list = c.list();
  if (line.starts_with("@@")) {
    list = ListKind::kAllow;
    line.remove_prefix(2);
  }
  std::string_view options;
  if (auto dollar = line.find('$'); dollar != std::string_view::npos) {
    options = line.substr(dollar + 1);
    line = line.substr(0, dollar);
  }
  if (options.find("badfilter") != std::string_view::npos) return c.Skip();
  if (line.starts_with("||")) {
    std::string_view body = line.substr(2);
    size_t end = body.find_first_of("^/|?*:");
    std::string_view host = body.substr(0, end);
    std::string_view tail = end == std::string_view::npos ? std::string_view() : body.substr(end);
    // "||host^" and "||host^|" block the whole host; "||host/path" blocks a path on a host
    // that may well be a CDN, so it is not a host indicator.
    if (!tail.empty() && tail != "^" && tail != "^|" && tail != "/" && tail != "^*") {
      return c.Skip();
    }
    if (host.empty()) return c.Skip();
    return c.Add(host, list, {}, /*subdomains=*/true);
  }
  if (line.starts_with('|')) {
    std::string_view url = line.substr(1);
    if (url.ends_with('|')) url.remove_suffix(1);
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return c.Skip();
    std::string_view after = url.substr(scheme + 3);
    size_t slash = after.find_first_of("/^");
    if (slash != std::string_view::npos && slash + 1 < after.size()) return c.Skip();
    return c.Add(after.substr(0, slash), list);
  }
  // uBlock treats a bare host name as "||host^"; anything else is a URL-substring rule.
  if (line.find_first_of("/^*|=?&") != std::string_view::npos) return c.Skip();
  Token t = ClassifyToken(line, true);
  if (t.kind == TokenKind::kInvalid) return c.Skip();
  c.Add(line, list, {}, /*subdomains=*/true);
}

void ParseAdblock(std::string_view text, Collector& c) {
  ForEachLine(
      text, [&](std::string_view line) { ParseAdblockLine(line, c); }, c.line());
}

// ---- CSV -----------------------------------------------------------------------------------

using Row = std::vector<std::string>;

// RFC 4180: quoted fields, "" escapes, newlines inside quotes. Lines starting with '#' outside
// quotes are comments. "row_lines" gets the 1-based line each row starts on.
std::vector<Row> ParseCsvRows(std::string_view text, std::vector<size_t>* row_lines) {
  std::vector<Row> rows;
  Row row;
  std::string cell;
  bool in_quotes = false;
  bool at_line_start = true;
  size_t line = 1, row_line = 1;
  auto end_row = [&] {
    if (!(row.size() == 1 && row[0].empty())) {
      rows.push_back(std::move(row));
      row_lines->push_back(row_line);
    }
    row.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '\n') ++line;
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        cell.push_back(ch);
      }
      continue;
    }
    if (at_line_start && ch == '#') {
      size_t nl = text.find('\n', i);
      if (nl == std::string_view::npos) break;
      i = nl;
      ++line;
      row_line = line;
      continue;
    }
    if (at_line_start) row_line = line - (ch == '\n');
    at_line_start = false;
    if (ch == '"' && TrimToken(cell).empty()) {
      cell.clear();
      in_quotes = true;
    } else if (ch == ',') {
      row.emplace_back(TrimToken(cell));
      cell.clear();
    } else if (ch == '\n') {
      row.emplace_back(TrimToken(cell));
      cell.clear();
      end_row();
      at_line_start = true;
    } else {
      cell.push_back(ch);
    }
  }
  if (!cell.empty() || !row.empty()) {
    row.emplace_back(TrimToken(cell));
    end_row();
  }
  return rows;
}

std::string HeaderKey(std::string_view cell) {
  std::string key = Lower(TrimToken(cell));
  for (char& ch : key) {
    if (ch == ' ' || ch == '-') ch = '_';
  }
  return key;
}

int FindColumn(const Row& header, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (HeaderKey(header[i]) == name) return static_cast<int>(i);
    }
  }
  return -1;
}

// Does an "Indicator_type" cell name a network indicator? Word match, so "Description" (which
// contains "ip") is not one.
bool IsNetworkType(std::string_view type) {
  std::string t = Lower(type);
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9'))) ++i;
    size_t start = i;
    while (i < t.size() && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9'))) ++i;
    std::string_view word = std::string_view(t).substr(start, i - start);
    for (std::string_view w : {"domain", "hostname", "host", "ip", "ipv4", "ipv6", "url", "uri",
                               "fqdn", "dst", "src", "address", "addr"}) {
      if (word == w) return true;
    }
  }
  return false;
}

bool IsNetwork(TokenKind k) {
  return k == TokenKind::kDomain || k == TokenKind::kDomainSuffix || k == TokenKind::kIp ||
         k == TokenKind::kCidr;
}

void ParseCsv(std::string_view text, Collector& c) {
  std::vector<size_t> row_lines;
  std::vector<Row> rows = ParseCsvRows(text, &row_lines);
  if (rows.empty()) return;
  int value_col = -1, type_col = -1, note_col = -1;
  size_t first_data = 0;
  const Row& head = rows[0];
  bool head_has_indicator = std::any_of(head.begin(), head.end(), [](const std::string& cell) {
    return IsNetwork(ClassifyToken(cell).kind);
  });
  if (!head_has_indicator) {
    value_col = FindColumn(
        head, {"indicator", "ioc", "value", "data", "domain", "hostname", "host", "fqdn", "address",
               "ip", "ip_address", "ipaddress", "url", "uri", "pool", "server", "dst"});
    if (value_col >= 0) {
      first_data = 1;
      type_col = FindColumn(head, {"indicator_type", "ioc_type", "type", "kind"});
      note_col = FindColumn(head, {"note", "notes", "comment", "comments", "description"});
      c.Skip();  // the header
    }
  }
  if (value_col < 0) {
    // No header naming the column: take the column holding the most network indicators
    // (ties: the one with most hashes/wallets, so hash lists count as skipped, not invalid).
    size_t width = 0;
    for (const Row& r : rows) width = std::max(width, r.size());
    std::vector<std::pair<int, int>> score(width, {0, 0});
    size_t sample = std::min<size_t>(rows.size(), 500);
    for (size_t r = 0; r < sample; ++r) {
      for (size_t col = 0; col < rows[r].size(); ++col) {
        TokenKind k = ClassifyToken(rows[r][col]).kind;
        if (IsNetwork(k)) ++score[col].first;
        if (k == TokenKind::kNonNetwork) ++score[col].second;
      }
    }
    value_col = 0;
    for (size_t col = 1; col < width; ++col) {
      if (score[col] > score[static_cast<size_t>(value_col)]) value_col = static_cast<int>(col);
    }
  }
  for (size_t r = first_data; r < rows.size(); ++r) {
    const Row& row = rows[r];
    *c.line() = row_lines[r];
    if (static_cast<size_t>(value_col) >= row.size() || row[value_col].empty()) {
      c.Invalid(RejectReason::kNotIndicator, row.empty() ? std::string_view() : row[0]);
      continue;
    }
    if (type_col >= 0 && static_cast<size_t>(type_col) < row.size() &&
        !IsNetworkType(row[type_col])) {
      c.Skip();  // a hash, a file name, a description row...
      continue;
    }
    std::string_view note;
    if (note_col >= 0 && static_cast<size_t>(note_col) < row.size()) note = row[note_col];
    c.Add(row[value_col], c.list(), note);
  }
}

// ---- JSON: STIX 2, MISP, generic ---------------------------------------------------------

std::string JsonString(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// Pulls every "<type>:value = '...'" comparison out of a STIX pattern.
void ParseStixPattern(std::string_view pattern, std::string_view note, Collector& c) {
  bool any = false;
  for (std::string_view key : {"domain-name:value", "ipv4-addr:value", "ipv6-addr:value",
                               "url:value", "x-hostname:value"}) {
    size_t pos = 0;
    while ((pos = pattern.find(key, pos)) != std::string_view::npos) {
      pos += key.size();
      size_t i = pos;
      while (i < pattern.size() && IsSpace(pattern[i])) ++i;
      if (i >= pattern.size() || pattern[i] != '=') continue;
      ++i;
      while (i < pattern.size() && IsSpace(pattern[i])) ++i;
      if (i >= pattern.size() || pattern[i] != '\'') continue;
      std::string value;
      for (++i; i < pattern.size() && pattern[i] != '\''; ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) ++i;
        value.push_back(pattern[i]);
      }
      any = true;
      c.Add(value, c.list(), note);
    }
  }
  if (!any) c.Skip();  // file hashes, processes...: not network indicators
}

void ParseStixObject(const json& obj, Collector& c) {
  std::string type = JsonString(obj, "type");
  if (type == "indicator") {
    std::string note = JsonString(obj, "name");
    if (note.empty()) note = JsonString(obj, "description");
    ParseStixPattern(JsonString(obj, "pattern"), note, c);
  } else if (type == "domain-name" || type == "ipv4-addr" || type == "ipv6-addr" || type == "url") {
    c.Add(JsonString(obj, "value"), c.list());
  }
}

void ParseStix(const json& root, Collector& c) {
  if (root.is_object() && root.contains("objects") && root["objects"].is_array()) {
    for (const json& obj : root["objects"]) ParseStixObject(obj, c);
  } else if (root.is_array()) {
    for (const json& obj : root) ParseStixObject(obj, c);
  } else {
    ParseStixObject(root, c);
  }
}

void ParseMispAttribute(const json& attr, Collector& c) {
  std::string type = JsonString(attr, "type");
  std::string value = JsonString(attr, "value");
  std::string note = JsonString(attr, "comment");
  if (type == "domain" || type == "hostname" || type == "ip-dst" || type == "ip-src" ||
      type == "url") {
    c.Add(value, c.list(), note);
  } else if (type == "domain|ip" || type == "hostname|port" || type == "ip-dst|port" ||
             type == "ip-src|port") {
    std::string_view v = value;
    size_t bar = v.find('|');
    c.Add(v.substr(0, bar), c.list(), note);
    if (type == "domain|ip" && bar != std::string_view::npos) {
      c.Add(v.substr(bar + 1), c.list(), note);
    }
  } else {
    c.Skip();  // hashes, file names, wallets, reference links ("link")...
  }
}

void ParseMispEvent(const json& event, Collector& c) {
  const json& ev = event.is_object() && event.contains("Event") ? event["Event"] : event;
  if (!ev.is_object()) return;
  if (auto it = ev.find("Attribute"); it != ev.end() && it->is_array()) {
    for (const json& a : *it) ParseMispAttribute(a, c);
  }
  if (auto it = ev.find("Object"); it != ev.end() && it->is_array()) {
    for (const json& o : *it) {
      if (!o.is_object()) continue;
      if (auto at = o.find("Attribute"); at != o.end() && at->is_array()) {
        for (const json& a : *at) ParseMispAttribute(a, c);
      }
    }
  }
}

void ParseMisp(const json& root, Collector& c) {
  if (root.is_object() && root.contains("response") && root["response"].is_array()) {
    for (const json& e : root["response"]) ParseMispEvent(e, c);
  } else if (root.is_array()) {
    for (const json& e : root) ParseMispEvent(e, c);
  } else if (root.is_object() && root.contains("Attribute") && !root.contains("Event")) {
    // A bare attribute list export: {"Attribute": [...]}.
    ParseMispEvent(root, c);
  } else {
    ParseMispEvent(root, c);
  }
}

// Any JSON: string values under keys that name an indicator. Iterative, depth-capped.
void ParseGenericJson(const json& root, Collector& c) {
  std::vector<std::pair<const json*, int>> stack{{&root, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxJsonDepth) continue;
    if (node->is_array()) {
      for (const json& child : *node) stack.push_back({&child, depth + 1});
    } else if (node->is_object()) {
      for (auto it = node->begin(); it != node->end(); ++it) {
        if (it->is_string()) {
          std::string key = HeaderKey(it.key());
          for (std::string_view k : {"ip", "ip_address", "ipv4", "ipv6", "domain", "hostname",
                                     "host", "fqdn", "url", "indicator", "ioc"}) {
            if (key == k) {
              const std::string& v = it->get_ref<const std::string&>();
              if (TrimToken(v).empty()) {
                c.Skip();  // {"domain": ""}: no value, nothing wrong
              } else {
                c.Add(v, c.list());
              }
              break;
            }
          }
        } else if (it->is_structured()) {
          stack.push_back({&*it, depth + 1});
        }
      }
    }
  }
}

// ---- minerwatch TSV ------------------------------------------------------------------------

void ParseTsv(std::string_view text, Collector& c) {
  ForEachLine(
      text,
      [&](std::string_view line) {
        if (TrimToken(line).empty() || TrimToken(line).starts_with('#')) return c.Skip();
        std::array<std::string_view, 4> f{};
        size_t n = 0;
        while (n < f.size()) {
          size_t tab = line.find('\t');
          f[n++] = TrimToken(line.substr(0, tab));
          if (tab == std::string_view::npos) break;
          line.remove_prefix(tab + 1);
        }
        std::optional<int> score;
        if (n == 4 && !f[3].empty()) {
          int v = 0;
          auto [p, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), v);
          if (ec != std::errc() || p != f[3].data() + f[3].size() || v < 0 || v > 100) {
            return c.Invalid(RejectReason::kNotIndicator, f[3]);
          }
          score = v;
        }
        c.Add(f[0], c.list(), f[2], false, f[1], score);
      },
      c.line());
}

std::string_view SkipBomAndSpace(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  return text;
}

}  // namespace

Format DetectFormat(std::string_view text) {
  text = SkipBomAndSpace(text);
  if (text.starts_with("# minerwatch-intel")) return Format::kTsv;
  if (text.starts_with('[')) {
    // "[Adblock Plus 2.0]" / "[uBlock Origin]" headers vs a JSON array.
    std::string_view rest = SkipBomAndSpace(text.substr(1));
    if (!rest.empty() &&
        ((rest[0] >= 'A' && rest[0] <= 'Z') || (rest[0] >= 'a' && rest[0] <= 'z'))) {
      return Format::kAdblock;
    }
  }
  if (text.starts_with('{') || text.starts_with('[')) {
    std::string_view head = text.substr(0, 1 << 16);
    if (head.find("\"Attribute\"") != std::string_view::npos ||
        head.find("\"Event\"") != std::string_view::npos) {
      return Format::kMisp;
    }
    if (head.find("\"pattern\"") != std::string_view::npos ||
        head.find("\"bundle\"") != std::string_view::npos ||
        head.find("\"spec_version\"") != std::string_view::npos) {
      return Format::kStix;
    }
    return Format::kJson;
  }
  size_t lines = 0, adblock = 0, bang = 0, hosts = 0, commas = 0;
  ForEachLine(text.substr(0, 1 << 16), [&](std::string_view line) {
    line = TrimToken(line);
    if (line.empty()) return;
    if (line.starts_with('!')) {
      ++bang;
      return;
    }
    if (line.starts_with('#') && line.find("##") == std::string_view::npos) return;
    ++lines;
    if (line.starts_with("||") || line.starts_with("@@") ||
        line.find("##") != std::string_view::npos) {
      ++adblock;
    }
    auto tokens = SplitWhitespace(StripInlineComment(line));
    if (tokens.size() >= 2 && IpAddress::Parse(tokens[0]) && !IpAddress::Parse(tokens[1])) {
      ++hosts;
    }
    if (line.find(',') != std::string_view::npos) ++commas;
  });
  if (lines == 0) return bang > 0 ? Format::kAdblock : Format::kPlain;
  if (adblock * 4 >= lines || (bang > 0 && adblock > 0)) return Format::kAdblock;
  if (hosts * 2 >= lines) return Format::kHosts;
  if (commas * 2 >= lines) return Format::kCsv;
  // uBlock lists of bare host names under "!" comment headers.
  if (bang >= 2) return Format::kAdblock;
  return Format::kPlain;
}

Result<ParsedIntel> ParseIntel(std::string_view text, const ParseOptions& options) {
  if (text.substr(0, 4096).find('\0') != std::string_view::npos) {
    return Fail(Error::InvalidArgument("binary content, not an intel list"));
  }
  ParsedIntel out;
  Format format = options.format == Format::kAuto ? DetectFormat(text) : options.format;
  out.stats.format = format;
  Collector c(options, &out);
  switch (format) {
    case Format::kAuto:
    case Format::kPlain:
      ParsePlain(text, c);
      break;
    case Format::kHosts:
      ParseHosts(text, c);
      break;
    case Format::kAdblock:
      ParseAdblock(text, c);
      break;
    case Format::kCsv:
      ParseCsv(text, c);
      break;
    case Format::kTsv:
      ParseTsv(text, c);
      break;
    case Format::kStix:
    case Format::kMisp:
    case Format::kJson: {
      json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (root.is_discarded()) {
        return Fail(Error::Corruption(std::string(FormatName(format)) + ": not valid JSON"));
      }
      // Only std::bad_alloc can escape these walkers (every access is type-checked); keep the
      // boundary explicit anyway: third-party exceptions stop here.
      try {
        if (format == Format::kStix) {
          ParseStix(root, c);
        } else if (format == Format::kMisp) {
          ParseMisp(root, c);
        } else {
          ParseGenericJson(root, c);
        }
      } catch (const json::exception& e) {
        return Fail(Error::Corruption(std::string(FormatName(format)) + ": " + e.what()));
      }
      break;
    }
  }
  return out;
}

std::string TsvLine(const Indicator& indicator) {
  std::string line = indicator.pattern;
  line += '\t';
  line += CleanNote(indicator.category);
  line += '\t';
  line += CleanNote(indicator.note);
  if (indicator.score) {
    line += '\t';
    line += std::to_string(*indicator.score);
  }
  return line;
}

}  // namespace mw::intel
