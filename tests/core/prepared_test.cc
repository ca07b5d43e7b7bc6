// A recover, replay_storage, verify, truncate, compact, add_consumer or
// rebuild step prepared in parts (Simulator::Prepare, AdvancePrepared), as the page takes one at scale: the step then gives the
// same result and leaves the same engine as without the work done ahead,
// whatever the size of the parts; the work changes nothing until the step;
// any other step drops it; and a step that cannot be prepared is refused
// with the field named.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>

#include "core/simulator.h"

namespace unbundled {
namespace {

// A random step over a few keys: writes (some with request ids), flushes,
// syncs, checkpoints, crashes of both kinds, rotted bytes, recoveries in
// every mode, truncations and compactions (forced or not), storage
// replays, late consumers added, rebuilt and removed. Valid or not: the simulator refuses what does not apply.
Json RandomStep(std::mt19937* rng, Lsn head) {
  auto pick = [rng](int n) { return static_cast<int>((*rng)() % static_cast<unsigned>(n)); };
  const std::string key = "k" + std::to_string(pick(12));
  const Lsn some = head == 0 ? 1 : 1 + static_cast<Lsn>(pick(static_cast<int>(head)));
  switch (pick(28)) {
    case 0: case 1: case 2: case 3: case 4: case 5:
      return {{"op", "put"}, {"key", key}, {"value", {{"city", pick(2) ? "Oslo" : "Lima"}, {"n", pick(100)}}}};
    case 6: return {{"op", "put"}, {"key", key}, {"value", {{"n", pick(9)}}}, {"request_id", "r" + std::to_string(pick(6))}};
    case 7: return {{"op", "delete"}, {"key", key}};
    case 8: return {{"op", "flush"}};
    case 9: return {{"op", "sync"}};
    case 10: return {{"op", "checkpoint"}};
    case 11: return {{"op", "crash"}, {"kind", pick(2) ? "process" : "power"}};
    case 12: return {{"op", "corrupt"}, {"lsn", some}};
    case 13: case 14: {
      const char* modes[] = {"point_in_time", "absolute", "skip"};
      return pick(4) == 0 ? Json{{"op", "recover"}} : Json{{"op", "recover"}, {"recovery", modes[pick(3)]}};
    }
    case 15: return {{"op", "truncate"}, {"before", some}, {"force", pick(2) == 0}};
    case 16: {
      // Dropping tombstones too, at most up to `upto` (else refused).
      const Lsn before = 1 + static_cast<Lsn>(pick(static_cast<int>(some)));
      return pick(2) ? Json{{"op", "compact"}, {"upto", some}}
                     : Json{{"op", "compact"}, {"upto", some}, {"tombstones_before", before}};
    }
    case 17: return {{"op", "replay_storage"}};
    case 18: return {{"op", "configure"}, {"commit", pick(2) ? "sync" : "async"}};
    case 19: case 20: return {{"op", "verify"}};
    case 21: return {{"op", "crash_consumer"}, {"consumer", pick(2) ? "stats" : "alone"}};
    case 22: return {{"op", "step"}, {"consumer", pick(2) ? "search" : "alone"}};
    case 23: {
      // A late consumer, by snapshot (or now and then by replay); its name
      // may be taken already, or its kind unknown: refused.
      const std::string name = "late" + std::to_string(pick(3));
      const char* types[] = {"secondary_index", "full_text", "materialized_view", "graph"};
      Json consumer = {{"name", name}, {"type", types[pick(4)]}, {"field", "city"},
                       {"fields", {"city"}}, {"group_by", "city"}, {"sum", "n"}};
      if (consumer["type"] == "secondary_index") consumer.erase("fields");
      if (consumer["type"] != "secondary_index") consumer.erase("field");
      if (consumer["type"] != "materialized_view") consumer.erase("group_by"), consumer.erase("sum");
      return pick(5) == 0 ? Json{{"op", "add_consumer"}, {"mode", "replay"}, {"consumer", consumer}}
                          : Json{{"op", "add_consumer"}, {"consumer", consumer}};
    }
    case 24: {
      const char* names[] = {"by_city", "stats", "search", "alone", "late0", "late1", "late2"};
      return {{"op", "rebuild"}, {"consumer", names[pick(7)]}};
    }
    case 25: return {{"op", "remove_consumer"}, {"consumer", "late" + std::to_string(pick(3))}};
    default: return {{"op", "put"}, {"key", key}, {"value", {{"n", pick(3)}}}};
  }
}

// Consumers of every kind; "alone" commits only its position (its state
// lives elsewhere), so a crash of it leaves a state verify finds wrong.
void AddConsumers(Simulator* sim) {
  for (const char* c : {
           R"({"op":"add_consumer","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})",
           R"({"op":"add_consumer","consumer":{"name":"stats","type":"materialized_view","group_by":"city","sum":"n"}})",
           R"({"op":"add_consumer","consumer":{"name":"search","type":"full_text","fields":["city"]}})",
           R"({"op":"add_consumer","consumer":{"name":"alone","type":"materialized_view","group_by":"city","sum":"n","offsets":"separate","commit_every":3}})"}) {
    ASSERT_TRUE(sim->Apply(Json::parse(c))["ok"].get<bool>()) << c;
  }
}

