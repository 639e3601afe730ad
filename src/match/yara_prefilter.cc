// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "match/yara_prefilter.h"

#include <yara.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unordered_map>

namespace mw::match {

// ---------------------------------------------------------------------------------------------
// Condition tokens

namespace {

enum class Tok : uint8_t {
  kEnd,
  kIdent,
  kNumber,
  kStrRef,
  kCountRef,
  kOtherRef,
  kLParen,
  kRParen,
  kComma,
  kOp,
  kOther
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;
  uint64_t value = 0;  // kNumber
};

bool IsIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Appends "\xHH".
void AppendHexEscape(std::string* out, unsigned v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  *out += "\\x";
  *out += kDigits[(v >> 4) & 15];
  *out += kDigits[v & 15];
}

// Splits a condition into tokens; string and regex literals become one kOther token.
std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? n : e + 2;
      continue;
    }
    size_t start = i;
    Token t;
    if (c == '"' || (c == '/' && !out.empty() && out.back().text == "matches")) {
      for (++i; i < n && s[i] != c; ++i) {
        if (s[i] == '\\') ++i;
      }
      i = std::min(n, i + 1);
      while (c == '/' && i < n && (s[i] == 'i' || s[i] == 's')) ++i;
      t.kind = Tok::kOther;
    } else if (c == '$' || c == '#' || c == '@' || (c == '!' && i + 1 < n && IsIdent(s[i + 1]))) {
      for (++i; i < n && IsIdent(s[i]); ++i) {
      }
      if (c == '$' && i < n && s[i] == '*') ++i;
      t.kind = c == '$' ? Tok::kStrRef : c == '#' ? Tok::kCountRef : Tok::kOtherRef;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      bool hex = c == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
      bool octal = c == '0' && i + 1 < n && s[i + 1] == 'o';
      if (hex || octal) i += 2;
      uint64_t v = 0;
      bool overflow = false;
      for (; i < n && std::isxdigit(static_cast<unsigned char>(s[i])); ++i) {
        if (!hex && !std::isdigit(static_cast<unsigned char>(s[i]))) break;
        int d = std::isdigit(static_cast<unsigned char>(s[i])) ? s[i] - '0'
                                                               : std::tolower(s[i]) - 'a' + 10;
        uint64_t base = hex ? 16 : octal ? 8 : 10;
        if (v > (UINT64_MAX - uint64_t(d)) / base) overflow = true;
        v = v * base + uint64_t(d);
      }
      // "1.5" floats and "2KB" sizes: not a plain count, keep as another token.
      bool plain =
          !overflow &&
          !(i < n && (IsIdent(s[i]) || (s[i] == '.' && i + 1 < n &&
                                        std::isdigit(static_cast<unsigned char>(s[i + 1])))));
      while (i < n && (IsIdent(s[i]) || s[i] == '.') &&
             !(s[i] == '.' && i + 1 < n && s[i + 1] == '.'))
        ++i;
      t.kind = plain ? Tok::kNumber : Tok::kOther;
      t.value = v;
    } else if (IsIdent(c)) {
      for (; i < n && (IsIdent(s[i]) || s[i] == '.'); ++i) {
      }
      t.kind = Tok::kIdent;
    } else if (c == '(') {
      ++i;
      t.kind = Tok::kLParen;
    } else if (c == ')') {
      ++i;
      t.kind = Tok::kRParen;
    } else if (c == ',') {
      ++i;
      t.kind = Tok::kComma;
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "==", "!=", "<<", ">>", ".."};
      i += 1;
      for (std::string_view two : kTwo) {
        if (s.substr(start, 2) == two) i = start + 2;
      }
      t.kind = Tok::kOp;
    }
    t.text = s.substr(start, i - start);
    out.push_back(t);
  }
  out.push_back(Token{});
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Condition bound

class ConditionParser {
 public:
  ConditionParser(ConditionBound* out, std::vector<Token> toks, const std::vector<std::string>& ids)
      : out_(out), toks_(std::move(toks)), ids_(ids) {}

  uint32_t Parse() {
    uint32_t root = ParseOr(0);
    // Trailing garbage means we misread the structure: give up on this condition.
    if (Peek().kind != Tok::kEnd || missing_operand_)
      return Add({ConditionBound::Node::kTrue, 0, {}});
    return root;
  }

