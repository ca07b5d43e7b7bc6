// view(): the windowed view a page draws. Every window must equal the
// matching slice of the whole state, over random histories with crashes,
// recoveries, rotted bytes and consumers of every kind.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/derived_system.h"
#include "core/limits.h"
#include "core/simulator.h"
#include "tests/core/simulator_fixture.h"

namespace unbundled {
namespace {

const char* kConsumers[] = {
    R"({"op":"add_consumer","mode":"replay","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})",
    R"({"op":"add_consumer","mode":"replay","consumer":{"name":"multi","type":"secondary_index","fields":["name","city"]}})",
    R"({"op":"add_consumer","mode":"replay","consumer":{"name":"stats","type":"materialized_view","group_by":"city","sum":"age","list":true}})",
    R"({"op":"add_consumer","mode":"replay","consumer":{"name":"search","type":"full_text","fields":["name"]}})",
};

std::size_t kConsumersCount() { return sizeof kConsumers / sizeof kConsumers[0]; }

// A random step, valid or not: the simulator refuses what does not apply.
Json RandomStep(std::mt19937* rng, Lsn head) {
  auto pick = [rng](int n) { return static_cast<int>((*rng)() % static_cast<unsigned>(n)); };
  const char* cities[] = {"London", "Paris", "Oslo"};
  const char* names[] = {"ada", "alan", "grace", "edsger"};
  const std::string key = "k" + std::to_string(pick(40));
  switch (pick(16)) {
    case 0: case 1: case 2: case 3: case 4:
      return {{"op", "put"}, {"key", key},
              {"value", {{"city", cities[pick(3)]}, {"name", std::string(names[pick(4)]) + " " + names[pick(4)]},
                         {"age", 20 + pick(50)}}}};
    case 5: return {{"op", "delete"}, {"key", key}};
    case 6: return {{"op", "flush"}};
    case 7: return {{"op", "step"}, {"consumer", pick(2) ? "by_city" : "search"}};
    case 8: return {{"op", "sync"}};
    case 9: return {{"op", "configure"}, {"commit", pick(2) ? "sync" : "async"}};
    case 10: return pick(3) == 0 ? Json{{"op", "crash"}, {"kind", pick(2) ? "process" : "power"}}
                                 : Json{{"op", "flush"}};
    case 11: return {{"op", "recover"}, {"recovery", pick(2) ? "skip" : "point_in_time"}};
    case 12: return {{"op", "corrupt"}, {"lsn", head == 0 ? 1 : 1 + pick(static_cast<int>(head))}};
    case 13: return {{"op", "rebuild"}, {"consumer", pick(2) ? "multi" : "stats"}};
    case 14: return {{"op", "crash_consumer"}, {"consumer", "stats"}};
    default: return {{"op", "commit"}, {"consumer", "stats"}};
  }
}

// The rows a consumer's state has, in order, flattened as view() gives them.
Json RowsOfState(const Json& consumer) {
  Json rows = Json::array();
  const bool multi = consumer["type"] == "secondary_index" && consumer["config"].contains("fields");
  auto add = [&rows](const std::string& key, const Json& value, const Json* field) {
    Json row = {{"key", key}, {"value", value}};
    const Json* list = value.is_array() ? &value : value.contains("list") ? &value["list"] : nullptr;
    if (list != nullptr && list->size() > DerivedSystem::kRowItems) {
      Json cut(list->begin(), list->begin() + DerivedSystem::kRowItems);
      if (value.is_array()) {
        row["value"] = cut;
      } else {
        row["value"]["list"] = cut;
      }
      row["size"] = list->size();
    }
    if (field != nullptr) row["field"] = *field;
    rows.push_back(row);
  };
  for (const auto& [k, v] : consumer["state"].items()) {
    if (multi) {
      const Json field = k;
      for (const auto& [term, keys] : v.items()) add(term, keys, &field);
    } else {
      add(k, v, nullptr);
    }
  }
  return rows;
}

Json Slice(const Json& array, std::size_t start, std::size_t count) {
  Json out = Json::array();
  for (std::size_t i = start; i < start + count && i < array.size(); ++i) out.push_back(array[i]);
  return out;
}

