#include "core/engine.h"

#include <gtest/gtest.h>

#include "core/json_reader.h"

namespace unbundled {
namespace {

ConsumerSpec ByCity() { return {"by_city", "secondary_index", {{"field", "city"}}}; }

class EngineTest : public ::testing::Test {
 protected:
  void Put(const std::string& key, const Json& value) {
    ChangeEvent e;
    ASSERT_TRUE(engine_.Put(key, value, &e).ok());
  }
  void Add(const ConsumerSpec& spec, JoinMode mode) {
    Lsn position;
    ASSERT_TRUE(engine_.AddConsumer(spec, mode, nullptr, &position).ok());
  }
  Json Query(const std::string& consumer, const Json& q) {
    Json r;
    EXPECT_TRUE(engine_.Query(consumer, q, &r).ok());
    return r;
  }
  const Consumer& C(const std::string& name) { return *engine_.FindConsumer(name); }

  Engine engine_;
};

// A key's bytes lie once: storage's row, the change event and every derived
// system that keeps the key share one SharedKey.
TEST_F(EngineTest, StorageTheEventAndTheDerivedSystemsShareTheKey) {
  Add(ByCity(), JoinMode::kReplay);
  Add({"search", "full_text", {{"fields", {"name"}}}}, JoinMode::kReplay);
  Add({"stats", "materialized_view", {{"group_by", "city"}, {"list", true}}}, JoinMode::kReplay);
  ChangeEvent e;
  ASSERT_TRUE(engine_.Put("user12345678", {{"city", "Oslo"}, {"name", "ada lovelace"}}, &e).ok());
  const SharedKey& stored = engine_.storage().rows().begin().key();
  EXPECT_TRUE(e.key.SharesWith(stored));
  std::size_t delivered = 0;
  ASSERT_TRUE(engine_.FlushAll(&delivered).ok());
  ASSERT_EQ(delivered, 3u);
  // Storage, the change stream's cache of the record, `e`, the city's
  // posting list, the two tokens' and the view's list: 7 holders.
  EXPECT_EQ(stored.use_count(), 7u);
  e = ChangeEvent();
  EXPECT_EQ(stored.use_count(), 6u);
  EXPECT_EQ(Query("by_city", {{"value", "Oslo"}}), Json::array({"user12345678"}));
  EXPECT_EQ(Query("search", {{"text", "lovelace"}}), Json::array({"user12345678"}));
}

TEST_F(EngineTest, EachWriteTakesTheNextLsnAndStorageFollows) {
  Put("u1", {{"city", "London"}});
  Put("u2", {{"city", "Paris"}});
  EXPECT_EQ(engine_.wal().head(), 2u);
  EXPECT_EQ(engine_.wal().DecodeAll()[1].lsn, 2u);
  EXPECT_EQ(engine_.storage().lsn(), 2u);
  EXPECT_EQ(*engine_.Get("u2"), (Json{{"city", "Paris"}}));
  EXPECT_EQ(engine_.Get("u3"), nullptr);
}

TEST_F(EngineTest, DeleteOfAbsentKeyWritesNothing) {
  bool deleted = true;
  ChangeEvent e;
  ASSERT_TRUE(engine_.Delete("ghost", &deleted, &e).ok());
  EXPECT_FALSE(deleted);
  EXPECT_EQ(engine_.wal().head(), 0u);
  EXPECT_TRUE(engine_.stream().size() == 0);
}

TEST_F(EngineTest, DeleteOfPresentKeyLogsAndEmitsDelete) {
  Put("u1", {{"city", "London"}});
  bool deleted = false;
  ChangeEvent e;
  ASSERT_TRUE(engine_.Delete("u1", &deleted, &e).ok());
  EXPECT_TRUE(deleted);
  EXPECT_EQ(e.op, ChangeOp::kDelete);
  EXPECT_EQ(e.lsn, 2u);
  EXPECT_EQ(engine_.Get("u1"), nullptr);
  EXPECT_EQ(engine_.wal().DecodeAll()[1].op, LogOp::kDelete);
}

TEST_F(EngineTest, WritesDoNotReachConsumersUntilFlush) {
  Add(ByCity(), JoinMode::kReplay);
  Put("u1", {{"city", "London"}});
  EXPECT_EQ(C("by_city").position(), 0u);
  EXPECT_EQ(engine_.Lag(C("by_city")), 1u);
  EXPECT_EQ(Query("by_city", {{"value", "London"}}), Json::array());  // stale
  std::size_t delivered = 0;
  engine_.FlushAll(&delivered);
  EXPECT_EQ(delivered, 1u);
  EXPECT_EQ(C("by_city").position(), 1u);
  EXPECT_EQ(engine_.Lag(C("by_city")), 0u);
  EXPECT_EQ(Query("by_city", {{"value", "London"}}), Json::array({"u1"}));
}

TEST_F(EngineTest, FlushOfOneConsumerLeavesTheOthersBehind) {
  Add(ByCity(), JoinMode::kReplay);
  Add({"counts", "materialized_view", {{"group_by", "city"}}}, JoinMode::kReplay);
  Put("u1", {{"city", "London"}});
  Put("u2", {{"city", "London"}});
  std::size_t delivered = 0;
  ASSERT_TRUE(engine_.Flush("counts", &delivered).ok());
  EXPECT_EQ(delivered, 2u);
  EXPECT_EQ(C("counts").position(), 2u);
  EXPECT_EQ(C("by_city").position(), 0u);
}

TEST_F(EngineTest, FlushAllCountsEventsAcrossConsumers) {
  Add(ByCity(), JoinMode::kReplay);
  Add({"fts", "full_text", Json::object()}, JoinMode::kReplay);
  Put("u1", {{"city", "London"}});
  std::size_t delivered = 0;
  engine_.FlushAll(&delivered);
  EXPECT_EQ(delivered, 2u);
  engine_.FlushAll(&delivered);
  EXPECT_EQ(delivered, 0u);
}

TEST_F(EngineTest, StepProcessesExactlyOneEvent) {
  Add(ByCity(), JoinMode::kReplay);
  Put("u1", {{"city", "London"}});
  Put("u1", {{"city", "Paris"}});
  std::optional<ChangeEvent> e;
  ASSERT_TRUE(engine_.Step("by_city", &e).ok());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->lsn, 1u);
  EXPECT_EQ(C("by_city").position(), 1u);
  EXPECT_EQ(Query("by_city", {{"value", "London"}}), Json::array({"u1"}));
  ASSERT_TRUE(engine_.Step("by_city", &e).ok());
  EXPECT_EQ(e->op, ChangeOp::kUpdate);
  EXPECT_EQ(Query("by_city", {{"value", "London"}}), Json::array());
  ASSERT_TRUE(engine_.Step("by_city", &e).ok());
  EXPECT_FALSE(e.has_value());
  EXPECT_EQ(C("by_city").position(), 2u);
}

TEST_F(EngineTest, SnapshotConsumerStartsAtStorageLsnWithReadEventsInKeyOrder) {
  Put("u2", {{"city", "Paris"}});
  Put("u1", {{"city", "London"}});
  Put("u3", {{"city", "Oslo"}});
  bool deleted;
  ChangeEvent e;
  ASSERT_TRUE(engine_.Delete("u3", &deleted, &e).ok());
  std::vector<ChangeEvent> snapshot;
  Lsn position = 0;
  ASSERT_TRUE(engine_.AddConsumer(ByCity(), JoinMode::kSnapshot, &snapshot, &position).ok());
  EXPECT_EQ(position, 4u);
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].key, "u1");
  EXPECT_EQ(snapshot[1].key, "u2");
  for (const auto& r : snapshot) {
    EXPECT_EQ(r.op, ChangeOp::kRead);
    EXPECT_EQ(r.lsn, 4u);
    EXPECT_EQ(r.before, nullptr);
  }
  EXPECT_EQ(engine_.Lag(C("by_city")), 0u);
  EXPECT_EQ(Query("by_city", {{"value", "London"}}), Json::array({"u1"}));
  Put("u4", {{"city", "London"}});
  EXPECT_EQ(engine_.Lag(C("by_city")), 1u);
}