// Takes `step` on `sim` prepared in parts of `part` log records; the
// number of AdvancePrepared calls it took goes to *calls.
Json Prepared(Simulator* sim, const Json& step, std::size_t part, std::size_t* calls) {
  Json progress = sim->Prepare(step);
  EXPECT_TRUE(progress["ok"].get<bool>()) << progress.dump();
  *calls = 0;
  while (progress["ok"].get<bool>() && !progress["done"].get<bool>()) {
    progress = sim->AdvancePrepared(part);
    ++*calls;
    EXPECT_LE(progress["at"].get<std::size_t>(), progress["of"].get<std::size_t>());
  }
  return sim->Apply(step);
}

// Seeds are deterministic; UNBUNDLED_PREPARED_SEEDS sets how many (CI runs
// the default; README, "Tests", gives the longer command).
std::size_t SeedCount() {
  const char* env = std::getenv("UNBUNDLED_PREPARED_SEEDS");
  return env != nullptr ? std::strtoul(env, nullptr, 10) : 8;
}

// Over random histories, at each recover, replay_storage, verify, truncate,
// compact, add_consumer and rebuild step, a copy takes it prepared in parts
// of 1, 2, 7 and 1,000 records: the same result as the live simulator's unprepared step, and the
// same state. Another takes it as text, whose answer is the result's text.
TEST(PreparedProperty, APreparedStepEqualsTheStepTakenInOneGo) {
  std::size_t compared = 0, refused = 0, in_parts = 0, inconsistent = 0, removals = 0, missed = 0,
              snapshots = 0;
  for (unsigned seed = 1; seed <= SeedCount(); ++seed) {
    std::mt19937 rng(seed);
    Simulator live;
    AddConsumers(&live);
    for (int i = 0; i < 400; ++i) {
      const Json step = RandomStep(&rng, live.engine().wal().head());
      const std::string op = step["op"];
      // (A consumer added by replay reads nothing as it joins: not prepared.)
      const bool by_replay = step.contains("mode") && step["mode"] == "replay";
      if (op != "recover" && op != "replay_storage" && op != "verify" && op != "truncate" &&
          op != "compact" && !(op == "add_consumer" && !by_replay) && op != "rebuild") {
        live.Apply(step);
        continue;
      }
      std::vector<std::unique_ptr<Simulator>> copies;
      for (int k = 0; k < 5; ++k) copies.push_back(live.Clone());
      const Json want = live.Apply(step);
      const std::string want_state = live.StateJson();
      // As text (the module's answer, whose removed LSNs are written as
      // text): dump()'s bytes of the same result.
      ASSERT_EQ(copies[4]->Apply(step.dump()), want.dump()) << "seed " << seed << ", step " << i;
      const std::size_t parts[] = {1, 2, 7, 1000};
      for (int k = 0; k < 4; ++k) {
        const Json prepare = copies[k]->Prepare(step);
        if (!prepare["ok"].get<bool>()) {
          // Refused up front: what the step itself says, word for word.
          ASSERT_FALSE(want["ok"].get<bool>()) << "seed " << seed << ": " << prepare.dump();
          ASSERT_EQ(prepare["error"], want["error"]);
          continue;
        }
        std::size_t calls = 0;
        const Json got = Prepared(copies[k].get(), step, parts[k], &calls);
        if (calls > 2 && want.contains("snapshot_rows")) ++snapshots;
        ASSERT_EQ(got, want) << "seed " << seed << ", step " << i << ", parts of " << parts[k];
        ASSERT_EQ(copies[k]->StateJson(), want_state) << "seed " << seed << ", step " << i;
        if (calls > 2) ++in_parts;
      }
      ++compared;
      if (!want["ok"].get<bool>()) ++refused;
      if (want.contains("consistent") && !want["consistent"].get<bool>()) ++inconsistent;
      if (want.contains("removed") && !want["removed"].empty()) ++removals;
      if (want.contains("missed_deletes") && !want["missed_deletes"].empty()) ++missed;
    }
  }
  // The histories did exercise it: steps prepared, taken and refused,
  // verifies that found a difference, truncations and compactions that
  // removed entries, and compactions whose dropped tombstones consumers missed.
  EXPECT_GT(compared, 20 * SeedCount());
  EXPECT_GT(compared, refused);
  EXPECT_GT(in_parts, 10 * SeedCount());
  EXPECT_GT(inconsistent, 0u);
  EXPECT_GT(removals, 2 * SeedCount());
  EXPECT_GT(missed, 0u);
  EXPECT_GT(snapshots, 2 * SeedCount());
}