void ExpectViewMatchesState(const Simulator& sim, std::mt19937* rng) {
  const Json state = sim.State();
  auto pick = [rng](std::size_t n) { return n == 0 ? 0 : (*rng)() % (n + 1); };
  const std::size_t wal_start = pick(state["wal"].size());
  const std::size_t events_start = pick(state["events"].size());
  const std::size_t storage_start = pick(state["storage"]["data"].size());
  const std::size_t count = 1 + (*rng)() % 30;
  Json request = {{"wal", {{"start", wal_start}, {"count", count}}},
                  {"events", {{"start", events_start}, {"count", count}}},
                  {"storage", {{"start", storage_start}, {"count", count}}},
                  {"rows", Json::object()}};
  for (const auto& c : state["consumers"]) {
    request["rows"][c["name"].get<std::string>()] = {{"start", pick(RowsOfState(c).size())}, {"count", count}};
  }
  const Json view = sim.View(request);
  ASSERT_EQ(view["ok"], true) << view.dump();
  // The text the page reads is that view, compact, its members in name
  // order: exactly what dump() writes of it.
  const std::string text = sim.View(request.dump());
  ASSERT_EQ(text, view.dump(-1, ' ', false, Json::error_handler_t::replace));
  for (const char* same : {"head", "down", "config", "log"}) ASSERT_EQ(view[same], state[same]) << same;
  ASSERT_EQ(view["wal"]["total"], state["wal"].size());
  ASSERT_EQ(view["wal"]["first"], state["wal"].empty() ? Json(0) : state["wal"].front()["lsn"]);
  ASSERT_EQ(view["wal"]["last"], state["wal"].empty() ? Json(0) : state["wal"].back()["lsn"]);
  ASSERT_EQ(view["wal"]["items"], Slice(state["wal"], wal_start, count));
  ASSERT_EQ(view["events"]["total"], state["events"].size());
  ASSERT_EQ(view["events"]["items"], Slice(state["events"], events_start, count));
  Json data = Json::array();
  for (const auto& [k, v] : state["storage"]["data"].items()) data.push_back({{"key", k}, {"value", v}});
  ASSERT_EQ(view["storage"]["total"], data.size());
  ASSERT_EQ(view["storage"]["rows"], Slice(data, storage_start, count));
  ASSERT_EQ(view["storage"]["lsn"], state["storage"]["lsn"]);
  ASSERT_EQ(view["consumers"].size(), state["consumers"].size());
  for (std::size_t i = 0; i < state["consumers"].size(); ++i) {
    Json expected = state["consumers"][i];
    const Json rows = RowsOfState(expected);
    expected.erase("state");
    Json actual = view["consumers"][i];
    const Json window = actual["rows"];
    actual.erase("rows");
    ASSERT_EQ(actual, expected);
    ASSERT_EQ(window["total"], rows.size());
    ASSERT_EQ(window["items"], Slice(rows, window["start"].get<std::size_t>(), count))
        << expected["name"];
  }
}

class ViewProperty : public ::testing::TestWithParam<unsigned> {};