 private:
  using Node = ConditionBound::Node;
  static constexpr int kMaxDepth = 200;

  const Token& Peek() const { return toks_[pos_]; }
  bool PeekIs(std::string_view word) const { return Peek().text == word; }
  void Next() {
    if (toks_[pos_].kind != Tok::kEnd) ++pos_;
  }
  uint32_t Add(Node n) {
    out_->nodes_.push_back(std::move(n));
    return uint32_t(out_->nodes_.size() - 1);
  }
  uint32_t True() { return Add({Node::kTrue, 0, {}}); }
  bool AtTerminator() const {
    return Peek().kind == Tok::kEnd || Peek().kind == Tok::kRParen || PeekIs("and") || PeekIs("or");
  }
  // Skips the rest of an operand: up to "and"/"or"/")" at this nesting level.
  void SkipOperand() {
    int depth = 0;
    while (Peek().kind != Tok::kEnd) {
      if (depth == 0 && AtTerminator()) return;
      if (Peek().kind == Tok::kLParen) ++depth;
      if (Peek().kind == Tok::kRParen) --depth;
      Next();
    }
  }
  uint32_t Unknown() {
    SkipOperand();
    return True();
  }

  uint32_t ParseOr(int depth) {
    uint32_t l = ParseAnd(depth);
    if (!PeekIs("or")) return l;
    Node n{Node::kOr, 0, {l}};
    while (PeekIs("or")) {
      Next();
      n.items.push_back(ParseAnd(depth));
    }
    return Add(std::move(n));
  }
  uint32_t ParseAnd(int depth) {
    uint32_t l = ParseUnary(depth);
    if (!PeekIs("and")) return l;
    Node n{Node::kAnd, 0, {l}};
    while (PeekIs("and")) {
      Next();
      n.items.push_back(ParseUnary(depth));
    }
    return Add(std::move(n));
  }
  uint32_t ParseUnary(int depth) {
    if (depth > kMaxDepth) {
      // Too deep to follow: swallow everything, the bound is "may be true".
      while (Peek().kind != Tok::kEnd) Next();
      return True();
    }
    if (PeekIs("not")) {
      Next();
      ParseUnary(depth + 1);  // parsed for its extent only: a negation is not monotone
      return True();
    }
    return ParsePrimary(depth);
  }