TEST_F(EngineTest, SnapshotAndReplayConsumersRecordWhatTheyCost) {
  Put("u1", {{"city", "London"}});
  Put("u1", {{"city", "Paris"}});
  Put("u2", {{"city", "Oslo"}});
  Add(ByCity(), JoinMode::kSnapshot);
  Add({"by_city_replay", "secondary_index", {{"field", "city"}}}, JoinMode::kReplay);
  std::size_t delivered;
  engine_.FlushAll(&delivered);
  const Consumer& snap = C("by_city");
  const Consumer& replay = C("by_city_replay");
  EXPECT_TRUE(snap.from_snapshot());
  EXPECT_EQ(snap.snapshot_lsn(), 3u);
  EXPECT_EQ(snap.snapshot_rows(), 2u);
  EXPECT_EQ(snap.processed(), 0u);
  EXPECT_FALSE(replay.from_snapshot());
  EXPECT_EQ(replay.processed(), 3u);
  Put("u3", {{"city", "Lima"}});
  engine_.FlushAll(&delivered);
  EXPECT_EQ(snap.processed(), 1u);
  EXPECT_EQ(replay.processed(), 4u);
}

TEST_F(EngineTest, ReplayConsumerStartsAtZeroAndCatchesUpFromHistory) {
  Put("u1", {{"city", "London"}});
  Put("u1", {{"city", "Paris"}});
  Lsn position = 99;
  ASSERT_TRUE(engine_.AddConsumer(ByCity(), JoinMode::kReplay, nullptr, &position).ok());
  EXPECT_EQ(position, 0u);
  EXPECT_EQ(engine_.Lag(C("by_city")), 2u);
  std::size_t delivered;
  engine_.FlushAll(&delivered);
  EXPECT_EQ(C("by_city").system().State(), Json::parse(R"({"Paris":["u1"]})"));
}

