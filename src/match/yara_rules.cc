// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "match/yara_rules.h"

#include <yara.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mw::match {
namespace {

// libyara keeps a process-wide refcount; initialise once and never finalise, so rules can
// outlive any one owner (finalising while another thread scans would be a use-after-free).
Status InitYara() {
  static int rc = yr_initialize();
  if (rc != ERROR_SUCCESS)
    return Fail(Error::Internal("yr_initialize failed: " + std::to_string(rc)));
  return Ok();
}

struct CompileErrors {
  std::string first;
  int count = 0;
};

void CompilerCallback(int level, const char* file, int line, const YR_RULE* /*rule*/,
                      const char* message, void* user) {
  if (level != YARA_ERROR_LEVEL_ERROR) return;  // warnings (slow rules) are not fatal
  auto* errs = static_cast<CompileErrors*>(user);
  if (errs->count++ == 0) {
    errs->first =
        std::string(file ? file : "<rules>") + ":" + std::to_string(line) + ": " + message;
  }
}

constexpr const char* kExternals[] = {"filename", "filepath", "extension", "filetype", "owner"};

struct CompilerPtr {
  YR_COMPILER* c = nullptr;
  ~CompilerPtr() {
    if (c) yr_compiler_destroy(c);
  }
};

Status MakeCompiler(CompilerPtr& cp, CompileErrors& errs) {
  if (yr_compiler_create(&cp.c) != ERROR_SUCCESS)
    return Fail(Error::Internal("yr_compiler_create failed"));
  yr_compiler_set_callback(cp.c, CompilerCallback, &errs);
  for (const char* name : kExternals) yr_compiler_define_string_variable(cp.c, name, "");
  return Ok();
}

Status ExpandPaths(const std::vector<std::string>& paths, std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        auto ext = it->path().extension().string();
        if (it->is_regular_file(ec) && (ext == ".yar" || ext == ".yara")) {
          found.push_back(it->path().string());
        }
      }
      if (ec) return Fail(Error::IoError(p + ": " + ec.message()));
      std::sort(found.begin(), found.end());
      if (found.empty()) return Fail(Error::NotFound(p + ": no .yar or .yara files"));
      files->insert(files->end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files->push_back(p);
    } else {
      return Fail(Error::NotFound(p + ": no such rule file or directory"));
    }
  }
  return Ok();
}

}  // namespace

YaraRules::~YaraRules() {
  if (rules_) yr_rules_destroy(rules_);
}