// A history of 300 writes, a checkpoint, a crash: work prepared part way,
// or to its end, changes nothing that state() or view() shows; dropped by
// another step, the engine is as if it had never been prepared.
class PreparedWork : public ::testing::Test {
 protected:
  void SetUp() override {
    AddConsumers(&sim_);
    for (int i = 0; i < 300; ++i) {
      sim_.Apply(Json{{"op", "put"}, {"key", "k" + std::to_string(i % 50)}, {"value", {{"city", i % 3 ? "Oslo" : "Lima"}, {"n", i}}}});
      if (i == 150) sim_.Apply(Json{{"op", "checkpoint"}});
    }
    sim_.Apply(Json{{"op", "flush"}});
  }
  std::string Shown() const {
    return sim_.StateJson() + sim_.View(Json::object()).dump();
  }
  // Work prepared to its end for `prepared`, then the step `taken` (for
  // other LSNs, another consumer, another kind): it does its own work, as
  // on a copy that prepared nothing, and leaves no work behind.
  void ExpectNotUsed(const Json& prepared, const Json& taken) {
    auto sim = sim_.Clone();
    auto copy = sim_.Clone();
    const Json want = copy->Apply(taken);
    ASSERT_TRUE(want["ok"].get<bool>()) << want.dump();
    Json p = sim->Prepare(prepared);
    ASSERT_TRUE(p["ok"].get<bool>()) << prepared.dump();
    while (!p["done"].get<bool>()) p = sim->AdvancePrepared(100000);
    EXPECT_EQ(sim->Apply(taken), want) << prepared.dump() << " then " << taken.dump();
    EXPECT_EQ(sim->StateJson(), copy->StateJson());
    EXPECT_FALSE(sim->engine().has_prepared()) << prepared.dump() << " then " << taken.dump();
  }
  Simulator sim_;
};

TEST_F(PreparedWork, ChangesNothingUntilTheStepAndAnotherStepDropsIt) {
  ASSERT_TRUE(sim_.Apply(Json{{"op", "crash"}, {"kind", "process"}})["ok"].get<bool>());
  const std::string before = Shown();
  Json p = sim_.Prepare(Json{{"op", "recover"}});
  ASSERT_TRUE(p["ok"].get<bool>()) << p.dump();
  EXPECT_EQ(p["phase"], "reading");
  EXPECT_EQ(p["at"], 0);
  EXPECT_EQ(p["of"], sim_.engine().wal().file().size());
  p = sim_.AdvancePrepared(100);
  EXPECT_FALSE(p["done"].get<bool>());
  EXPECT_EQ(p["phase"], "reading");
  EXPECT_EQ(Shown(), before);
  p = sim_.AdvancePrepared(250);  // the rest of the read: a part ends with its phase
  EXPECT_EQ(p["phase"], "replaying");
  EXPECT_EQ(p["at"], 0);
  EXPECT_EQ(p["of"], 300);
  EXPECT_FALSE(p["done"].get<bool>());
  p = sim_.AdvancePrepared(50);
  EXPECT_EQ(p["phase"], "replaying");
  EXPECT_EQ(p["at"], 50);
  EXPECT_EQ(p["of"], 300);
  EXPECT_EQ(Shown(), before);
  p = sim_.AdvancePrepared(1000);
  EXPECT_TRUE(p["done"].get<bool>());
  EXPECT_EQ(Shown(), before);
  // Another step (here one the database refuses while down) drops the work.
  EXPECT_FALSE(sim_.Apply(Json{{"op", "put"}, {"key", "x"}, {"value", 1}})["ok"].get<bool>());
  EXPECT_FALSE(sim_.engine().has_prepared());
  Json none = sim_.AdvancePrepared(10);
  EXPECT_FALSE(none["ok"].get<bool>());
  EXPECT_NE(none["error"].get<std::string>().find("prepare: no step is being prepared"), std::string::npos);
  EXPECT_EQ(Shown(), before);
}

