// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "store/ingest_audit.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store_json.h"

namespace mw::store {
namespace {

constexpr TimestampUs kSec = 1000000;
constexpr TimestampUs kT0 = 1700000000 * kSec;

Finding MakeFinding(std::string host, std::string indicator, TimestampUs ts, uint64_t count,
                    uint64_t revision, Stage stage = Stage::kMining) {
  Finding f;
  f.category = std::string(category::kPoolProtocol);
  f.resource.host_ip = std::move(host);
  f.indicator = std::move(indicator);
  f.id = Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
  f.stage = stage;
  f.severity = Severity::kHigh;
  f.attack = {"T1496"};
  f.detector = "stratum_session";
  f.evidence = {{"pool", f.indicator}, {"agent", "XMRig/6.16.0"}, {"n", count}};
  f.first_seen = ts;
  f.last_seen = ts;
  f.count = count;
  f.revision = revision;
  return f;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mw_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    SqliteOptions o;
    o.path = (dir_ / "mw.db").string();
    o.evidence_samples = 4;
    auto s = OpenSqliteStore(o);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }
  StoredFinding MustGet(const std::string& id) {
    auto r = store_->Get(id);
    EXPECT_TRUE(r);
    EXPECT_TRUE(r->has_value()) << id;
    return r->value_or(StoredFinding{});
  }

  std::filesystem::path dir_;
  StorePtr store_;
};

TEST_F(StoreTest, CreatesOnceAndFoldsUpdates) {
  Finding f = MakeFinding("10.0.0.5", "pool.example:3333", kT0, 1, 1);
  auto r1 = store_->Upsert({&f, 1}, kT0);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->created, 1u);
  f.count = 7;
  f.revision = 2;
  f.last_seen = kT0 + 30 * kSec;
  auto r2 = store_->Upsert({&f, 1}, kT0 + 30 * kSec);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->created, 0u);
  EXPECT_EQ(r2->updated, 1u);
  auto got = MustGet(f.id);
  EXPECT_EQ(got.finding.count, 7u);
  EXPECT_EQ(got.finding.first_seen, kT0);
  EXPECT_EQ(got.finding.last_seen, kT0 + 30 * kSec);
  EXPECT_EQ(got.finding.revision, 2u);
  EXPECT_EQ(got.state, FindingState::kActive);
  EXPECT_EQ(got.finding.attack, std::vector<std::string>{"T1496"});
  EXPECT_EQ(got.finding.evidence["agent"], "XMRig/6.16.0");
  auto page = store_->List({});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->findings.size(), 1u);
}

TEST_F(StoreTest, CountSurvivesSourceRestart) {
  Finding f = MakeFinding("10.0.0.5", "pool:3333", kT0, 10, 5);
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0));
  // The sensor restarted: its emitter counts from 1 again.
  Finding g = MakeFinding("10.0.0.5", "pool:3333", kT0 + kSec, 3, 1);
  ASSERT_TRUE(store_->Upsert({&g, 1}, kT0 + kSec));
  EXPECT_EQ(MustGet(f.id).finding.count, 13u);
  g.count = 4;
  g.revision = 2;
  ASSERT_TRUE(store_->Upsert({&g, 1}, kT0 + 2 * kSec));
  EXPECT_EQ(MustGet(f.id).finding.count, 14u);
}

TEST_F(StoreTest, MutedStaysMutedResolvedReopens) {
  Finding f = MakeFinding("10.0.0.5", "pool:3333", kT0, 1, 1);
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0));
  ASSERT_TRUE(store_->SetState(f.id, FindingState::kMuted, "lab box", "alice", kT0 + kSec));
  f.count = 2;
  f.revision = 2;
  f.last_seen = kT0 + 2 * kSec;
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0 + 2 * kSec));
  auto got = MustGet(f.id);
  EXPECT_EQ(got.state, FindingState::kMuted);
  EXPECT_EQ(got.state_reason, "lab box");
  EXPECT_EQ(got.state_by, "alice");

  ASSERT_TRUE(store_->SetState(f.id, FindingState::kResolved, "reimaged", "bob", kT0 + 3 * kSec));
  EXPECT_EQ(MustGet(f.id).state, FindingState::kResolved);
  // Old activity (before the resolution) does not reopen it.
  f.revision = 3;
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0 + 4 * kSec));
  EXPECT_EQ(MustGet(f.id).state, FindingState::kResolved);
  // New activity does, and says so.
  f.revision = 4;
  f.count = 3;
  f.last_seen = kT0 + 10 * kSec;
  auto r = store_->Upsert({&f, 1}, kT0 + 10 * kSec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reopened, 1u);
  got = MustGet(f.id);
  EXPECT_EQ(got.state, FindingState::kActive);
  EXPECT_EQ(got.reopen_count, 1u);
  EXPECT_EQ(got.state_reason, "recurred after resolution");
  auto j = ToJson(got, false);
  EXPECT_EQ(j["reopened"], true);

  auto audit = store_->ListAudit(10);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "finding.resolved");
  EXPECT_EQ((*audit)[0].actor, "bob");
  EXPECT_EQ((*audit)[1].action, "finding.muted");
}