TEST_F(EngineTest, RebuildRederivesFromStorageAndMovesPositionToStorageLsn) {
  Add(ByCity(), JoinMode::kReplay);
  Put("u1", {{"city", "London"}});
  Put("u2", {{"city", "Paris"}});
  std::vector<ChangeEvent> snapshot;
  Lsn position = 0;
  ASSERT_TRUE(engine_.Rebuild("by_city", &snapshot, &position).ok());
  EXPECT_EQ(position, 2u);
  EXPECT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(C("by_city").position(), 2u);
  EXPECT_EQ(C("by_city").system().State(), Json::parse(R"({"London":["u1"],"Paris":["u2"]})"));
}

TEST_F(EngineTest, RemoveConsumerForgetsIt) {
  Add(ByCity(), JoinMode::kReplay);
  ASSERT_TRUE(engine_.RemoveConsumer("by_city").ok());
  EXPECT_EQ(engine_.FindConsumer("by_city"), nullptr);
  EXPECT_EQ(engine_.RemoveConsumer("by_city").message(), "consumer: no consumer named 'by_city'");
}

TEST_F(EngineTest, UnknownConsumerIsAnErrorForEveryConsumerOperation) {
  std::size_t delivered;
  std::optional<ChangeEvent> e;
  Lsn position;
  Json result;
  const std::string expected = "consumer: no consumer named 'nope'";
  EXPECT_EQ(engine_.Flush("nope", &delivered).message(), expected);
  EXPECT_EQ(engine_.Step("nope", &e).message(), expected);
  EXPECT_EQ(engine_.Rebuild("nope", nullptr, &position).message(), expected);
  EXPECT_EQ(engine_.Query("nope", Json::object(), &result).message(), expected);
}

