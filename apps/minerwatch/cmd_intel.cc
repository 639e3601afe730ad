// minerwatch — SPDX-License-Identifier: Apache-2.0
// "minerwatch intel import|check|stats": manage the intel dir and explain verdicts. Thin: all
// parsing and matching lives in src/intel (mw_intel).
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "commands.h"
#include "intel/indicator.h"
#include "intel/intel_loader.h"
#include "intel/intel_parse.h"
#include "intel/intel_store.h"

namespace mw::cli {
namespace {

using intel::Format;
using intel::ListKind;

struct ImportArgs {
  std::vector<std::string> files;
  std::string format = "auto";
  bool allow = false;
  bool subdomains = false;
  bool allow_broad = false;
  std::string source;
  std::string category = "intel";
  std::string intel_dir;
};

struct CheckArgs {
  std::string query;
  std::string intel_dir;
  bool no_defaults = false;
};

struct StatsArgs {
  std::string intel_dir;
  bool no_defaults = false;
};

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// One clear line on stderr, exit code 2.
int Error(const std::string& message) {
  std::fprintf(stderr, "minerwatch: error: %s\n", message.c_str());
  return kExitError;
}

// One line per reason with its count and the first examples ("line 3: '0.0.0.0/0'").
void PrintRejections(const intel::ImportStats& s, bool allow_broad) {
  for (size_t i = 1; i < intel::kRejectReasons; ++i) {
    if (!s.rejected[i]) continue;
    auto r = static_cast<intel::RejectReason>(i);
    std::printf("  rejected %llu: %s\n", static_cast<unsigned long long>(s.rejected[i]),
                std::string(intel::RejectReasonText(r)).c_str());
    for (const auto& e : s.examples) {
      if (e.reason != r) continue;
      if (e.line) {
        std::printf("    line %zu: %s\n", e.line, e.text.c_str());
      } else {
        std::printf("    %s\n", e.text.c_str());
      }
    }
  }
  if (s.broad && !allow_broad) {
    std::printf("  (match-everything entries are refused; --allow-broad keeps them)\n");
  }
}

int RunImport(const ImportArgs& args) {
  auto format = intel::ParseFormat(args.format);
  if (!format) return Error(format.error().message());
  std::string dir = args.intel_dir.empty() ? intel::DefaultIntelDir() : args.intel_dir;
  // Read and parse everything first: a bad file leaves the intel dir untouched.
  struct Pending {
    std::string origin;
    std::vector<intel::Indicator> indicators;
  };
  std::map<std::string, Pending> by_source;
  std::vector<std::pair<std::string, intel::ImportStats>> report;
  for (const std::string& path : args.files) {
    auto text = intel::ReadTextFile(path);
    if (!text) return Error(text.error().message());
    auto parsed = intel::ParseIntel(
        *text, intel::ParseOptions{.format = *format,
                                   .list = args.allow ? ListKind::kAllow : ListKind::kBlock,
                                   .subdomains = args.subdomains,
                                   .allow_broad = args.allow_broad});
    if (!parsed) return Error(path + ": " + parsed.error().message());
    std::string source =
        intel::SanitizeSourceName(args.source.empty() ? BaseName(path) : args.source);
    Pending& p = by_source[source];
    if (!p.origin.empty()) p.origin += " ";
    p.origin += path;
    for (intel::Indicator& ind : parsed->indicators) {
      if (ind.category.empty()) ind.category = args.category;
      p.indicators.push_back(std::move(ind));
    }
    report.emplace_back(path, parsed->stats);
  }
  for (auto& [source, pending] : by_source) {
    auto written =
        intel::WriteSource(dir, source, pending.origin, pending.indicators, args.allow_broad);
    if (!written) return Error(written.error().message());
  }
  for (const auto& [path, s] : report) {
    std::printf(
        "%s: format=%s domains=%llu ips=%llu cidrs=%llu skipped=%llu invalid=%llu broad=%llu\n",
        path.c_str(), std::string(intel::FormatName(s.format)).c_str(),
        static_cast<unsigned long long>(s.domains), static_cast<unsigned long long>(s.ips),
        static_cast<unsigned long long>(s.cidrs), static_cast<unsigned long long>(s.skipped),
        static_cast<unsigned long long>(s.invalid), static_cast<unsigned long long>(s.broad));
    PrintRejections(s, args.allow_broad);
  }
  for (const auto& [source, pending] : by_source) {
    std::printf("stored source '%s' (%zu entries) in %s\n", source.c_str(),
                pending.indicators.size(), dir.c_str());
  }
  return kExitClean;
}

void PrintEntry(const char* label, std::string_view pattern, const intel::Entry& e) {
  std::printf("  %s: %.*s\n", label, static_cast<int>(pattern.size()), pattern.data());
  std::printf("    source:   %s\n", e.source.c_str());
  std::printf("    category: %s\n", e.category.c_str());
  if (!e.note.empty()) std::printf("    note:     %s\n", e.note.c_str());
  if (e.score) std::printf("    score:    %d\n", *e.score);
}

int RunCheck(const CheckArgs& args) {
  auto store = intel::LoadIntel(
      intel::IntelOptions{.load_defaults = !args.no_defaults, .intel_dir = args.intel_dir});
  if (!store) return Error(store.error().message());
  // Accept what people paste: a name, an address, a URL, "host:port".
  intel::Token t = intel::ClassifyToken(args.query);
  std::optional<intel::Match> m;
  std::string what;
  switch (t.kind) {
    case intel::TokenKind::kDomain:
      what = t.pattern;
      m = store->LookupDomain(t.pattern);
      break;
    case intel::TokenKind::kIp:
    case intel::TokenKind::kSinkhole: {
      auto ip = IpAddress::Parse(t.pattern.empty() ? args.query : t.pattern);
      if (!ip) return Error("'" + args.query + "' is not a domain name or an IP address");
      what = ip->ToString();
      m = store->LookupIp(*ip);
      break;
    }
    default:
      return Error("'" + args.query + "' is not a domain name or an IP address");
  }
  if (!m) {
    std::printf("%s: not listed\n", what.c_str());
    return kExitClean;
  }
  if (m->list == ListKind::kAllow) {
    std::printf("%s: allowlisted (not treated as mining infrastructure)\n", what.c_str());
    PrintEntry("allowlist match", m->pattern, *m->entry);
    if (m->overridden != nullptr) {
      std::printf("  the allowlist overrides a blocklist entry:\n");
      PrintEntry("blocklist match", m->overridden_pattern, *m->overridden);
    }
    return kExitClean;
  }
  std::printf("%s: LISTED (blocklist)\n", what.c_str());
  PrintEntry("blocklist match", m->pattern, *m->entry);
  return kExitFindings;
}

int RunStats(const StatsArgs& args) {
  std::string dir = args.intel_dir.empty() ? intel::DefaultIntelDir() : args.intel_dir;
  auto store =
      intel::LoadIntel(intel::IntelOptions{.load_defaults = !args.no_defaults, .intel_dir = dir});
  if (!store) return Error(store.error().message());
  std::printf("intel dir: %s\n", dir.c_str());
  std::printf("%-32s %-6s %10s %10s\n", "source", "list", "domains", "ips+cidrs");
  for (const auto& [key, counts] : store->CountsBySource()) {
    std::printf("%-32s %-6s %10llu %10llu\n", key.first.c_str(),
                std::string(intel::ListKindName(key.second)).c_str(),
                static_cast<unsigned long long>(counts.domains),
                static_cast<unsigned long long>(counts.ips));
  }
  std::printf("total: %llu domain patterns, %llu IPs/CIDRs, %llu pool ports\n",
              static_cast<unsigned long long>(store->domain_count()),
              static_cast<unsigned long long>(store->ip_count()),
              static_cast<unsigned long long>(store->port_count()));
  return kExitClean;
}

}  // namespace

void AddIntelCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* intel = app.add_subcommand("intel", "Threat intelligence: pool lists and allowlists");
  intel->require_subcommand(1);

  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* imp = intel->add_subcommand(
      "import",
      "Parse public lists and store them, normalized, in the intel dir (one file per "
      "source; re-importing a source replaces it)");
  imp->add_option("files", import_args->files, "List files to import")->required();
  imp->add_option("--format", import_args->format,
                  "auto|plain|hosts|adblock|csv|stix|misp|json|tsv (auto: detect from content)")
      ->capture_default_str();
  imp->add_flag("--allow", import_args->allow, "Store the entries as an allowlist");
  imp->add_flag("--subdomains", import_args->subdomains,
                "Treat bare names as the name and all its subdomains");
  imp->add_flag("--allow-broad", import_args->allow_broad,
                "Keep match-everything entries: IPv4 prefixes shorter than /8, IPv6 shorter "
                "than /16, bare public suffixes such as com or co.uk (refused by default: one "
                "makes every connection a finding, or on an allowlist hides every finding)");
  imp->add_option("--source", import_args->source, "Source name (default: the file name)");
  imp->add_option("--category", import_args->category, "Category for the entries")
      ->capture_default_str();
  imp->add_option("--intel-dir", import_args->intel_dir,
                  "Intel dir (default: $MINERWATCH_STATE_DIR/intel, /var/lib/minerwatch/intel "
                  "as root, else ~/.local/state/minerwatch/intel)");
  imp->callback([import_args, &ctx] { ctx.exit_code = RunImport(*import_args); });

  auto check_args = std::make_shared<CheckArgs>();
  CLI::App* check = intel->add_subcommand(
      "check", "Explain the verdict for a name or an IP (exit 1 when blocklisted)");
  check->add_option("query", check_args->query, "Domain name, IP address or URL")->required();
  check->add_option("--intel-dir", check_args->intel_dir, "Intel dir");
  check->add_flag("--no-defaults", check_args->no_defaults, "Leave out the built-in lists");
  check->callback([check_args, &ctx] { ctx.exit_code = RunCheck(*check_args); });

  auto stats_args = std::make_shared<StatsArgs>();
  CLI::App* stats = intel->add_subcommand("stats", "Entries per source and list");
  stats->add_option("--intel-dir", stats_args->intel_dir, "Intel dir");
  stats->add_flag("--no-defaults", stats_args->no_defaults, "Leave out the built-in lists");
  stats->callback([stats_args, &ctx] { ctx.exit_code = RunStats(*stats_args); });
}

}  // namespace mw::cli