TEST_F(StoreTest, SetStateUnknownIdIsNotFound) {
  auto s = store_->SetState("nope", FindingState::kMuted, "", "x", kT0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Error::Code::kNotFound);
  auto audit = store_->ListAudit(10);
  ASSERT_TRUE(audit);
  EXPECT_TRUE(audit->empty());
}

TEST_F(StoreTest, AutoResolveAfterInactivity) {
  Finding old_f = MakeFinding("10.0.0.5", "old:3333", kT0, 1, 1);
  Finding new_f = MakeFinding("10.0.0.5", "new:3333", kT0 + 6 * 86400 * kSec, 1, 1);
  ASSERT_TRUE(store_->Upsert({&old_f, 1}, kT0));
  ASSERT_TRUE(store_->Upsert({&new_f, 1}, kT0 + 6 * 86400 * kSec));
  auto n = store_->AutoResolve(kT0 + 8 * 86400 * kSec, 7 * 86400, 100);
  ASSERT_TRUE(n);
  ASSERT_EQ(n->size(), 1u);
  EXPECT_EQ((*n)[0].finding.id, old_f.id);
  EXPECT_EQ((*n)[0].state, FindingState::kResolved);
  EXPECT_EQ((*n)[0].state_by, "system");
  auto o = MustGet(old_f.id);
  EXPECT_EQ(o.state, FindingState::kResolved);
  EXPECT_EQ(o.state_by, "system");
  EXPECT_EQ(o.state_reason, "no activity for 7d");
  EXPECT_EQ(MustGet(new_f.id).state, FindingState::kActive);
  // Bounded: with a cap of 1, three idle findings take three calls.
  for (int i = 0; i < 3; ++i) {
    Finding f = MakeFinding("10.0.0.6", "idle" + std::to_string(i) + ":3333", kT0, 1, 1);
    ASSERT_TRUE(store_->Upsert({&f, 1}, kT0));
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(store_->AutoResolve(kT0 + 8 * 86400 * kSec, 7 * 86400, 1)->size(), 1u);
  EXPECT_EQ(store_->AutoResolve(kT0 + 8 * 86400 * kSec, 7 * 86400, 1)->size(), 0u);
}

TEST_F(StoreTest, IncidentGroupsHostWithTimeline) {
  Finding dns = MakeFinding("10.0.0.5", "xmr.pool.example", kT0, 1, 1, Stage::kPrecursor);
  dns.category = std::string(category::kBadDomain);
  dns.id = Finding::MakeId(dns.category, dns.resource.host_ip, dns.indicator);
  Finding mining = MakeFinding("10.0.0.5", "xmr.pool.example:3333", kT0 + kSec, 1, 1);
  Finding other = MakeFinding("10.0.0.9", "xmr.pool.example:3333", kT0 + kSec, 1, 1);
  ASSERT_TRUE(store_->Upsert({&dns, 1}, kT0));
  std::vector<Finding> batch = {mining, other};
  ASSERT_TRUE(store_->Upsert(batch, kT0 + kSec));
  ASSERT_TRUE(
      store_->SetState(mining.id, FindingState::kResolved, "killed miner", "bob", kT0 + 5 * kSec));

  auto incidents = store_->ListIncidents(std::nullopt, 10);
  ASSERT_TRUE(incidents);
  ASSERT_EQ(incidents->size(), 2u);
  int64_t id5 = MustGet(dns.id).incident_id;
  EXPECT_EQ(id5, MustGet(mining.id).incident_id);
  EXPECT_NE(id5, MustGet(other.id).incident_id);
  auto inc = store_->GetIncident(id5);
  ASSERT_TRUE(inc && inc->has_value());
  const Incident& i = **inc;
  EXPECT_EQ(i.finding_count, 2u);
  EXPECT_EQ(i.max_stage, Stage::kMining);
  EXPECT_TRUE(i.open);  // the precursor is still active
  ASSERT_EQ(i.timeline.size(), 3u);
  EXPECT_EQ(i.timeline[0].phase, "precursor");
  EXPECT_EQ(i.timeline[1].phase, "mining");
  EXPECT_EQ(i.timeline[2].phase, "remediation");

  ASSERT_TRUE(store_->SetState(dns.id, FindingState::kResolved, "", "bob", kT0 + 6 * kSec));
  inc = store_->GetIncident(id5);
  EXPECT_FALSE((*inc)->open);
}

TEST_F(StoreTest, ListFiltersAndPaginates) {
  std::vector<Finding> batch;
  for (int i = 0; i < 25; ++i) {
    batch.push_back(MakeFinding("10.0.0." + std::to_string(i % 5),
                                "pool" + std::to_string(i) + ":3333", kT0 + i * kSec, 1, 1,
                                i % 2 ? Stage::kMining : Stage::kPrecursor));
  }
  batch[3].severity = Severity::kLow;
  ASSERT_TRUE(store_->Upsert(batch, kT0));

  FindingQuery q;
  q.limit = 10;
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto p = store_->List(q);
    ASSERT_TRUE(p);
    for (auto& f : p->findings) seen.push_back(f.finding.id);
    if (!p->next_cursor) break;
    q.cursor = p->next_cursor;
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), batch[24].id);  // newest first

  FindingQuery by_host;
  by_host.host = "10.0.0.1";
  EXPECT_EQ(store_->List(by_host)->findings.size(), 5u);
  FindingQuery by_stage;
  by_stage.stage = Stage::kMining;
  EXPECT_EQ(store_->List(by_stage)->findings.size(), 12u);
  FindingQuery by_text;
  by_text.text = "pool17:";
  ASSERT_EQ(store_->List(by_text)->findings.size(), 1u);
  FindingQuery by_like;
  by_like.text = "%";  // a literal, not a wildcard
  EXPECT_EQ(store_->List(by_like)->findings.size(), 0u);
  FindingQuery by_sev;
  by_sev.min_severity = Severity::kMedium;
  EXPECT_EQ(store_->List(by_sev)->findings.size(), 24u);
  FindingQuery by_time;
  by_time.since = kT0 + 20 * kSec;
  by_time.until = kT0 + 22 * kSec;
  EXPECT_EQ(store_->List(by_time)->findings.size(), 3u);

  auto counts = store_->Counts({});
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->total, 25u);
  ASSERT_EQ(counts->by_stage.size(), 2u);
  EXPECT_EQ(counts->by_stage[0].first, "precursor");
  EXPECT_EQ(counts->by_stage[0].second, 13u);
}

