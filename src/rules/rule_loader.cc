// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "rules/rule_loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "rules/rule_internal.h"

namespace mw::rules {
namespace {

using internal::Trim;

constexpr std::string_view kActions[] = {"alert",     "drop",      "pass",      "reject",
                                         "rejectsrc", "rejectdst", "rejectboth"};

// "# alert tcp ..." is a rule someone switched off (suricata-update writes them so); any other
// comment is prose.
bool IsDisabledRule(std::string_view comment) {
  std::string_view rest = Trim(comment.substr(1));
  for (std::string_view action : kActions) {
    if (rest.starts_with(action) && rest.size() > action.size() &&
        (rest[action.size()] == ' ' || rest[action.size()] == '\t'))
      return rest.find('(') != std::string_view::npos;
  }
  return false;
}

}  // namespace

std::string SkippedRule::Text() const {
  std::string out = file + ":" + std::to_string(line) + ": ";
  if (sid) out += "sid " + std::to_string(*sid) + ": ";
  return out + reason;
}

std::string LoadStats::Summary() const {
  return std::to_string(loaded) + " of " + std::to_string(active) + " rules loaded (" +
         std::to_string(skipped) + " skipped, " + std::to_string(disabled) + " disabled)";
}

// Joins physical lines into logical ones (a trailing backslash continues a rule) while never
// holding more than max_rule_bytes: past that the line is only scanned for its end.
class RuleLoader::LineAssembler {
 public:
  LineAssembler(RuleLoader& loader, std::string_view file)
      : loader_(loader), file_(file), max_bytes_(loader.options_.max_rule_bytes) {}

  void Feed(std::string_view chunk) {
    while (!chunk.empty()) {
      size_t newline = chunk.find('\n');
      Append(chunk.substr(0, newline));
      if (newline == std::string_view::npos) return;
      EndPhysicalLine();
      chunk.remove_prefix(newline + 1);
    }
  }

  void Finish() {
    if (!buffer_.empty() || oversized_ || start_line_ != 0) EndPhysicalLine();
  }

 private:
  void Append(std::string_view piece) {
    size_t visible = piece.find_last_not_of(" \t\r");
    if (visible != std::string_view::npos) last_visible_ = piece[visible];
    if (oversized_ || piece.empty()) return;
    if (buffer_.size() + piece.size() > max_bytes_) {
      oversized_ = true;
      std::string_view head = Trim(buffer_.empty() ? piece : std::string_view(buffer_));
      starts_as_comment_ = !head.empty() && head.front() == '#';
      std::string().swap(buffer_);  // give the memory back now, not at the line's end
      return;
    }
    buffer_.append(piece);
  }

  bool IsComment() const {
    if (oversized_) return starts_as_comment_;
    std::string_view head = Trim(buffer_);
    return !head.empty() && head.front() == '#';
  }

  void EndPhysicalLine() {
    ++physical_line_;
    if (start_line_ == 0) start_line_ = physical_line_;
    // As in Suricata, a backslash (then only whitespace) continues a rule, never a comment: a
    // disabled rule ending in '\' must not swallow the rule on the next line.
    bool continued = last_visible_ == '\\' && !IsComment();
    last_visible_ = 0;
    if (continued) {
      if (!oversized_) buffer_.resize(buffer_.find_last_of('\\'));
      return;
    }
    if (oversized_) {
      if (!starts_as_comment_) loader_.HandleOversizedRule(file_, start_line_);
    } else {
      loader_.HandleLogicalLine(buffer_, file_, start_line_);
    }
    buffer_.clear();
    oversized_ = starts_as_comment_ = false;
    start_line_ = 0;
  }

  RuleLoader& loader_;
  std::string_view file_;
  size_t max_bytes_;
  std::string buffer_;
  bool oversized_ = false;
  bool starts_as_comment_ = false;
  char last_visible_ = 0;  // the current physical line's last non-blank byte
  uint32_t physical_line_ = 0;
  uint32_t start_line_ = 0;  // where the current logical line began
};

Status RuleLoader::LoadFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Fail(Error::IoError(path + ": " + std::strerror(errno)));
  LineAssembler lines(*this, path);
  std::string chunk(64 * 1024, '\0');
  size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f.get())) > 0)
    lines.Feed(std::string_view(chunk.data(), n));
  if (std::ferror(f.get())) return Fail(Error::IoError(path + ": read error"));
  lines.Finish();
  return Ok();
}

void RuleLoader::LoadText(std::string_view text, std::string_view name) {
  LineAssembler lines(*this, name);
  lines.Feed(text);
  lines.Finish();
}

void RuleLoader::HandleLogicalLine(std::string_view text, std::string_view file, uint32_t line) {
  text = Trim(text);
  if (text.empty()) return;
  if (text.front() == '#') {
    if (IsDisabledRule(text)) ++set_.stats.disabled;
    return;
  }
  HandleRule(text, file, line);
}

void RuleLoader::HandleOversizedRule(std::string_view file, uint32_t line) {
  ++set_.stats.active;
  Skip(file, line, std::nullopt,
       "rule longer than " + std::to_string(options_.max_rule_bytes) + " bytes");
}

void RuleLoader::HandleRule(std::string_view text, std::string_view file, uint32_t line) {
  ++set_.stats.active;
  auto rule = ParseRule(text, options_.vars);
  if (!rule) {
    Skip(file, line, FindSid(text), rule.error().message());
    return;
  }
  rule->file = std::string(file);
  rule->line = line;
  AddRule(std::move(*rule));
}

void RuleLoader::AddRule(Rule rule) {
  auto key = std::make_pair(rule.gid, rule.sid);
  auto [it, inserted] = by_gid_sid_.emplace(key, set_.rules.size());
  if (inserted) {
    ++set_.stats.loaded;
    set_.rules.push_back(std::move(rule));
    return;
  }
  Rule& kept = set_.rules[it->second];
  std::string where = kept.file + ":" + std::to_string(kept.line);
  if (rule.rev > kept.rev) {
    Skip(kept.file, kept.line, kept.sid,
         "superseded by rev " + std::to_string(rule.rev) + " at " + rule.file + ":" +
             std::to_string(rule.line));
    kept = std::move(rule);
    return;
  }
  Skip(rule.file, rule.line, rule.sid, "duplicate of the rule at " + where);
}

void RuleLoader::Skip(std::string_view file, uint32_t line, std::optional<uint32_t> sid,
                      std::string reason) {
  ++set_.stats.skipped;
  SkippedRule skipped{std::string(file), line, sid, std::move(reason)};
  if (options_.on_skip) options_.on_skip(skipped);
  if (set_.skipped.size() < options_.max_kept_skips) set_.skipped.push_back(std::move(skipped));
}

}  // namespace mw::rules