TEST_F(PreparedWork, WorkForAnotherModeIsNotUsed) {
  // A rotted record: point-in-time recovery stops before it, skip keeps
  // what follows. Work prepared for one, then the step in the other.
  ASSERT_TRUE(sim_.Apply(Json{{"op", "sync"}})["ok"].get<bool>());
  ASSERT_TRUE(sim_.Apply(Json{{"op", "corrupt"}, {"lsn", 200}})["ok"].get<bool>());
  ASSERT_TRUE(sim_.Apply(Json{{"op", "crash"}, {"kind", "process"}})["ok"].get<bool>());
  auto copy = sim_.Clone();
  const Json skip = {{"op", "recover"}, {"recovery", "skip"}};
  const Json want = copy->Apply(skip);
  ASSERT_TRUE(want["ok"].get<bool>());
  ASSERT_TRUE(sim_.Prepare(Json{{"op", "recover"}, {"recovery", "point_in_time"}})["ok"].get<bool>());
  sim_.AdvancePrepared(100000);
  EXPECT_EQ(sim_.Apply(skip), want);
  EXPECT_EQ(sim_.StateJson(), copy->StateJson());
  EXPECT_EQ(want["recovered"], 300);  // skip kept the entries after LSN 200
}

TEST_F(PreparedWork, RefusedWithTheFieldNamedChangingNothing) {
  const std::string before = Shown();
  struct Case {
    Json step;
    const char* error;
  } cases[] = {
      {Json{{"op", "recover"}}, "recover: the database is up"},
      {Json{{"op", "put"}, {"key", "a"}, {"value", 1}}, "op: only a recover, replay_storage, verify, truncate, compact, add_consumer or rebuild step is prepared in parts (got 'put')"},
      {Json{{"op", "add_consumer"}, {"mode", "replay"}, {"consumer", {{"name", "late"}, {"type", "full_text"}, {"fields", {"city"}}}}},
       "mode: only a consumer added by \"snapshot\" is prepared in parts"},
      {Json{{"op", "add_consumer"}, {"consumer", {{"name", "search"}, {"type", "full_text"}, {"fields", {"city"}}}}},
       "consumer.name: a consumer named 'search' already exists"},
      {Json{{"op", "add_consumer"}, {"consumer", {{"name", "late"}, {"type", "graph"}}}}, "consumer.type:"},
      {Json{{"op", "add_consumer"}, {"mode", "later"}, {"consumer", {{"name", "late"}, {"type", "full_text"}, {"fields", {"city"}}}}}, "mode: must be"},
      {Json{{"op", "rebuild"}, {"consumer", "nobody"}}, "consumer: no consumer named 'nobody'"},
      {Json{{"op", "rebuild"}}, "consumer:"},
      {Json{{"op", "compact"}, {"upto", 0}}, "upto: must be from 1 to"},
      {Json{{"op", "compact"}, {"upto", 10}, {"tombstones_before", 11}}, "tombstones_before: must be at most upto (10)"},
      {Json{{"op", "truncate"}, {"before", "x"}}, "before:"},
      {Json{{"op", "truncate"}, {"before", 200}}, "before: storage recovery would still need the entries from LSN 152"},
      {Json{{"op", "truncate"}, {"before", 100}, {"force", "yes"}}, "force: must be true or false"},
      {Json{{"op", "recover"}, {"recovery", "sometimes"}}, "recovery:"},
      {Json{{"op", "replay_storage"}, {"extra", 1}}, "extra: unknown field for op 'replay_storage'"},
      {Json{{"op", "recovr"}}, "op: unknown op 'recovr'"},
      {Json::array(), "step: must be a JSON object"},
  };
  for (const auto& c : cases) {
    const Json r = sim_.Prepare(c.step);
    EXPECT_FALSE(r["ok"].get<bool>()) << c.step.dump();
    EXPECT_NE(r["error"].get<std::string>().find(c.error), std::string::npos) << r.dump();
    EXPECT_FALSE(sim_.engine().has_prepared());
    EXPECT_EQ(Shown(), before);
  }
  // While down, a storage replay is refused as the step is.
  ASSERT_TRUE(sim_.Apply(Json{{"op", "crash"}, {"kind", "power"}})["ok"].get<bool>());
  const Json r = sim_.Prepare(Json{{"op", "replay_storage"}});
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_EQ(r["error"], sim_.Apply(Json{{"op", "replay_storage"}})["error"]);
}