TEST_F(StoreTest, EvidenceIsBounded) {
  Finding f = MakeFinding("10.0.0.5", "pool:3333", kT0, 1, 1);
  for (int i = 1; i <= 20; ++i) {
    f.evidence["n"] = i;
    f.revision = uint64_t(i);
    f.count = uint64_t(i);
    ASSERT_TRUE(store_->Upsert({&f, 1}, kT0 + i));
  }
  auto got = MustGet(f.id);
  ASSERT_EQ(got.evidence_samples.size(), 4u);
  EXPECT_EQ(got.evidence_samples[0]["n"], 1);   // how it started
  EXPECT_EQ(got.evidence_samples[3]["n"], 20);  // the latest
  f.evidence["blob"] = std::string(100000, 'x');
  f.revision = 21;
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0 + 30));
  got = MustGet(f.id);
  EXPECT_EQ(got.finding.evidence["truncated"], true);
}

TEST_F(StoreTest, StateSurvivesReopenAndSchemaIsVersioned) {
  Finding f = MakeFinding("10.0.0.5", "pool:3333", kT0, 4, 1);
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0));
  ASSERT_TRUE(store_->SetState(f.id, FindingState::kMuted, "known", "alice", kT0 + 1));
  TokenRecord t{"abcd1234", "ops", Role::kResponder, "deadbeef", kT0, "cli"};
  ASSERT_TRUE(store_->PutToken(t));
  EXPECT_FALSE(store_->PutToken(t));  // duplicate name/id
  Reopen();
  auto got = MustGet(f.id);
  EXPECT_EQ(got.state, FindingState::kMuted);
  EXPECT_EQ(got.finding.count, 4u);
  auto tok = store_->GetToken("abcd1234");
  ASSERT_TRUE(tok && tok->has_value());
  EXPECT_EQ((*tok)->role, Role::kResponder);
  EXPECT_EQ((*tok)->secret_hash, "deadbeef");
  EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
  EXPECT_TRUE(*store_->DeleteToken("ops"));
  EXPECT_FALSE(*store_->DeleteToken("ops"));
}