TEST_P(ViewProperty, EveryWindowEqualsTheMatchingSliceOfTheWholeState) {
  Simulator sim;
  for (const char* c : kConsumers) ASSERT_EQ(sim.Apply(Json::parse(c))["ok"], true);
  std::mt19937 rng(GetParam());
  int checked_down = 0, checked_up = 0;
  for (int i = 0; i < 400; ++i) {
    const Json head = sim.Positions()["head"];
    sim.Apply(RandomStep(&rng, head.is_null() ? 0 : head.get<Lsn>()));
    // Every history has a power loss half-way, checked before it recovers.
    if (i == 200) sim.Apply(Json{{"op", "crash"}, {"kind", "power"}});
    if (i % 10 == 9 || i == 200) {
      ExpectViewMatchesState(sim, &rng);
      // Which events read back (while down, what the view lists) is asked
      // without building them: the same answer as building each one.
      const ChangeStream& stream = sim.engine().stream();
      ChangeEvent e;
      ChangeEvent folded;
      std::vector<bool> found, checked;
      for (std::size_t k = 0; k < stream.size(); ++k) {
        const bool whole = stream.Event(k, &e);
        // Asked in order with what was found remembered (as the engine
        // asks), and alone.
        ASSERT_EQ(stream.Readable(k, &checked), whole) << "event " << k << " of step " << i;
        std::vector<bool> alone;
        ASSERT_EQ(stream.Readable(k, &alone), whole) << "event " << k << " of step " << i;
        // And verify's fold reads the same event, but for its before image.
        ASSERT_EQ(stream.EventWithoutBefore(k, &folded, &found), whole) << "event " << k;
        if (!whole) continue;
        ASSERT_EQ(folded.lsn, e.lsn);
        ASSERT_EQ(folded.op, e.op);
        ASSERT_EQ(folded.key.str(), e.key.str());
        ASSERT_EQ(folded.before, nullptr);
        ASSERT_EQ(folded.after == nullptr, e.after == nullptr);
        if (e.after) ASSERT_EQ(folded.after->text(), e.after->text());
      }
      ++(sim.engine().down() ? checked_down : checked_up);
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The histories reach both: a database that is down and one that is up.
  EXPECT_GT(checked_down, 0);
  EXPECT_GT(checked_up, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ViewProperty, ::testing::Range(1u, 21u));

// Time travel restores a checkpoint and replays the steps after it: that must
// reach exactly the state a replay from the start reaches, and a checkpoint
// must not change when the engine it was taken from goes on.
class CheckpointProperty : public ::testing::TestWithParam<unsigned> {};

TEST_P(CheckpointProperty, ARestoredCheckpointPlusTheLaterStepsEqualsAReplayFromTheStart) {
  std::mt19937 rng(GetParam());
  std::vector<Json> steps;
  Simulator live;
  std::vector<std::string> states = {live.StateJson()};  // states[n]: after n steps
  std::vector<std::pair<std::size_t, std::unique_ptr<Simulator>>> checkpoints;
  std::vector<bool> oks;  // whether step n was taken
  for (std::size_t n = 0; n < kConsumersCount() + 300; ++n) {
    if (n > kConsumersCount() && n % 37 == 0) checkpoints.emplace_back(n, live.Clone());
    if (n < kConsumersCount()) {
      steps.push_back(Json::parse(kConsumers[n]));
    } else {
      const Json head = live.Positions()["head"];
      steps.push_back(RandomStep(&rng, head.is_null() ? 0 : head.get<Lsn>()));
    }
    oks.push_back(live.Apply(steps.back())["ok"].get<bool>());
    states.push_back(live.StateJson());
  }
  ASSERT_GT(checkpoints.size(), 5u);
  for (auto& [at, checkpoint] : checkpoints) {
    // The checkpoint still holds the state it was taken at...
    ASSERT_EQ(checkpoint->StateJson(), states[at]) << "checkpoint at step " << at;
    // ...and a copy of it, given the later steps, reaches the same end.
    auto restored = checkpoint->Clone();
    for (std::size_t i = at; i < steps.size(); ++i) restored->Apply(steps[i]);
    ASSERT_EQ(restored->StateJson(), live.StateJson()) << "restored from step " << at;
    ASSERT_EQ(checkpoint->StateJson(), states[at]) << "replaying a copy changed the checkpoint";
    // Replay (no results built, as time travel replays) takes the same
    // steps and reaches the same state after each.
    auto replayed = checkpoint->Clone();
    for (std::size_t i = at; i < steps.size(); ++i) {
      ASSERT_EQ(replayed->Replay(steps[i]), oks[i]) << "step " << i;
      if (i % 50 == 0) ASSERT_EQ(replayed->StateJson(), states[i + 1]) << "after step " << i;
    }
    ASSERT_EQ(replayed->StateJson(), live.StateJson()) << "replayed from step " << at;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CheckpointProperty, ::testing::Range(1u, 11u));

class ViewTest : public SimulatorFixture {};

TEST_F(ViewTest, DefaultsShowTheNewestEntriesAndEventsAndTheFirstRows) {
  for (int i = 0; i < 60; ++i) {
    Ok(R"({"op":"put","key":"k)" + std::to_string(100 + i) + R"(","value":{"i":1}})");
  }
  Json v = sim_.View(Json::object());
  EXPECT_EQ(v["wal"]["total"], 60);
  EXPECT_EQ(v["wal"]["start"], 10);
  EXPECT_EQ(v["wal"]["items"].size(), 50u);
  EXPECT_EQ(v["wal"]["items"].back()["lsn"], 60);
  EXPECT_EQ(v["events"]["start"], 10);
  EXPECT_EQ(v["storage"]["start"], 0);
  EXPECT_EQ(v["storage"]["rows"][0]["key"], "k100");
}

// While down, the events that read back are worked out once and kept
// (Engine::ReadableEvents): a byte that rots while down changes nothing
// until recovery reads the disk; after a recovery and the next crash, and
// in a copy of the simulator, the list is what that log reads back.
TEST_F(ViewTest, WhileDownTheStreamListsTheEventsThatReadBackAsTheWholeStateDoes) {
  for (int i = 0; i < 6; ++i) Ok(R"({"op":"put","key":"k)" + std::to_string(i) + R"(","value":{"i":1}})");
  Ok(R"({"op":"corrupt","lsn":2})");
  const auto lsns = [&](const Json& events) {
    std::vector<Lsn> out;
    for (const auto& e : events) out.push_back(e["lsn"].get<Lsn>());
    return out;
  };
  const auto listed = [&]() {
    const Json v = sim_.View(Json{{"events", {{"start", 0}, {"count", 50}}}});
    EXPECT_EQ(lsns(v["events"]["items"]), lsns(sim_.State()["events"]));
    return lsns(v["events"]["items"]);
  };
  EXPECT_EQ(listed(), (std::vector<Lsn>{1, 2, 3, 4, 5, 6}));  // up: the buffers still hold LSN 2's bytes
  Ok(R"({"op":"crash","kind":"process"})");
  EXPECT_EQ(listed(), (std::vector<Lsn>{1, 3, 4, 5, 6}));
  Ok(R"({"op":"corrupt","lsn":4})");  // rots now: read from the buffers until recovery reads the disk
  EXPECT_EQ(listed(), (std::vector<Lsn>{1, 3, 4, 5, 6}));
  auto copy = sim_.Clone();
  Ok(R"({"op":"recover","recovery":"skip"})");  // skips LSNs 2 and 4
  EXPECT_EQ(listed(), (std::vector<Lsn>{1, 3, 5, 6}));
  Ok(R"({"op":"put","key":"k9","value":{"i":1}})");
  Ok(R"({"op":"sync"})");
  Ok(R"({"op":"corrupt","lsn":5})");
  Ok(R"({"op":"crash","kind":"process"})");
  EXPECT_EQ(listed(), (std::vector<Lsn>{1, 3, 6, 7}));
  // The copy taken while down lists what it did.
  const Json v = copy->View(Json{{"events", {{"start", 0}, {"count", 50}}}});
  EXPECT_EQ(lsns(v["events"]["items"]), (std::vector<Lsn>{1, 3, 4, 5, 6}));
}

TEST_F(ViewTest, StoragePrefixPagesOnlyMatchingKeys) {
  for (const char* k : {"a1", "b1", "b2", "b3", "c1"}) {
    Ok(std::string(R"({"op":"put","key":")") + k + R"(","value":{}})");
  }
  Json v = sim_.View(Json{{"storage", {{"prefix", "b"}, {"start", 1}, {"count", 5}}}});
  EXPECT_EQ(v["storage"]["total"], 3);
  ASSERT_EQ(v["storage"]["rows"].size(), 2u);
  EXPECT_EQ(v["storage"]["rows"][0]["key"], "b2");
}

TEST_F(ViewTest, LocateFindsTheEntryAndEventOfAnLsnOrTheFirstAfterIt) {
  for (int i = 0; i < 5; ++i) Ok(R"({"op":"put","key":"k","value":{}})");
  Json v = sim_.View(Json{{"locate", {3, 0, 99}}});
  EXPECT_EQ(v["located"]["3"], (Json{{"wal", 2}, {"event", 2}}));
  EXPECT_EQ(v["located"]["0"], (Json{{"wal", 0}, {"event", 0}}));
  EXPECT_EQ(v["located"]["99"], (Json{{"wal", 5}, {"event", 5}}));
}

TEST_F(ViewTest, BadRequestsNameTheFieldAndChangeNothing) {
  Ok(R"({"op":"put","key":"k","value":{}})");
  const std::string before = sim_.StateJson();
  EXPECT_EQ(sim_.View(Json{{"wal", {{"count", -1}}}})["error"],
            "wal.count: must be a whole number from 0 to 1000 (got -1)");
  EXPECT_EQ(sim_.View(Json{{"nope", 1}})["error"],
            "nope: unknown field (expected wal, events, storage, rows, locate)");
  EXPECT_EQ(sim_.View(Json{{"rows", {{"ghost", Json::object()}}}})["error"],
            "rows: no consumer named 'ghost'");
  EXPECT_EQ(sim_.View(Json{{"events", {{"from", 1}}}})["error"],
            "events.from: unknown field (expected start, count)");
  EXPECT_EQ(sim_.View(std::string("{nope")), R"({"error":"view: not valid JSON","ok":false})");
  EXPECT_EQ(sim_.StateJson(), before);
}

TEST_F(ViewTest, AStepSaysWhatItTouched) {
  Ok(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"a","type":"full_text"}})");
  Ok(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"b","type":"full_text"}})");
  Json put = Ok(R"({"op":"put","key":"u1","value":{"t":"hello"}})");
  EXPECT_EQ(put["touched"], (Json{{"lsns", {1, 1}}, {"keys", {"u1"}}, {"consumers", Json::array()}, {"all", false}}));
  Json step = Ok(R"({"op":"step","consumer":"b"})");
  EXPECT_EQ(step["touched"]["consumers"], Json::array({"b"}));
  EXPECT_EQ(step["touched"]["lsns"], nullptr);
  EXPECT_EQ(Ok(R"({"op":"flush"})")["touched"]["consumers"], Json::array({"a"}));
  EXPECT_EQ(Ok(R"({"op":"crash","kind":"process"})")["touched"]["all"], true);
  EXPECT_EQ(Ok(R"({"op":"recover"})")["touched"]["all"], true);
}

TEST_F(ViewTest, QueryAsOfStorageAnswersAsAConsumerWithNoLag) {
  Ok(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"}})");
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"by_city","value":"London"})")["result"], Json::array({"u1"}));
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"by_city","value":"London","as_of":"storage"})")["result"],
            Json::array());
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"by_city","value":"Paris","as_of":"storage"})")["result"],
            Json::array({"u1"}));
  Fails(R"({"op":"query","consumer":"by_city","value":"Paris","as_of":"yesterday"})",
        "as_of: must be \"consumer\" (the default: the consumer as it is, stale if it lags) or "
        "\"storage\" (a fresh derivation from storage now)");
}

}  // namespace
}  // namespace unbundled