  // Indices of the strings "$name" or "$prefix*" names; empty when none.
  std::vector<uint32_t> Resolve(std::string_view ref) const {
    std::vector<uint32_t> out;
    bool wildcard = ref.ends_with('*');
    if (wildcard) ref.remove_suffix(1);
    for (uint32_t i = 0; i < ids_.size(); ++i) {
      if (wildcard ? std::string_view(ids_[i]).starts_with(ref) : ids_[i] == ref) out.push_back(i);
    }
    return out;
  }
  std::vector<uint32_t> All() const {
    std::vector<uint32_t> out(ids_.size());
    for (uint32_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
  }

  uint32_t ParsePrimary(int depth) {
    const Token t = Peek();
    if (t.kind == Tok::kLParen) {
      Next();
      uint32_t inner = ParseOr(depth + 1);
      if (Peek().kind != Tok::kRParen) return Unknown();
      Next();
      // "(...) + 1 > 2": the group was arithmetic, not boolean.
      return AtTerminator() ? inner : Unknown();
    }
    if (t.kind == Tok::kStrRef && !t.text.ends_with('*')) {
      Next();
      auto ids = Resolve(t.text);
      if (ids.size() != 1 || t.text == "$") return Unknown();
      // "$a at N" / "$a in (range)" still need $a.
      if (!AtTerminator() && !PeekIs("at") && !PeekIs("in")) return Unknown();
      SkipOperand();
      return Add({Node::kAtLeast, 1, std::move(ids)});
    }
    if (t.kind == Tok::kCountRef) {
      Next();
      auto ids = Resolve(t.text.substr(1).empty() ? "" : "$" + std::string(t.text.substr(1)));
      if (ids.size() != 1 || Peek().kind != Tok::kOp) return Unknown();
      std::string_view op = Peek().text;
      Next();
      if (Peek().kind != Tok::kNumber) return Unknown();
      uint64_t k = Peek().value;
      Next();
      if (!AtTerminator()) return Unknown();
      bool needs = op == ">" || (op == ">=" && k >= 1) || (op == "==" && k >= 1);
      return needs ? Add({Node::kAtLeast, 1, std::move(ids)}) : True();
    }
    if (t.kind == Tok::kNumber || t.text == "any" || t.text == "all" || t.text == "none") {
      Next();
      if (!PeekIs("of")) return Unknown();
      Next();
      std::vector<uint32_t> set;
      if (PeekIs("them")) {
        Next();
        set = All();
      } else if (Peek().kind == Tok::kLParen) {
        Next();
        while (Peek().kind == Tok::kStrRef) {
          auto ids = Resolve(Peek().text);
          if (ids.empty()) return Unknown();
          set.insert(set.end(), ids.begin(), ids.end());
          Next();
          if (Peek().kind != Tok::kComma) break;
          Next();
        }
        if (Peek().kind != Tok::kRParen) return Unknown();  // rule sets, expressions...
        Next();
      } else {
        return Unknown();
      }
      std::sort(set.begin(), set.end());
      set.erase(std::unique(set.begin(), set.end()), set.end());
      if (!AtTerminator() && !PeekIs("at") && !PeekIs("in")) return Unknown();
      SkipOperand();
      uint64_t need = t.kind == Tok::kNumber ? t.value
                      : t.text == "any"      ? 1
                      : t.text == "all"      ? set.size()
                                             : 0;
      if (need == 0 || set.empty()) return True();
      if (need > set.size()) return Add({Node::kFalse, 0, {}});
      return Add({Node::kAtLeast, uint32_t(need), std::move(set)});
    }
    if (t.text == "false") {
      Next();
      return AtTerminator() ? Add({Node::kFalse, 0, {}}) : Unknown();
    }
    if (t.kind == Tok::kEnd || t.kind == Tok::kRParen) {
      missing_operand_ = true;
      return True();
    }
    Next();
    return Unknown();
  }

  ConditionBound* out_;
  std::vector<Token> toks_;
  const std::vector<std::string>& ids_;
  size_t pos_ = 0;
  bool missing_operand_ = false;  // "a and", "()": not a condition we can read
};

ConditionBound ConditionBound::Analyze(std::string_view condition,
                                       const std::vector<std::string>& string_ids) {
  ConditionBound b;
  b.string_count_ = string_ids.size();
  ConditionParser p(&b, Tokenize(condition), string_ids);
  b.root_ = p.Parse();
  return b;
}

bool ConditionBound::EvalNode(uint32_t i, const uint8_t* seen) const {
  const Node& n = nodes_[i];
  switch (n.kind) {
    case Node::kTrue:
      return true;
    case Node::kFalse:
      return false;
    case Node::kAnd:
      for (uint32_t c : n.items) {
        if (!EvalNode(c, seen)) return false;
      }
      return true;
    case Node::kOr:
      for (uint32_t c : n.items) {
        if (EvalNode(c, seen)) return true;
      }
      return false;
    case Node::kAtLeast: {
      uint32_t have = 0;
      for (uint32_t s : n.items) have += seen[s] ? 1 : 0;
      return have >= n.n;
    }
  }
  return true;
}

bool ConditionBound::Eval(const uint8_t* seen) const {
  return nodes_.empty() || EvalNode(root_, seen);
}

bool ConditionBound::Gated() const {
  std::vector<uint8_t> none(string_count_ + 1, 0);
  return !Eval(none.data());
}

bool ConditionBound::CoverNode(uint32_t i, const std::vector<double>& cost,
                               std::vector<uint32_t>* out, double* total) const {
  const Node& n = nodes_[i];
  switch (n.kind) {
    case Node::kTrue:
      return false;
    case Node::kFalse:
      return true;  // never true: needs no string
    case Node::kAnd: {
      // Every operand is true when the AND is: one operand's cover is enough, the cheapest.
      std::vector<uint32_t> best;
      double best_cost = 0;
      bool found = false;
      for (uint32_t c : n.items) {
        std::vector<uint32_t> part;
        double part_cost = 0;
        if (!CoverNode(c, cost, &part, &part_cost) || (found && part_cost >= best_cost)) continue;
        best = std::move(part);
        best_cost = part_cost;
        found = true;
      }
      out->insert(out->end(), best.begin(), best.end());
      *total += best_cost;
      return found;
    }
    case Node::kOr:
      for (uint32_t c : n.items) {
        if (!CoverNode(c, cost, out, total)) return false;
      }
      return true;
    case Node::kAtLeast: {
      if (n.n == 0) return false;
      if (n.n > n.items.size()) return true;
      // With n of the k present, at most n - 1 of any k - n + 1 are missing.
      std::vector<uint32_t> items = n.items;
      std::stable_sort(items.begin(), items.end(),
                       [&](uint32_t a, uint32_t b) { return cost[a] < cost[b]; });
      for (size_t k = 0; k < items.size() - n.n + 1; ++k) {
        out->push_back(items[k]);
        *total += cost[items[k]];
      }
      return true;
    }
  }
  return false;
}

std::vector<uint32_t> ConditionBound::Cover(const std::vector<double>& cost) const {
  std::vector<uint32_t> out;
  double total = 0;
  if (nodes_.empty() || !CoverNode(root_, cost, &out, &total)) {
    out.resize(string_count_);
    for (uint32_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string ConditionBound::NodeString(uint32_t i) const {
  const Node& n = nodes_[i];
  switch (n.kind) {
    case Node::kTrue:
      return "true";
    case Node::kFalse:
      return "false";
    case Node::kAnd:
    case Node::kOr: {
      std::string s = n.kind == Node::kAnd ? "and(" : "or(";
      for (size_t k = 0; k < n.items.size(); ++k) s += (k ? "," : "") + NodeString(n.items[k]);
      return s + ")";
    }
    case Node::kAtLeast: {
      std::string s = "atleast(" + std::to_string(n.n) + ";";
      for (size_t k = 0; k < n.items.size(); ++k) s += (k ? "," : "") + std::to_string(n.items[k]);
      return s + ")";
    }
  }
  return "?";
}

std::string ConditionBound::ToString() const { return nodes_.empty() ? "true" : NodeString(root_); }

// ---------------------------------------------------------------------------------------------
// Rule source

namespace {

class SourceReader {
 public:
  explicit SourceReader(std::string_view s) : s_(s) {}
  bool End() { return SkipSpace(), i_ >= s_.size(); }
  size_t pos() const { return i_; }
  char Peek() { return SkipSpace(), i_ < s_.size() ? s_[i_] : '\0'; }
  void Advance() { i_ = std::min(s_.size(), i_ + 1); }
  std::string_view Word() {
    SkipSpace();
    size_t st = i_;
    while (i_ < s_.size() && IsIdent(s_[i_])) ++i_;
    return s_.substr(st, i_ - st);
  }
  // After the opening delimiter: up to the unescaped "close" (not included), consumed.
  std::string_view Until(char close, bool escapes) {
    size_t st = i_;
    while (i_ < s_.size() && s_[i_] != close) {
      if (escapes && s_[i_] == '\\') ++i_;
      ++i_;
    }
    i_ = std::min(i_, s_.size());
    std::string_view body = s_.substr(st, i_ - st);
    Advance();
    return body;
  }
  // Skips one token of any kind (quoted strings whole).
  void SkipToken() {
    char c = Peek();
    if (c == '"') {
      Advance();
      Until('"', true);
    } else if (IsIdent(c)) {
      Word();
    } else {
      Advance();
    }
  }
  void Rewind(size_t pos) { i_ = pos; }
  std::string_view Slice(size_t a, size_t b) const { return s_.substr(a, b - a); }

 private:
  void SkipSpace() {
    while (i_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[i_]))) {
        ++i_;
      } else if (s_.substr(i_, 2) == "//") {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (s_.substr(i_, 2) == "/*") {
        size_t e = s_.find("*/", i_ + 2);
        i_ = e == std::string_view::npos ? s_.size() : e + 2;
      } else {
        break;
      }
    }
  }
  std::string_view s_;
  size_t i_ = 0;
};

// Reads "$id = <value> modifiers..." entries until "condition".
void ReadStrings(SourceReader& r, RuleSource* rule) {
  while (!r.End()) {
    char c = r.Peek();
    if (c == '}') return;
    if (IsIdent(c)) {
      size_t save = r.pos();
      std::string_view w = r.Word();
      if (w == "condition" && r.Peek() == ':') {
        r.Rewind(save);
        return;
      }
      // A modifier; its arguments ("xor(1-2)", "base64(\"...\")") are skipped as tokens.
      if (r.Peek() == '(') {
        while (!r.End() && r.Peek() != ')') r.SkipToken();
        r.Advance();
      }
      continue;
    }
    if (c != '$') {
      r.SkipToken();
      continue;
    }
    r.Advance();
    RuleSourceString str;
    str.id = "$" + std::string(r.Word());
    if (r.Peek() != '=') continue;
    r.Advance();
    char open = r.Peek();
    r.Advance();
    if (open == '"') {
      str.kind = 't';
      str.body = r.Until('"', true);
    } else if (open == '{') {
      str.kind = 'h';
      str.body = r.Until('}', false);
    } else if (open == '/') {
      str.kind = 'r';
      str.body = r.Until('/', true);
    } else {
      continue;
    }
    rule->strings.push_back(std::move(str));
  }
}

}  // namespace

std::vector<RuleSource> ParseRuleSource(std::string_view text) {
  std::vector<RuleSource> out;
  SourceReader r(text);
  while (!r.End()) {
    if (!IsIdent(r.Peek())) {
      r.SkipToken();
      continue;
    }
    if (r.Word() != "rule") continue;
    RuleSource rule;
    rule.name = r.Word();
    if (rule.name.empty()) continue;
    while (!r.End() && r.Peek() != '{') r.SkipToken();  // tags
    r.Advance();
    // Sections until the rule's closing brace.
    bool closed = false;
    while (!r.End() && !closed) {
      char c = r.Peek();
      if (c == '}') {
        r.Advance();
        closed = true;
        break;
      }
      if (!IsIdent(c)) {
        r.SkipToken();
        continue;
      }
      std::string_view section = r.Word();
      if (r.Peek() != ':') continue;
      r.Advance();
      if (section == "strings") {
        ReadStrings(r, &rule);
      } else if (section == "condition") {
        size_t start = r.pos();
        size_t end = start;
        // The condition runs to the rule's "}": conditions hold no braces outside literals.
        while (!r.End() && r.Peek() != '}') {
          if (r.Peek() == '/') {  // a regex after "matches" may hold braces: skip it whole
            r.Advance();
            if (r.Peek() != '/' && r.Peek() != '*') r.Until('/', true);
          } else {
            r.SkipToken();
          }
          end = r.pos();
        }
        std::string_view cond = r.Slice(start, end);
        while (!cond.empty() && std::isspace(static_cast<unsigned char>(cond.front())))
          cond.remove_prefix(1);
        rule.condition = std::string(cond);
      }
    }
    out.push_back(std::move(rule));
  }
  return out;
}

std::string HexToRegex(std::string_view hex) {
  std::string re;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = char(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  size_t i = 0;
  while (i < hex.size()) {
    char c = hex[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (hex.substr(i, 2) == "//") {
      while (i < hex.size() && hex[i] != '\n') ++i;
    } else if (hex.substr(i, 2) == "/*") {
      size_t e = hex.find("*/", i + 2);
      i = e == std::string_view::npos ? hex.size() : e + 2;
    } else if (c == '(' || c == '|' || c == ')') {
      re += c == '(' ? "(?:" : std::string(1, c);
      ++i;
    } else if (c == '[') {
      size_t e = hex.find(']', i);
      if (e == std::string_view::npos) return "";
      std::string in;
      for (char x : hex.substr(i + 1, e - i - 1)) {
        if (!std::isspace(static_cast<unsigned char>(x))) in += x;
      }
      size_t dash = in.find('-');
      auto digits = [](const std::string& s) {
        return !s.empty() && s.size() < 9 &&
               std::all_of(s.begin(), s.end(), [](char d) { return d >= '0' && d <= '9'; });
      };
      if (dash == std::string::npos) {
        if (!digits(in)) return "";
        re += ".{" + in + "}";
      } else {
        std::string lo = in.substr(0, dash), hi = in.substr(dash + 1);
        if (lo.empty()) lo = "0";
        if (!digits(lo) || (!hi.empty() && !digits(hi))) return "";
        re += ".{" + lo + "," + hi + "}";
      }
      i = e + 1;
    } else if (i + 1 < hex.size()) {
      int hi = nib(hex[i]), lo = nib(hex[i + 1]);
      bool qh = hex[i] == '?', ql = hex[i + 1] == '?';
      if ((hi < 0 && !qh) || (lo < 0 && !ql)) return "";  // "~", stray characters
      if (qh && ql) {
        re += '.';
      } else if (qh) {
        re += '[';
        for (int h = 0; h < 16; ++h) AppendHexEscape(&re, unsigned(h * 16 + lo));
        re += ']';
      } else if (ql) {
        re += '[';
        AppendHexEscape(&re, unsigned(hi * 16));
        re += '-';
        AppendHexEscape(&re, unsigned(hi * 16 + 15));
        re += ']';
      } else {
        AppendHexEscape(&re, unsigned(hi * 16 + lo));
      }
      i += 2;
    } else {
      return "";
    }
  }
  return re;
}

// ---------------------------------------------------------------------------------------------
// Prefilter

namespace {

std::string EscapeBytes(const uint8_t* p, size_t n, bool wide) {
  std::string re;
  re.reserve(n * (wide ? 8 : 4));
  for (size_t i = 0; i < n; ++i) {
    AppendHexEscape(&re, p[i]);
    if (wide) re += "\\x00";
  }
  return re;
}

// YARA reads "{,n}" as {0,n}; PCRE syntax (Hyperscan) would read it as literal text, which
// would make the prefilter miss matches.
std::string YaraRegexToPcre(std::string_view re) {
  std::string out;
  for (size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\' && i + 1 < re.size()) {
      out += re[i];
      out += re[++i];
      continue;
    }
    out += re[i];
    if (re[i] == '{' && i + 1 < re.size() && re[i + 1] == ',') out += '0';
  }
  return out;
}

}  // namespace

int OnAtom(unsigned id, uint64_t /*from*/, uint64_t /*to*/, void* ctx) {
  auto* sc = static_cast<PrefilterScratch*>(ctx);
  const YaraPrefilter* pf = sc->prefilter_;
  uint32_t s = pf->atom_string_[id];
  if (sc->seen_[s]) return 0;
  sc->seen_[s] = 1;
  sc->touched_.push_back(s);
  const auto& rb = pf->rules_[pf->string_rule_[s]];
  if (rb.bound.Eval(sc->seen_.data() + rb.first_string)) {
    sc->possible_ = true;
    return 1;  // one possible rule is enough: stop, libyara decides
  }
  return 0;
}

YaraPrefilter::~YaraPrefilter() = default;

std::unique_ptr<const YaraPrefilter> YaraPrefilter::Build(
    YR_RULES* rules, const std::vector<RuleSourceText>& sources, const std::string& cache_dir) {
  std::unique_ptr<YaraPrefilter> pf(new YaraPrefilter());
  // Rule text by "namespace\0name".
  std::unordered_map<std::string, RuleSource> by_name;
  for (const RuleSourceText& src : sources) {
    for (RuleSource& rs : ParseRuleSource(src.text)) {
      by_name[src.ns + '\0' + rs.name] = std::move(rs);
    }
  }
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  // What an atom costs Hyperscan on data it does not occur in: short literals and regexes
  // make FDR confirm candidates at many positions. Guides the choice of triggers.
  std::vector<double> string_cost;
  bool ok = true;
  YR_RULE* rule;
  yr_rules_foreach(rules, rule) {
    std::string ns = rule->ns && rule->ns->name ? rule->ns->name : "";
    std::string name = rule->identifier;
    auto it = by_name.find(ns + '\0' + name);
    if (it == by_name.end()) {
      pf->reasons_.push_back(name + ": rule text not found (included file?)");
      ok = false;
      continue;
    }
    const RuleSource& src = it->second;
    // Logical strings: chain parts (a hex string split at a long gap) belong to their head.
    std::vector<std::vector<YR_STRING*>> logical;
    YR_STRING* string;
    yr_rule_strings_foreach(rule, string) {
      if (string->chained_to == nullptr || logical.empty()) logical.emplace_back();
      logical.back().push_back(string);
    }
    std::vector<std::string> ids;
    for (const auto& parts : logical) ids.push_back(parts[0]->identifier);
    RuleBound rb;
    rb.bound = ConditionBound::Analyze(src.condition, ids);
    rb.first_string = uint32_t(pf->string_rule_.size());
    if (!rb.bound.Gated()) {
      pf->reasons_.push_back(name + ": condition can be true without any string");
      ok = false;
    }
    bool source_matches = src.strings.size() == logical.size();
    for (size_t k = 0; k < logical.size(); ++k) {
      uint32_t gidx = uint32_t(pf->string_rule_.size());
      pf->string_rule_.push_back(uint32_t(pf->rules_.size()));
      string_cost.push_back(0);
      const YR_STRING* head = logical[k][0];
      uint32_t f = head->flags;
      if (f & (STRING_FLAGS_XOR | STRING_FLAGS_BASE64 | STRING_FLAGS_BASE64_WIDE)) {
        pf->reasons_.push_back(name + " " + ids[k] + ": xor/base64 strings have no atom");
        ok = false;
        continue;
      }
      // Longest literal part: every part must match for the string to match.
      const YR_STRING* lit = nullptr;
      for (const YR_STRING* p : logical[k]) {
        if ((p->flags & STRING_FLAGS_LITERAL) && p->length > 0 && (!lit || p->length > lit->length))
          lit = p;
      }
      unsigned base = kHsSingleMatch | ((f & STRING_FLAGS_NO_CASE) ? unsigned(kHsCaseless) : 0u);
      if (lit) {
        for (bool wide : {false, true}) {
          if (!(f & (wide ? STRING_FLAGS_WIDE : STRING_FLAGS_ASCII))) continue;
          exprs.push_back(EscapeBytes(lit->string, size_t(lit->length), wide));
          flags.push_back(base);
          pf->atom_string_.push_back(gidx);
          string_cost[gidx] += 1.0 + 32.0 / double(size_t(lit->length) * (wide ? 2 : 1));
          pf->max_literal_length_ =
              std::max(pf->max_literal_length_, size_t(lit->length) * (wide ? 2 : 1));
        }
        if (logical[k].size() > 1)
          pf->max_literal_length_ = std::max<size_t>(pf->max_literal_length_, 4096);
        continue;
      }
      std::string expr;
      unsigned fl = base | kHsPrefilter | kHsAllowEmpty;
      if (!source_matches) {
        pf->reasons_.push_back(name + ": strings in text and compiled rule differ");
      } else if (src.strings[k].kind == 'h') {
        expr = HexToRegex(src.strings[k].body);
        fl = (fl & ~kHsCaseless) | kHsDotAll;
      } else if (src.strings[k].kind == 'r' && !(f & STRING_FLAGS_WIDE)) {
        expr = YaraRegexToPcre(src.strings[k].body);
        if (f & STRING_FLAGS_DOT_ALL) fl |= kHsDotAll;
      }
      fl &= ~kHsAllowEmpty;  // an atom that can match nothing says nothing
      if (expr.empty() || !HsDatabase::CompilesAlone(expr, fl)) {
        pf->reasons_.push_back(name + " " + ids[k] + ": no Hyperscan atom for this string");
        ok = false;
        continue;
      }
      // A bounded regex (a hex string's short jumps) is as windowable as a literal of its
      // widest match: the true pattern's width bounds where a prefilter hit can need bytes.
      if (auto w = HsDatabase::MaxMatchWidth(expr, fl & ~unsigned(kHsPrefilter)); w && *w > 0)
        pf->max_literal_length_ = std::max(pf->max_literal_length_, *w);
      else
        pf->unbounded_atoms_ = true;  // see windowed()
      exprs.push_back(std::move(expr));
      flags.push_back(fl);
      pf->atom_string_.push_back(gidx);
      string_cost[gidx] += 8.0;
    }
    pf->rules_.push_back(std::move(rb));
  }
  if (ok && exprs.empty()) {
    pf->reasons_.push_back("no strings to prefilter");
    ok = false;
  }
  if (ok) {
    std::vector<HsPattern> patterns;
    for (size_t i = 0; i < exprs.size(); ++i)
      patterns.push_back({std::move(exprs[i]), flags[i], unsigned(i)});
    if (auto db = HsDatabase::CompileCached(patterns, cache_dir)) {
      pf->db_ = std::move(*db);
      pf->BuildTriggers(patterns, string_cost, cache_dir);
    } else {
      pf->reasons_.push_back(db.error().message());
      ok = false;
    }
  }
  pf->always_scan_ = !ok;
  return pf;
}

void YaraPrefilter::BuildTriggers(const std::vector<HsPattern>& patterns,
                                  const std::vector<double>& string_cost,
                                  const std::string& cache_dir) {
  std::vector<uint8_t> trigger(string_rule_.size(), 0);
  for (size_t r = 0; r < rules_.size(); ++r) {
    const uint32_t first = rules_[r].first_string;
    const uint32_t end =
        r + 1 < rules_.size() ? rules_[r + 1].first_string : uint32_t(string_rule_.size());
    std::vector<double> cost(string_cost.begin() + first, string_cost.begin() + end);
    for (uint32_t i : rules_[r].bound.Cover(cost)) trigger[first + i] = 1;
  }
  std::vector<HsPattern> triggers;
  for (const HsPattern& p : patterns) {
    if (trigger[atom_string_[p.id]]) triggers.push_back(p);
  }
  trigger_atoms_ = triggers.size();
  // Without a smaller set, or when it fails to build, windows go through the whole database.
  if (triggers.empty() || triggers.size() == patterns.size()) return;
  if (auto db = HsDatabase::CompileCached(triggers, cache_dir)) trigger_db_ = std::move(*db);
}

bool YaraPrefilter::MayMatch(ByteView data, PrefilterScratch& sc) const {
  if (always_scan_ || !sc.ok()) return true;
  if (data.empty()) {
    // Gated rules cannot match an empty buffer.
    return false;
  }
  sc.possible_ = false;
  // Buffers over 1 GiB go in pieces overlapping by the longest literal; seen[] persists across
  // pieces, so a hit in any piece counts.
  auto scanned =
      db_->Scan(data, *sc.scratch_, OnAtom, &sc, std::max<size_t>(max_literal_length_, 4096));
  bool failed = !scanned;
  for (uint32_t s : sc.touched_) sc.seen_[s] = 0;
  sc.touched_.clear();
  return sc.possible_ || failed;
}

namespace {

int OnTrigger(unsigned /*id*/, uint64_t /*from*/, uint64_t /*to*/, void* ctx) {
  *static_cast<bool*>(ctx) = true;
  return 1;  // one trigger is enough: MayMatch decides on the whole buffer
}

}  // namespace

bool YaraPrefilter::Accumulate(ByteView data, PrefilterScratch& sc) const {
  if (always_scan_ || !sc.ok()) return true;
  // One possible rule is enough: later windows of the same stream need no scan.
  if (sc.possible_ || data.empty()) return sc.possible_;
  const size_t overlap = std::max<size_t>(max_literal_length_, 4096);
  if (trigger_db_ && sc.trigger_scratch_ && sc.trigger_scratch_->ok()) {
    if (!trigger_db_->Scan(data, *sc.trigger_scratch_, OnTrigger, &sc.possible_, overlap))
      sc.possible_ = true;
    return sc.possible_;
  }
  if (!db_->Scan(data, *sc.scratch_, OnAtom, &sc, overlap))
    sc.possible_ = true;  // a failed scan proves nothing
  return sc.possible_;
}

void YaraPrefilter::ResetAccumulated(PrefilterScratch& sc) const {
  for (uint32_t s : sc.touched_) sc.seen_[s] = 0;
  sc.touched_.clear();
  sc.possible_ = false;
}

PrefilterScratch::PrefilterScratch(const YaraPrefilter* prefilter) : prefilter_(prefilter) {
  if (!prefilter_ || prefilter_->always_scan_ || !prefilter_->db_) return;
  scratch_ = std::make_unique<HsScratch>(*prefilter_->db_);
  if (prefilter_->trigger_db_)
    trigger_scratch_ = std::make_unique<HsScratch>(*prefilter_->trigger_db_);
  seen_.assign(prefilter_->string_rule_.size() + 1, 0);
  touched_.reserve(prefilter_->string_rule_.size());
}

PrefilterScratch::~PrefilterScratch() = default;

}  // namespace mw::match