TEST_F(StoreTest, RefusesNewerSchema) {
  store_.reset();
  {
    Db db;
    ASSERT_TRUE(db.Open((dir_ / "mw.db").string(), false));
    ASSERT_TRUE(db.Exec("INSERT INTO schema_version VALUES (999, 0)"));
  }
  SqliteOptions o;
  o.path = (dir_ / "mw.db").string();
  auto s = OpenSqliteStore(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("newer"), std::string::npos);
}

// Text search runs on the FTS5 trigram index for 3+ characters; it must follow inserts, evidence
// updates and deletes, match what LIKE would (substring, ASCII case-insensitive) and survive odd
// input.
TEST_F(StoreTest, TextSearchFollowsTheData) {
  auto hits = [this](std::string text) {
    FindingQuery q;
    q.text = std::move(text);
    auto page = store_->List(q);
    EXPECT_TRUE(page) << (page ? "" : page.error().message());
    std::vector<std::string> ids;
    if (page) {
      for (auto& f : page->findings) ids.push_back(f.finding.indicator);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  using V = std::vector<std::string>;
  Finding a = MakeFinding("10.0.0.5", "alpha.pool.example:3333", kT0, 1, 1);
  Finding b = MakeFinding("10.0.0.6", "beta.pool.example:4444", kT0, 1, 1);
  b.evidence["agent"] = "xmr-stak/2.10 \"quoted\" 100%";
  ASSERT_TRUE(store_->Upsert(std::vector<Finding>{a, b}, kT0));
  EXPECT_EQ(hits("pool.example"), (V{"alpha.pool.example:3333", "beta.pool.example:4444"}));
  EXPECT_EQ(hits("ALPHA.POOL"), (V{"alpha.pool.example:3333"}));  // case-insensitive
  EXPECT_EQ(hits("XMR-STAK"), (V{"beta.pool.example:4444"}));     // in the evidence
  EXPECT_EQ(hits("quoted"), (V{"beta.pool.example:4444"}));
  EXPECT_EQ(hits("100%"), (V{"beta.pool.example:4444"}));      // so is %
  EXPECT_EQ(hits("10.0.0.6"), (V{"beta.pool.example:4444"}));  // host
  EXPECT_EQ(hits("ta"), (V{"beta.pool.example:4444"}));        // short: LIKE path
  EXPECT_EQ(hits("stratum_sess"), (V{"alpha.pool.example:3333", "beta.pool.example:4444"}));
  EXPECT_TRUE(hits("gamma").empty());
  for (const char* odd : {"\"", "\"\"\"", "a OR b", "NEAR(x y)", "*", "col:val", "^abc", "(((("}) {
    (void)hits(odd);  // must not fail the query (checked in hits)
  }
  // An update that changes the evidence moves the index with it.
  Finding b2 = b;
  b2.evidence["agent"] = "SRBMiner-MULTI/2.4";
  b2.count = b2.revision = 2;
  b2.last_seen = kT0 + kSec;
  ASSERT_TRUE(store_->Upsert({&b2, 1}, kT0 + kSec));
  EXPECT_TRUE(hits("xmr-stak").empty());
  EXPECT_EQ(hits("srbminer"), (V{"beta.pool.example:4444"}));
  // Deleted findings (retention) leave the index too.
  ASSERT_TRUE(store_->SetState(b.id, FindingState::kResolved, "", "a", kT0 + 2 * kSec));
  RetentionPolicy p;
  p.resolved_max_age_s = 3600;
  ASSERT_TRUE(store_->ApplyRetention(kT0 + 2 * kSec + 7200 * kSec, p));
  EXPECT_TRUE(hits("srbminer").empty());
  EXPECT_EQ(hits("pool.example"), (V{"alpha.pool.example:3333"}));
}

// A version-1 database (before the text index) is migrated and its rows become searchable.
TEST_F(StoreTest, MigratesVersionOneAndIndexesOldRows) {
  store_.reset();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  {
    Db db;
    ASSERT_TRUE(db.Open((dir_ / "mw.db").string(), false));
    ASSERT_TRUE(CurrentVersion(db));
    ASSERT_TRUE(db.Exec(Migrations()[0]));
    ASSERT_TRUE(db.Exec("INSERT INTO schema_version VALUES (1, 0)"));
    ASSERT_TRUE(db.Exec(
        "INSERT INTO findings(id, category, stage, severity, host_ip, indicator, evidence, "
        "first_seen, "
        "last_seen, count, revision, src_count, src_revision, created_at, updated_at) VALUES "
        "('old1', 'Execution: Cryptomining Pool Protocol', 1, 3, '10.9.9.9', 'legacy.pool:3333', "
        "'{\"agent\":\"XMRig/5.0\"}', 1, 1, 1, 1, 1, 1, 1, 1)"));
  }
  Reopen();
  EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
  FindingQuery q;
  q.text = "xmrig/5";
  auto page = store_->List(q);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->findings.size(), 1u);
  EXPECT_EQ(page->findings[0].finding.id, "old1");
  auto c = store_->Counts({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->total, 1u);
}

// The WAL is recycled by checkpoints during ingest: it stays near SQLite's 1000-page
// auto-checkpoint mark instead of growing with everything ever written.
TEST_F(StoreTest, WalStaysBoundedDuringIngest) {
  std::string pad(2000, 'x');
  for (int b = 0; b < 100; ++b) {
    std::vector<Finding> batch;
    for (int i = 0; i < 100; ++i) {
      Finding f = MakeFinding("10.0.1.1", "w" + std::to_string(b * 100 + i), kT0, 1, 1);
      f.evidence["pad"] = pad + std::to_string(i);
      batch.push_back(std::move(f));
    }
    ASSERT_TRUE(store_->Upsert(batch, kT0));
  }
  auto wal = std::filesystem::file_size(dir_ / "mw.db-wal");
  auto db = std::filesystem::file_size(dir_ / "mw.db");
  // The WAL's high-water mark is a few transactions' worth (~20 MB here); unrecycled it would
  // hold every page ever written, more than the database itself.
  EXPECT_GT(db, 60u << 20) << "the test must write well past the checkpoint mark";
  EXPECT_LT(wal, db / 2) << "WAL " << wal << " bytes, database " << db;
}

// The strings a text query searches, for computing expected results independently.
void EvidenceStrings(const nlohmann::json& j, std::string& out) {
  if (j.is_string()) out += j.get<std::string>() + "\n";
  if (j.is_structured()) {
    for (const auto& v : j) EvidenceStrings(v, out);
  }
}

bool ContainsIgnoreAsciiCase(std::string hay, std::string needle) {
  auto lower = [](std::string& s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  };
  lower(hay);
  lower(needle);
  return hay.find(needle) != std::string::npos;
}

// Every text plan (index first, last_seen walk, walk that runs out of budget and falls back)
// returns exactly the findings a plain substring test selects, newest first, across pages.
TEST_F(StoreTest, TextPlansAgreeWithSubstringSemantics) {
  std::vector<Finding> all;
  for (int i = 0; i < 3000; ++i) {
    Finding f = MakeFinding("10.0." + std::to_string(i % 10) + "." + std::to_string(i / 10 % 250),
                            "pool" + std::to_string(i) + ".example:3333", kT0 + i * kSec, 1, 1);
    f.evidence = {{"agent", i % 3 ? "XMRig/6.16.0" : "xmrig-proxy/5.0"},
                  {"wallet", "4Ab" + std::to_string(i)},
                  {"tags", {"xyzw", "zwxy"}},  // every trigram of "yzwxy", never the string
                  {"jobs", i}};
    if (i == 5) f.evidence["agent"] = "yzwxy-special";
    all.push_back(std::move(f));
  }
  for (size_t i = 0; i < all.size(); i += 500) {
    ASSERT_TRUE(
        store_->Upsert(std::span(all).subspan(i, std::min<size_t>(500, all.size() - i)), kT0));
  }
  struct Config {
    const char* name;
    uint32_t index_candidates;
    uint64_t budget_steps;
  };
  const Config configs[] = {{"default", 2000, 4'000'000},
                            {"always-walk", 0, 1'000'000'000},
                            {"walk-then-index", 0, 1000},
                            {"always-index", 1'000'000'000, 4'000'000}};
  const char* texts[] = {"xmrig", "XMRIG-PROXY", "pool12", "yzwxy",        "4Ab2999",
                         "zw",    "6.16.0",      "3333",   "no-such-thing"};
  for (const auto& cfg : configs) {
    SqliteOptions o;
    o.path = (dir_ / "mw.db").string();
    o.text_index_candidates = cfg.index_candidates;
    o.text_scan_budget_steps = cfg.budget_steps;
    auto st = OpenSqliteStore(o);
    ASSERT_TRUE(st) << st.error().message();
    for (const char* text : texts) {
      for (bool with_host : {false, true}) {
        SCOPED_TRACE(std::string(cfg.name) + " q=" + text + (with_host ? " host" : ""));
        std::vector<std::string> want;
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
          std::string hay = it->indicator + "\n" + it->category + "\n" + it->detector + "\n" +
                            it->resource.host_ip + "\n";
          EvidenceStrings(it->evidence, hay);
          if (with_host && it->resource.host_ip != "10.0.3.7") continue;
          if (ContainsIgnoreAsciiCase(hay, text)) want.push_back(it->id);
        }
        FindingQuery q;
        q.text = text;
        if (with_host) q.host = "10.0.3.7";
        q.limit = 997;
        std::vector<std::string> got;
        for (int page = 0; page < 10; ++page) {
          auto p = (*st)->List(q);
          ASSERT_TRUE(p) << p.error().message();
          for (auto& f : p->findings) got.push_back(f.finding.id);
          if (!p->next_cursor) break;
          q.cursor = p->next_cursor;
        }
        EXPECT_EQ(got, want);
        q.cursor.reset();
        auto c = (*st)->Counts(q);
        ASSERT_TRUE(c) << c.error().message();
        EXPECT_EQ(c->total, want.size());
        EXPECT_TRUE(c->exact);
      }
    }
  }
}

// The maintained counters equal a GROUP BY over the table after inserts, escalations, state
// changes, auto-resolve and retention, and filtered counts read them.
TEST_F(StoreTest, CountersStayExactThroughEveryWrite) {
  std::vector<Finding> batch;
  for (int i = 0; i < 60; ++i) {
    Finding f = MakeFinding("10.0.0." + std::to_string(i % 7), "p" + std::to_string(i),
                            kT0 + i * kSec, 1, 1, i % 2 ? Stage::kMining : Stage::kPrecursor);
    f.severity = Severity(i % 5);
    if (i % 4 == 0) f.category = std::string(category::kBadDomain);
    batch.push_back(std::move(f));
  }
  ASSERT_TRUE(store_->Upsert(batch, kT0));
  for (int i = 0; i < 60; i += 3) {  // escalate and re-grade some
    batch[size_t(i)].stage = Stage::kMining;
    batch[size_t(i)].severity = Severity::kCritical;
    batch[size_t(i)].revision = batch[size_t(i)].count = 2;
    batch[size_t(i)].last_seen += 100 * kSec;
  }
  ASSERT_TRUE(store_->Upsert(batch, kT0 + 200 * kSec));
  ASSERT_TRUE(store_->SetState(batch[1].id, FindingState::kMuted, "known", "a", kT0 + 201 * kSec));
  ASSERT_TRUE(store_->SetState(batch[2].id, FindingState::kResolved, "", "a", kT0 + 201 * kSec));
  ASSERT_TRUE(store_->SetState(batch[2].id, FindingState::kActive, "", "a", kT0 + 202 * kSec));
  ASSERT_TRUE(store_->AutoResolve(kT0 + 150 * kSec, 60, 10));
  RetentionPolicy p;
  p.max_findings = 50;
  ASSERT_TRUE(store_->ApplyRetention(kT0 + 300 * kSec, p));

  Db db;
  ASSERT_TRUE(db.Open((dir_ / "mw.db").string(), true));
  auto group = [&](const char* sql) {
    std::vector<std::string> rows;
    auto s = db.Prepare(sql);
    EXPECT_TRUE(s);
    while (s && *s->Step()) {
      rows.push_back(s->Text(0) + "|" + s->Text(1) + "|" + s->Text(2) + "|" + s->Text(3) + "|" +
                     s->Text(4));
    }
    return rows;
  };
  auto want = group(
      "SELECT category, stage, state, severity, COUNT(*) FROM findings GROUP BY 1, 2, 3, 4 ORDER "
      "BY 1, 2, 3, 4");
  auto got = group(
      "SELECT category, stage, state, severity, n FROM finding_counts WHERE n > 0 ORDER BY 1, 2, "
      "3, 4");
  EXPECT_EQ(got, want);
  EXPECT_GE(want.size(), 10u) << "the test must exercise many facet combinations";

  FindingQuery q;
  q.stage = Stage::kMining;
  q.min_severity = Severity::kMedium;
  q.state = FindingState::kActive;
  auto c = store_->Counts(q);
  ASSERT_TRUE(c);
  auto s =
      db.Prepare("SELECT COUNT(*) FROM findings WHERE stage = 1 AND severity >= 2 AND state = 0");
  ASSERT_TRUE(s && *s->Step());
  EXPECT_EQ(c->total, uint64_t(s->Int(0)));
  EXPECT_TRUE(c->exact);
  EXPECT_EQ(store_->Counts({})->total, 50u);
}

// Counts that cannot come from the counters stop at kCountCap and say so.
TEST_F(StoreTest, CappedCountsAreFlagged) {
  std::vector<Finding> batch;
  for (uint64_t i = 0; i < kCountCap + 50; ++i) {
    batch.push_back(MakeFinding(i < 20 ? "10.0.0.2" : "10.0.0.1", "x" + std::to_string(i),
                                kT0 + int64_t(i), 1, 1));
    if (batch.size() == 2000) {
      ASSERT_TRUE(store_->Upsert(batch, kT0));
      batch.clear();
    }
  }
  ASSERT_TRUE(store_->Upsert(batch, kT0));
  auto all = store_->Counts({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, kCountCap + 50);
  EXPECT_TRUE(all->exact);
  FindingQuery q;
  q.host = "10.0.0.1";
  auto busy = store_->Counts(q);
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->total, kCountCap);
  EXPECT_FALSE(busy->exact);
  EXPECT_EQ(ToJson(*busy)["count_exact"], false);
  q.host = "10.0.0.2";
  EXPECT_EQ(store_->Counts(q)->total, 20u);
  EXPECT_TRUE(store_->Counts(q)->exact);
  FindingQuery text;
  text.text = "xmrig";  // every finding
  auto common = store_->Counts(text);
  ASSERT_TRUE(common);
  EXPECT_EQ(common->total, kCountCap);
  EXPECT_FALSE(common->exact);
  text.text = "x1004";  // x1004, x10040..x10049
  EXPECT_EQ(store_->Counts(text)->total, 11u);
}

TEST_F(StoreTest, RetentionDropsOldResolvedFirst) {
  std::vector<Finding> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(MakeFinding("10.0.0.1", "p" + std::to_string(i), kT0 + i * kSec, 1, 1));
  }
  ASSERT_TRUE(store_->Upsert(batch, kT0));
  ASSERT_TRUE(store_->SetState(batch[9].id, FindingState::kResolved, "", "a", kT0 + 100 * kSec));
  RetentionPolicy p;
  p.max_findings = 8;
  auto n = store_->ApplyRetention(kT0 + 200 * kSec, p);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_FALSE(store_->Get(batch[9].id)->has_value());  // resolved goes first, though newest
  EXPECT_FALSE(store_->Get(batch[0].id)->has_value());  // then the oldest
  EXPECT_TRUE(store_->Get(batch[1].id)->has_value());
}

nlohmann::json AuditDetail(const AuditEntry& e) { return nlohmann::json::parse(e.detail); }

TEST_F(StoreTest, IngestIsAuditedWithActorAndChangedFields) {
  Finding f = MakeFinding("10.0.0.5", "pool.example:3333", kT0, 1, 1, Stage::kPrecursor);
  ASSERT_TRUE(IngestAudited(*store_, {&f, 1}, "token:agent-1", kT0));
  auto audit = store_->ListAudit(10);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].actor, "token:agent-1");
  EXPECT_EQ((*audit)[0].action, "finding.ingest");
  EXPECT_EQ((*audit)[0].target, f.id);
  EXPECT_EQ(AuditDetail((*audit)[0])["change"], "created");

  // What finding 5 of the hardening review did without a trace: rewrite triage fields.
  f.category = std::string(category::kBadIp);
  f.severity = Severity::kCritical;
  f.stage = Stage::kMining;
  f.evidence = {{"rewritten", true}};
  f.count = 4;
  f.revision = 2;
  int hook_calls = 0;
  UpsertFn hook = [&](std::span<const Finding> b) {
    ++hook_calls;
    return store_->Upsert(b, kT0 + kSec);
  };
  auto out = IngestAudited(*store_, {&f, 1}, "token:responder-2", kT0 + kSec, hook);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(hook_calls, 1);
  EXPECT_EQ(out->updated, 1u);
  audit = store_->ListAudit(10);
  ASSERT_EQ(audit->size(), 2u);
  const AuditEntry& e = (*audit)[0];  // newest first
  EXPECT_EQ(e.actor, "token:responder-2");
  EXPECT_EQ(e.target, f.id);
  EXPECT_EQ(e.ts, kT0 + kSec);
  auto d = AuditDetail(e);
  EXPECT_EQ(d["change"], "updated");
  EXPECT_EQ(d["severity"], (nlohmann::json{{"from", "high"}, {"to", "critical"}}));
  EXPECT_EQ(d["category"], (nlohmann::json{{"from", std::string(category::kPoolProtocol)},
                                           {"to", std::string(category::kBadIp)}}));
  EXPECT_EQ(d["stage"], (nlohmann::json{{"from", "precursor"}, {"to", "mining"}}));
  EXPECT_EQ(d["fields"], (nlohmann::json{"category", "severity", "stage", "evidence", "count"}));
  // The API's JSON form carries the detail as an object.
  EXPECT_EQ(ToJson(e)["detail"]["severity"]["to"], "critical");

  // A resend that changes nothing adds no entry; new activity is named field by field.
  ASSERT_TRUE(IngestAudited(*store_, {&f, 1}, "token:responder-2", kT0 + 2 * kSec));
  EXPECT_EQ(store_->ListAudit(10)->size(), 2u);
  f.last_seen = kT0 + 60 * kSec;
  f.count = 9;
  f.revision = 3;
  ASSERT_TRUE(IngestAudited(*store_, {&f, 1}, "token:agent-1", kT0 + 61 * kSec));
  audit = store_->ListAudit(10);
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ(AuditDetail((*audit)[0])["fields"], (nlohmann::json{"last_seen", "count"}));
  EXPECT_FALSE(AuditDetail((*audit)[0]).contains("severity"));
}

TEST_F(StoreTest, IngestAuditsEveryFindingOfTheBatchInOneWrite) {
  std::vector<Finding> batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back(MakeFinding("10.0.0." + std::to_string(i), "pool:3333", kT0, 1, 1));
  }
  auto out = IngestAudited(*store_, batch, "token:bulk", kT0);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->created, 50u);
  ASSERT_EQ(out->changes.size(), 50u);
  auto audit = store_->ListAudit(100);
  ASSERT_EQ(audit->size(), 50u);
  for (const auto& e : *audit) EXPECT_EQ(e.actor, "token:bulk");
  EXPECT_EQ(audit->back().target, batch.front().id);  // in batch order
  // The sensor's own writes (Upsert without an actor) are not audited.
  ASSERT_TRUE(store_->Upsert(batch, kT0 + kSec));
  EXPECT_EQ(store_->ListAudit(100)->size(), 50u);
}