TEST_F(PreparedWork, AVerifyPreparedInPartsFoldsThenCompares) {
  // "alone" processes LSN 301 and commits every third: it crashes, and is
  // sent 301 again, which its state (kept elsewhere) had counted already.
  for (const Json& step : {Json{{"op", "put"}, {"key", "k1"}, {"value", {{"city", "Oslo"}, {"n", 5}}}},
                           Json{{"op", "flush"}}, Json{{"op", "crash_consumer"}, {"consumer", "alone"}},
                           Json{{"op", "flush"}}}) {
    ASSERT_TRUE(sim_.Apply(step)["ok"].get<bool>()) << step.dump();
  }
  auto copy = sim_.Clone();
  const Json want = copy->Apply(Json{{"op", "verify"}});
  ASSERT_FALSE(want["consistent"].get<bool>()) << want.dump();
  const std::string before = Shown();
  Json p = sim_.Prepare(Json{{"op", "verify"}});
  std::vector<std::string> phases;
  while (!p["done"].get<bool>()) {
    EXPECT_EQ(Shown(), before);
    p = sim_.AdvancePrepared(25);
    if (phases.empty() || phases.back() != p["phase"]) phases.push_back(p["phase"]);
  }
  // Folding the stream to each consumer's position and feeding the rows to
  // its fresh system, a part in one of them at a time, then comparing.
  ASSERT_GE(phases.size(), 3u);
  EXPECT_EQ(phases.front(), "folding");
  EXPECT_NE(std::find(phases.begin(), phases.end(), "feeding"), phases.end());
  EXPECT_EQ(phases.back(), "comparing");
  for (std::size_t i = 0; i + 1 < phases.size(); ++i) {
    EXPECT_TRUE(phases[i] == "folding" || phases[i] == "feeding") << phases[i];
  }
  EXPECT_EQ(p["at"], 4);
  EXPECT_EQ(p["of"], 4);
  EXPECT_EQ(sim_.Apply(Json{{"op", "verify"}}), want);
  // While down, refused as the step is.
  ASSERT_TRUE(sim_.Apply(Json{{"op", "crash"}, {"kind", "process"}})["ok"].get<bool>());
  const Json r = sim_.Prepare(Json{{"op", "verify"}});
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_EQ(r["error"], sim_.Apply(Json{{"op", "verify"}})["error"]);
}

TEST_F(PreparedWork, AStorageReplayPreparedInParts) {
  auto copy = sim_.Clone();
  const Json want = copy->Apply(Json{{"op", "replay_storage"}});
  std::size_t calls = 0;
  EXPECT_EQ(Prepared(&sim_, Json{{"op", "replay_storage"}}, 40, &calls), want);
  EXPECT_GE(calls, 2u * 300 / 40);  // a part of reading or of replaying at a time
  EXPECT_EQ(sim_.StateJson(), copy->StateJson());
}

TEST_F(PreparedWork, ACompactionPreparedInPartsScansThenRemoves) {
  // Of the 301 entries, each key's newest stays: 49 puts and the delete of
  // k7, a tombstone kept (it is after tombstones_before).
  ASSERT_TRUE(sim_.Apply(Json{{"op", "delete"}, {"key", "k7"}})["ok"].get<bool>());
  ASSERT_TRUE(sim_.Apply(Json{{"op", "sync"}})["ok"].get<bool>());
  const Json step = {{"op", "compact"}, {"upto", 301}, {"tombstones_before", 152}};
  auto copy = sim_.Clone();
  const Json want = copy->Apply(step);
  ASSERT_TRUE(want["ok"].get<bool>()) << want.dump();
  ASSERT_EQ(want["removed"].size(), 251u);
  const std::string before = Shown();
  Json p = sim_.Prepare(step);
  ASSERT_TRUE(p["ok"].get<bool>()) << p.dump();
  EXPECT_EQ(p["phase"], "scanning");
  EXPECT_EQ(p["of"], 301);
  std::vector<std::string> phases;
  while (!p["done"].get<bool>()) {
    EXPECT_EQ(Shown(), before);
    p = sim_.AdvancePrepared(40);
    if (phases.empty() || phases.back() != p["phase"]) phases.push_back(p["phase"]);
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"scanning", "removing"}));
  EXPECT_EQ(p["at"], 301);
  EXPECT_EQ(p["of"], 301);
  EXPECT_EQ(Shown(), before);
  EXPECT_EQ(sim_.Apply(step), want);
  EXPECT_EQ(sim_.StateJson(), copy->StateJson());
}