Result<std::shared_ptr<const YaraRules>> YaraRules::Load(bool with_builtin,
                                                         const std::vector<std::string>& user_paths,
                                                         const std::string& cache_dir) {
  if (auto s = InitYara(); !s) return Fail(s.error());
  std::vector<std::string> files;
  if (auto s = ExpandPaths(user_paths, &files); !s) return Fail(s.error());
  CompilerPtr cp;
  CompileErrors errs;
  if (auto s = MakeCompiler(cp, errs); !s) return Fail(s.error());
  std::shared_ptr<YaraRules> out(new YaraRules());
  std::vector<RuleSourceText> sources;
  if (with_builtin) {
    for (const RuleText& r : BuiltinRules()) {
      sources.push_back({"minerwatch", r.text});
      if (yr_compiler_add_string(cp.c, r.text, "minerwatch") != 0) {
        return Fail(Error::Internal("builtin rules " + std::string(r.name) + ": " + errs.first));
      }
      out->files_.push_back(std::string("builtin:") + r.name);
    }
  }
  for (const std::string& f : files) {
    FILE* fp = std::fopen(f.c_str(), "r");
    if (!fp) return Fail(Error::IoError(f + ": cannot open"));
    // Each user file is its own namespace so rule names may repeat across files.
    int n = yr_compiler_add_file(cp.c, fp, f.c_str(), f.c_str());
    std::fclose(fp);
    if (n != 0) return Fail(Error::InvalidArgument(errs.first));
    out->files_.push_back(f);
    // The prefilter reads conditions and hex/regex strings from the text.
    std::ifstream in(f, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    sources.push_back({f, text.str()});
  }
  YR_RULES* rules = nullptr;
  if (yr_compiler_get_rules(cp.c, &rules) != ERROR_SUCCESS) {
    return Fail(Error::Internal("yr_compiler_get_rules failed"));
  }
  out->Finish(rules, sources, cache_dir);
  return std::shared_ptr<const YaraRules>(std::move(out));
}

Result<std::shared_ptr<const YaraRules>> YaraRules::FromText(const std::string& text) {
  if (auto s = InitYara(); !s) return Fail(s.error());
  CompilerPtr cp;
  CompileErrors errs;
  if (auto s = MakeCompiler(cp, errs); !s) return Fail(s.error());
  if (yr_compiler_add_string(cp.c, text.c_str(), nullptr) != 0) {
    return Fail(Error::InvalidArgument(errs.first));
  }
  std::shared_ptr<YaraRules> out(new YaraRules());
  YR_RULES* rules = nullptr;
  if (yr_compiler_get_rules(cp.c, &rules) != ERROR_SUCCESS) {
    return Fail(Error::Internal("yr_compiler_get_rules failed"));
  }
  out->Finish(rules, {{"default", text}});
  return std::shared_ptr<const YaraRules>(std::move(out));
}

Evidence ParseEvidence(std::string_view meta_value) {
  return meta_value == "proof_of_work" ? Evidence::kProofOfWork : Evidence::kNames;
}

const char* EvidenceName(Evidence e) {
  return e == Evidence::kProofOfWork ? "proof_of_work" : "names";
}

void YaraRules::Finish(YR_RULES* rules, const std::vector<RuleSourceText>& sources,
                       const std::string& cache_dir) {
  rules_ = rules;
  YR_RULE* rule;
  yr_rules_foreach(rules, rule) {
    RuleInfo info;
    info.name = rule->identifier;
    info.ns = rule->ns && rule->ns->name ? rule->ns->name : "";
    YR_META* meta;
    yr_rule_metas_foreach(rule, meta) {
      if (meta->type != META_TYPE_STRING || !meta->string) continue;
      std::string_view id = meta->identifier;
      if (id == "description")
        info.description = meta->string;
      else if (id == "family" || id == "malware_family")
        info.family = meta->string;
      else if (id == "severity")
        info.severity = meta->string;
      else if (id == "evidence")
        info.evidence = ParseEvidence(meta->string);
    }
    infos_.push_back(std::move(info));
  }
  prefilter_ = YaraPrefilter::Build(rules, sources, cache_dir);
}

size_t YaraRules::chunk_overlap() const {
  constexpr size_t kPage = 4096;
  size_t longest = prefilter_ ? prefilter_->max_literal_length() : 0;
  return std::max(kPage, (longest + kPage - 1) & ~(kPage - 1));
}

std::string YaraRules::PrefilterWarning() const {
  if (!prefilter_ || !prefilter_->always_scan()) return "";
  const auto& why = prefilter_->always_scan_reasons();
  std::string line = "YARA prefilter off, memory scans will be slower: ";
  line += why.empty() ? std::string("rule set cannot be prefiltered") : why.front();
  if (why.size() > 1) line += " (and " + std::to_string(why.size() - 1) + " more rules)";
  return line;
}

// libyara packs YR_MATCH, so its yr_string_matches_foreach reads misaligned fields.
__attribute__((no_sanitize("alignment"))) int YaraCallback(YR_SCAN_CONTEXT* context, int message,
                                                           void* message_data, void* user_data) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  auto* self = static_cast<YaraScanner*>(user_data);
  auto* rule = static_cast<YR_RULE*>(message_data);
  size_t index = size_t(rule - self->rules_->raw()->rules_table);
  RuleMatch m;
  const auto& infos = self->rules_->rule_infos();
  m.rule = index < infos.size() ? &infos[index] : nullptr;
  if (!m.rule) return CALLBACK_CONTINUE;
  bool have = false;
  YR_STRING* string;
  yr_rule_strings_foreach(rule, string) {
    YR_MATCH* match;
    bool counted = false;
    yr_string_matches_foreach(context, string, match) {
      if (!counted) {
        ++m.strings_matched;
        counted = true;
      }
      uint64_t addr = self->base_ + uint64_t(match->base + match->offset);
      if (!have || addr < m.address) {
        m.address = addr;
        m.string_id = string->identifier;
        have = true;
      }
    }
  }
  if (!have) m.address = self->base_;  // condition-only rule
  self->out_->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

YaraScanner::YaraScanner(std::shared_ptr<const YaraRules> rules) : rules_(std::move(rules)) {
  if (yr_scanner_create(rules_->raw(), &scanner_) == ERROR_SUCCESS) {
    yr_scanner_set_callback(scanner_, YaraCallback, this);
    yr_scanner_set_timeout(scanner_, 30);
    // Fast mode: one match per string is enough to name the rule and the region.
    yr_scanner_set_flags(scanner_, SCAN_FLAGS_FAST_MODE);
  }
  if (rules_->prefilter())
    prefilter_scratch_ = std::make_unique<PrefilterScratch>(rules_->prefilter());
}

bool YaraScanner::MayMatch(ByteView data) {
  const YaraPrefilter* pf = rules_->prefilter();
  if (!pf || !prefilter_scratch_) return true;
  return pf->MayMatch(data, *prefilter_scratch_);
}

YaraScanner::~YaraScanner() {
  if (scanner_) yr_scanner_destroy(scanner_);
}

void YaraScanner::SetTarget(const std::string& path) {
  if (!scanner_) return;
  std::string name = path.substr(path.rfind('/') + 1);
  yr_scanner_define_string_variable(scanner_, "filepath", path.c_str());
  yr_scanner_define_string_variable(scanner_, "filename", name.c_str());
}

Status YaraScanner::Scan(ByteView data, uint64_t base_address, std::vector<RuleMatch>* out) {
  if (!scanner_) return Fail(Error::Internal("yara scanner could not be created"));
  out_ = out;
  base_ = base_address;
  int rc = yr_scanner_scan_mem(scanner_, data.data(), data.size());
  out_ = nullptr;
  switch (rc) {
    case ERROR_SUCCESS:
      return Ok();
    case ERROR_SCAN_TIMEOUT:
      return Fail(Error::Unsupported("yara scan timed out"));
    case ERROR_TOO_MANY_MATCHES:
      return Fail(Error::Unsupported("yara: too many matches"));
    case ERROR_INSUFFICIENT_MEMORY:
      return Fail(Error::Internal("yara: out of memory"));
    default:
      return Fail(Error::Internal("yara scan failed: error " + std::to_string(rc)));
  }
}

}  // namespace mw::match