namespace unbundled {
namespace {

class PutRandomTest : public SimulatorFixture {};

TEST_F(PutRandomTest, TheSameSeedWritesTheSameDocumentsAndAStepSplitInPartsWritesTheSame) {
  Json r = Ok(R"({"op":"put_random","count":10,"seed":7})");
  EXPECT_EQ(r["written"], 10);
  EXPECT_EQ(r["first"], 1);
  EXPECT_EQ(r["last"], 10);
  Simulator parts;
  parts.Apply(Json::parse(R"({"op":"put_random","count":4,"seed":7,"keys":10})"));
  parts.Apply(Json::parse(R"({"op":"put_random","count":6,"seed":7,"keys":10,"from":4})"));
  EXPECT_EQ(parts.StateJson(), sim_.StateJson());
  Simulator other;
  other.Apply(Json::parse(R"({"op":"put_random","count":10,"seed":8})"));
  EXPECT_NE(other.StateJson(), sim_.StateJson());
  // Documents are user records, and keys fall in r0..r<keys-1>.
  const Json state = sim_.State();
  for (const auto& [key, value] : state["storage"]["data"].items()) {
    EXPECT_EQ(key[0], 'r');
    EXPECT_LT(std::stoi(key.substr(1)), 10);
    EXPECT_TRUE(value.contains("name") && value.contains("city") && value.contains("age"));
  }
}

TEST_F(PutRandomTest, OutOfRangeCountsAreRefusedAndChangeNothing) {
  Fails(R"({"op":"put_random","count":0})", "count: must be at least 1");
  Fails(R"({"op":"put_random","count":100001})",
        "count: must be at most 100000 (got 100001)");
  Fails(R"({"op":"put_random"})", "count: is required");
  Fails(R"({"op":"put_random","count":5,"keys":0})", "keys: must be at least 1");
  Fails(R"({"op":"put_random","count":1.5})",
        "count: must be a whole number from 1 to 100000 (got 1.5)");
  Fails(R"({"op":"put_random","count":5,"keys":1000001})",
        "keys: must be at most 1000000 (got 1000001)");
  Fails(R"({"op":"put_random","count":5,"from":1000000001})",
        "from: must be at most 1000000000 (got 1000000001)");
}

// The check a page makes before taking a big step in parts: it refuses
// exactly what the step refuses, with the same error, and reads what the
// step would write.
TEST_F(PutRandomTest, ABulkStepIsCheckedWholeAsTheStepWouldBeTaken) {
  Simulator::BulkStep bulk;
  for (const char* text : {R"({"op":"put_random","count":0})",
                           R"({"op":"put_random","count":100001})",
                           R"({"op":"put_random","count":"5"})",
                           R"({"op":"put_random","count":5,"keys":1000001})",
                           R"({"op":"put_random","count":5,"seed":-1})",
                           R"({"op":"put_random","count":5,"from":1000000001})"}) {
    const Json step = Json::parse(text);
    const Status checked = Simulator::ReadBulkStep(step, &bulk);
    ASSERT_FALSE(checked.ok()) << text;
    Fails(text, checked.message());
  }
  ASSERT_TRUE(Simulator::ReadBulkStep(Json::parse(R"({"op":"put_random","count":7})"), &bulk).ok());
  EXPECT_EQ(bulk.count, 7u);
  EXPECT_EQ(bulk.keys, 7u);  // keys default to the count
  EXPECT_EQ(bulk.seed, 1u);
  EXPECT_EQ(bulk.from, 0u);
  ASSERT_TRUE(Simulator::ReadBulkStep(
                  Json::parse(R"({"op":"put_random","count":100000,"keys":1000000,"seed":3,"from":9})"),
                  &bulk).ok());
  EXPECT_EQ(bulk.count, kMaxBulkDocuments);
  EXPECT_EQ(bulk.keys, kMaxBulkKeys);
  EXPECT_EQ(bulk.seed, 3u);
  EXPECT_EQ(bulk.from, 9u);
}

}  // namespace
}  // namespace unbundled