TEST_F(PreparedWork, RemovalWorkForOtherLsnsIsNotUsed) {
  // Work prepared for one compaction or truncation, then the step with
  // other LSNs, or the other kind: it does its own removal.
  ASSERT_TRUE(sim_.Apply(Json{{"op", "sync"}})["ok"].get<bool>());
  const Json compact = {{"op", "compact"}, {"upto", 200}};
  const Json truncate = {{"op", "truncate"}, {"before", 120}, {"force", true}};
  for (const auto& [prepared, taken] : {std::pair{Json{{"op", "compact"}, {"upto", 100}}, compact},
                                        std::pair{Json{{"op", "compact"}, {"upto", 200}, {"tombstones_before", 1}}, compact},
                                        std::pair{Json{{"op", "truncate"}, {"before", 60}, {"force", true}}, truncate},
                                        std::pair{truncate, compact},
                                        std::pair{compact, truncate}}) {
    ExpectNotUsed(prepared, taken);
  }
}

TEST_F(PreparedWork, ASnapshotPreparedInPartsFeedsStorageRows) {
  // A late consumer by snapshot, and a rebuild: storage's 50 rows fed a
  // part at a time to a fresh system, then the step takes it.
  const Json add = {{"op", "add_consumer"},
                    {"consumer", {{"name", "late"}, {"type", "full_text"}, {"fields", {"city"}}}}};
  const Json rebuild = {{"op", "rebuild"}, {"consumer", "stats"}};
  for (const Json& step : {add, rebuild}) {
    auto sim = sim_.Clone();
    auto copy = sim_.Clone();
    const Json want = copy->Apply(step);
    ASSERT_TRUE(want["ok"].get<bool>()) << want.dump();
    ASSERT_EQ(want["snapshot_rows"], 50);
    const std::string before = sim->StateJson() + sim->View(Json::object()).dump();
    Json p = sim->Prepare(step);
    ASSERT_TRUE(p["ok"].get<bool>()) << p.dump();
    EXPECT_EQ(p["phase"], "snapshotting");
    EXPECT_EQ(p["at"], 0);
    EXPECT_EQ(p["of"], 50);
    std::vector<std::size_t> at;
    while (!p["done"].get<bool>()) {
      EXPECT_EQ(sim->StateJson() + sim->View(Json::object()).dump(), before);
      p = sim->AdvancePrepared(15);
      EXPECT_EQ(p["phase"], "snapshotting");
      at.push_back(p["at"]);
    }
    EXPECT_EQ(at, (std::vector<std::size_t>{15, 30, 45, 50}));
    EXPECT_EQ(sim->Apply(step), want) << step.dump();
    EXPECT_EQ(sim->StateJson(), copy->StateJson());
    EXPECT_FALSE(sim->engine().has_prepared());
  }
}

TEST_F(PreparedWork, SnapshotWorkForAnotherConsumerIsNotUsed) {
  // Work prepared for one consumer, then the step for another spec (a name,
  // a field or the commit cadence apart), the other kind of step, or a
  // consumer added by replay: the step does its own snapshot, and leaves
  // no work behind.
  const Json late = {{"name", "late"}, {"type", "secondary_index"}, {"field", "city"}};
  Json other_field = late, other_name = late, other_commit = late;
  other_field["field"] = "n";
  other_name["name"] = "later";
  other_commit["commit_every"] = 2;
  const Json add = {{"op", "add_consumer"}, {"consumer", late}};
  const Json rebuild = {{"op", "rebuild"}, {"consumer", "by_city"}};
  for (const auto& [prepared, taken] :
       {std::pair{add, Json{{"op", "add_consumer"}, {"consumer", other_field}}},
        std::pair{add, Json{{"op", "add_consumer"}, {"consumer", other_name}}},
        std::pair{add, Json{{"op", "add_consumer"}, {"consumer", other_commit}}},
        std::pair{add, Json{{"op", "add_consumer"}, {"mode", "replay"}, {"consumer", late}}},
        std::pair{rebuild, Json{{"op", "rebuild"}, {"consumer", "search"}}},
        std::pair{add, rebuild},
        std::pair{rebuild, add}}) {
    ExpectNotUsed(prepared, taken);
  }
}

}  // namespace
}  // namespace unbundled
