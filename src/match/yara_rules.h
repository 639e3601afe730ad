// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// YARA rule loading (control plane) and buffer scanning (data plane) over libyara, the one
// place that calls libyara. Nothing here knows about processes: a scan is one byte buffer with
// the address (or file offset) of its first byte; a stream is scanned as chunks that overlap by
// YaraRules::chunk_overlap(), so a string crossing a chunk boundary is whole in one chunk.
//
// YaraRules (with its rule metadata and prefilter) is immutable once compiled and shared by
// every scanner. A YaraScanner owns one YR_SCANNER and is not thread-safe: make one per thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "match/yara_prefilter.h"
#include "mw/core/byte_view.h"
#include "mw/core/result.h"

struct YR_RULES;
struct YR_SCAN_CONTEXT;

namespace mw::match {

struct RuleText {
  const char* name;  // file name, used as the YARA namespace
  const char* text;
};
// The project's own rules, embedded from ruleset/yara at build time.
const std::vector<RuleText>& BuiltinRules();

// What a rule's match shows, from its meta key "evidence". kProofOfWork: algorithm constants,
// miner code or miner data structures ("proof_of_work"). kNames: only names and strings (pool
// URLs, banners, options, hosts) that a non-miner can hold too ("names"). A rule without the key,
// or with any other value, is kNames: a user rule must say proof_of_work to count as such.
enum class Evidence : uint8_t { kNames, kProofOfWork };
Evidence ParseEvidence(std::string_view meta_value);
const char* EvidenceName(Evidence e);  // "names", "proof_of_work"

struct RuleInfo {
  std::string name;
  std::string ns;  // namespace: the rule file
  std::string description;
  std::string family;
  std::string severity;  // "high", "medium"... from meta, "" when absent
  Evidence evidence = Evidence::kNames;
};

class YaraRules {
 public:
  ~YaraRules();
  YaraRules(const YaraRules&) = delete;
  YaraRules& operator=(const YaraRules&) = delete;

  // Compiles the builtin rules (when "with_builtin") plus every user file; a directory
  // contributes its *.yar and *.yara files, recursively. Fails with "file:line: message" on the
  // first file that does not compile. External variables filename/filepath/extension/filetype/
  // owner (used by public rule sets) are predefined as "".
  // "cache_dir": where the prefilter's Hyperscan databases are kept between runs (see
  // HsDatabase::CompileCached); "" compiles them every time.
  static Result<std::shared_ptr<const YaraRules>> Load(bool with_builtin,
                                                       const std::vector<std::string>& user_paths,
                                                       const std::string& cache_dir = "");
  // Compiles rule text (tests, fuzzing).
  static Result<std::shared_ptr<const YaraRules>> FromText(const std::string& text);

  YR_RULES* raw() const { return rules_; }
  size_t rule_count() const { return infos_.size(); }
  // Metadata of every rule, indexed like the rules in YR_RULES; RuleMatch::rule points here.
  const std::vector<RuleInfo>& rule_infos() const { return infos_; }
  // How much consecutive chunks of one stream must overlap: at least a page, and at least the
  // longest literal string the rules can match.
  size_t chunk_overlap() const;
  const std::vector<std::string>& files() const { return files_; }
  // Never null once loaded; always_scan() when the rules cannot be prefiltered.
  const YaraPrefilter* prefilter() const { return prefilter_.get(); }
  // One line for the operator when the prefilter is off (every byte goes to libyara, several
  // times slower), naming the first rule that forces it; "" when the prefilter is on.
  std::string PrefilterWarning() const;

 private:
  YaraRules() = default;
  void Finish(YR_RULES* rules, const std::vector<RuleSourceText>& sources,
              const std::string& cache_dir = "");
  YR_RULES* rules_ = nullptr;
  std::unique_ptr<const YaraPrefilter> prefilter_;
  std::vector<RuleInfo> infos_;
  std::vector<std::string> files_;
};

struct RuleMatch {
  const RuleInfo* rule = nullptr;  // owned by the YaraRules (rule_infos())
  uint64_t address = 0;            // absolute address of the first matching string
  std::string string_id;           // "$salt"
  uint32_t strings_matched = 0;
};

int YaraCallback(YR_SCAN_CONTEXT* context, int message, void* message_data, void* user_data);

class YaraScanner {
 public:
  explicit YaraScanner(std::shared_ptr<const YaraRules> rules);
  ~YaraScanner();
  YaraScanner(const YaraScanner&) = delete;
  YaraScanner& operator=(const YaraScanner&) = delete;

  // Scans "data" whose first byte sits at "base_address"; appends one RuleMatch per matching
  // rule. Never throws; libyara errors (timeout, too many matches) come back as Error.
  Status Scan(ByteView data, uint64_t base_address, std::vector<RuleMatch>* out);
  // False when the Hyperscan prefilter proves no rule can match "data" (Scan may be skipped);
  // true otherwise, and always when the rules cannot be prefiltered.
  bool MayMatch(ByteView data);
  // Sets the external variables "filename"/"filepath" for rules that use them.
  void SetTarget(const std::string& path);
  const std::shared_ptr<const YaraRules>& rules() const { return rules_; }

 private:
  std::shared_ptr<const YaraRules> rules_;
  YR_SCAN_CONTEXT* scanner_ = nullptr;  // libyara: YR_SCANNER is this type
  std::unique_ptr<PrefilterScratch> prefilter_scratch_;
  // Scratch for the callback.
  std::vector<RuleMatch>* out_ = nullptr;
  uint64_t base_ = 0;
  friend int YaraCallback(YR_SCAN_CONTEXT*, int, void*, void*);
};

}  // namespace mw::match