TEST_F(EngineTest, DuplicateConsumerNameIsRejectedAndTheFirstIsKept) {
  Add(ByCity(), JoinMode::kReplay);
  Lsn position;
  Status s = engine_.AddConsumer({"by_city", "full_text", Json::object()}, JoinMode::kSnapshot,
                                 nullptr, &position);
  EXPECT_EQ(s.message(), "consumer.name: a consumer named 'by_city' already exists");
  ASSERT_EQ(engine_.consumers().size(), 1u);
  EXPECT_EQ(engine_.consumers()[0]->spec().type, "secondary_index");
}

TEST_F(EngineTest, InvalidPutChangesNothing) {
  Put("u1", {{"city", "London"}});
  ChangeEvent e;
  EXPECT_FALSE(engine_.Put(std::string(300, 'k'), {{"a", 1}}, &e).ok());
  EXPECT_FALSE(engine_.Put("u1", Json::array(), &e).ok());
  EXPECT_EQ(engine_.wal().head(), 1u);
  EXPECT_EQ(engine_.stream().size(), 1u);
  EXPECT_EQ(*engine_.Get("u1"), (Json{{"city", "London"}}));
}

TEST_F(EngineTest, APutOfJsonTextLogsTheBytesAPutOfTheParsedValueLogs) {
  // Text in the stored form is logged as it is; any other text (spaces,
  // fields out of order, escapes, doubles) is parsed first. Both logs and
  // both storages come out the same as puts of the parsed values.
  Engine parsed;
  const std::vector<std::pair<std::string, std::string>> puts = {
      {"u1", R"({"age":42,"city":"Lima","name":"Ada"})"},
      {"u2", R"({ "name": "Grace", "city": "Oslo" })"},
      {"u1", R"({"note":"tab\there","score":1.5,"tags":["a","é"]})"},
      {"u3", R"({"b":{"y":[1,2],"x":null},"a":true})"},
  };
  ASSERT_TRUE(IsStoredForm(puts[0].second));
  ASSERT_FALSE(IsStoredForm(puts[1].second));
  for (const auto& [key, text] : puts) {
    WriteResult w, v;
    ASSERT_TRUE(engine_.PutText(key, text, WriteOptions(), &w).ok()) << text;
    ASSERT_TRUE(parsed.Put(key, Json::parse(text), WriteOptions(), &v).ok());
    EXPECT_EQ(w.lsn, v.lsn);
  }
  EXPECT_EQ(engine_.wal().file().bytes().str(), parsed.wal().file().bytes().str());
  EXPECT_EQ(engine_.storage().Contents(), parsed.storage().Contents());
  EXPECT_EQ(*engine_.Get("u1"), Json::parse(puts[2].second));
}

TEST_F(EngineTest, ABadPutOfJsonTextSaysWhatIsWrongAndChangesNothing) {
  Put("u1", {{"city", "London"}});
  const std::string log = engine_.wal().file().bytes().str();
  WriteResult w;
  Status s = engine_.PutText("u2", R"({"a":)", WriteOptions(), &w);
  EXPECT_EQ(s.message().rfind("value: not valid JSON", 0), 0u) << s.message();
  s = engine_.PutText("u2", "[1]", WriteOptions(), &w);
  EXPECT_EQ(s.message(), "value: must be a JSON object (got array)");
  s = engine_.PutText(std::string(300, 'k'), R"({"a":1})", WriteOptions(), &w);
  EXPECT_EQ(s.message(), "key: must be at most 256 bytes (got 300)");
  EXPECT_EQ(engine_.wal().file().bytes().str(), log);
  EXPECT_EQ(engine_.wal().head(), 1u);
  EXPECT_EQ(engine_.Get("u2"), nullptr);
}

}  // namespace
}  // namespace unbundled