TEST_F(StoreTest, RunningCountSaturates) {
  Finding f = MakeFinding("10.0.0.5", "pool:3333", kT0, kMaxFindingCount, 5);
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0));
  f.revision = 1;  // a restarted source: its count is added to the total
  ASSERT_TRUE(store_->Upsert({&f, 1}, kT0 + kSec));
  EXPECT_EQ(MustGet(f.id).finding.count, kMaxFindingCount);
}

mode_t ModeOf(const std::filesystem::path& p) {
  struct stat st;
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST_F(StoreTest, StoreFileAndFolderAreOwnerOnly) {
  // umask 0: the modes come from the store, not from a careful caller.
  mode_t old_umask = ::umask(0);
  SqliteOptions o;
  o.path = (dir_ / "state" / "db" / "mw.db").string();
  std::vector<std::string> warnings;
  o.warn = [&](const std::string& m) { warnings.push_back(m); };
  auto s = OpenSqliteStore(o);
  ::umask(old_umask);
  ASSERT_TRUE(s) << s.error().message();
  Finding f = MakeFinding("10.0.0.5", "pool:3333", kT0, 1, 1);
  ASSERT_TRUE((*s)->Upsert({&f, 1}, kT0));  // the WAL and its index exist from here
  EXPECT_EQ(ModeOf(dir_ / "state"), 0700u);
  EXPECT_EQ(ModeOf(dir_ / "state" / "db"), 0700u);
  EXPECT_EQ(ModeOf(o.path), 0600u);
  EXPECT_EQ(ModeOf(o.path + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(o.path + "-shm"), 0600u);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
}

TEST_F(StoreTest, ExistingStoreOpenToOthersIsTightened) {
  auto own = dir_ / "own";
  auto shared = dir_ / "shared";
  for (const auto& d : {own, shared}) {
    SqliteOptions o;
    o.path = (d / "mw.db").string();
    ASSERT_TRUE(OpenSqliteStore(o));
    ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(o.path.c_str(), 0644), 0);
  }
  std::ofstream(shared / "other.txt") << "not the store's\n";
  for (const auto& d : {own, shared}) {
    SqliteOptions o;
    o.path = (d / "mw.db").string();
    std::vector<std::string> warnings;
    o.warn = [&](const std::string& m) { warnings.push_back(m); };
    ASSERT_TRUE(OpenSqliteStore(o));
    EXPECT_EQ(ModeOf(o.path), 0600u);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[1].find("mw.db was 0644; set to 0600"), std::string::npos) << warnings[1];
  }
  EXPECT_EQ(ModeOf(own), 0700u);     // nothing but the store in it
  EXPECT_EQ(ModeOf(shared), 0755u);  // someone else's files too: warned, not changed
}

}  // namespace
}  // namespace mw::store