namespace unbundled {
namespace {

// A page flushes a large backlog in parts; the parts must end exactly where
// one whole flush ends, commits and counters included.
TEST(FlushInParts, FlushingInPartsUntilNoneAreLeftEndsAsOneWholeFlush) {
  for (const char* extra : {"", R"(,"consumer":"stats")"}) {
    Simulator whole, parts;
    for (Simulator* sim : {&whole, &parts}) {
      for (const char* c : kConsumers) sim->Apply(Json::parse(c));
      sim->Apply(Json::parse(R"({"op":"put_random","count":500,"keys":80,"seed":3})"));
      sim->Apply(Json::parse(R"({"op":"step","consumer":"search"})"));
    }
    whole.Apply(Json::parse(std::string(R"({"op":"flush")") + extra + "}"));
    int calls = 0;
    std::size_t delivered = 0;
    for (bool more = true; more; ++calls) {
      Json r = parts.Apply(Json::parse(std::string(R"({"op":"flush","limit":37)") + extra + "}"));
      ASSERT_EQ(r["ok"], true) << r.dump();
      delivered += r["delivered"].get<std::size_t>();
      more = r["more"].get<bool>();
    }
    EXPECT_GT(calls, 10);
    EXPECT_EQ(parts.StateJson(), whole.StateJson()) << extra;
  }
  Simulator sim;
  EXPECT_EQ(sim.Apply(Json::parse(R"({"op":"flush","limit":0})"))["error"], "limit: must be at least 1");
}

}  // namespace
}  // namespace unbundled
