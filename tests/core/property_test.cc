// Property tests: random operation sequences (seeded, so failures reproduce)
// checked against the invariants of the database inside-out.
#include <gtest/gtest.h>

#include <random>

#include "core/engine.h"
#include "tests/core/replay.h"

namespace unbundled {
namespace {

const std::vector<ConsumerSpec> kSpecs = {
    {"by_city", "secondary_index", {{"field", "city"}}},
    {"city_stats", "materialized_view", {{"group_by", "city"}, {"sum", "age"}}},
    {"search", "full_text", Json::object()},
};

class RandomWorkload {
 public:
  explicit RandomWorkload(unsigned seed) : rng_(seed) {}

  Json Document() {
    static const char* kCities[] = {"London", "Paris", "Oslo", "Lagos"};
    static const char* kWords[] = {"graph", "log", "stream", "index", "Kafka", "snapshot"};
    Json doc = {{"city", kCities[Pick(4)]}, {"age", static_cast<int>(Pick(90)) - 10}};
    if (Pick(5) == 0) doc.erase("city");
    if (Pick(7) == 0) doc["city"] = nullptr;
    if (Pick(6) == 0) doc["age"] = "unknown";
    doc["bio"] = std::string(kWords[Pick(6)]) + " " + kWords[Pick(6)] + "-" + kWords[Pick(6)];
    return doc;
  }
  std::string Key() { return "k" + std::to_string(Pick(40)); }
  std::size_t Pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

 private:
  std::mt19937 rng_;
};

// Runs one random operation against `engine`.
void RandomStep(Engine* engine, RandomWorkload* w) {
  std::size_t delivered;
  ChangeEvent event;
  std::optional<ChangeEvent> stepped;
  bool deleted;
  switch (w->Pick(10)) {
    case 0:
    case 1:
    case 2:
    case 3:
      ASSERT_TRUE(engine->Put(w->Key(), w->Document(), &event).ok());
      break;
    case 4:
    case 5:
      ASSERT_TRUE(engine->Delete(w->Key(), &deleted, &event).ok());
      break;
    case 6:
      ASSERT_TRUE(engine->FlushAll(&delivered).ok());
      break;
    case 7:
      ASSERT_TRUE(engine->Flush(kSpecs[w->Pick(3)].name, &delivered).ok());
      break;
    default:
      ASSERT_TRUE(engine->Step(kSpecs[w->Pick(3)].name, &stepped).ok());
      break;
  }
}

void AddAllReplay(Engine* engine) {
  Lsn position;
  for (const auto& spec : kSpecs) {
    ASSERT_TRUE(engine->AddConsumer(spec, JoinMode::kReplay, nullptr, &position).ok());
  }
}

Json FreshRebuild(const Engine& engine, const ConsumerSpec& spec) {
  std::unique_ptr<DerivedSystem> fresh;
  EXPECT_TRUE(CreateDerivedSystem(spec.type, spec.config, "", &fresh).ok());
  for (const auto& [key, row] : engine.storage().rows()) {
    fresh->Process({engine.storage().lsn(), ChangeOp::kRead, key, nullptr, row.doc});
  }
  return fresh->State();
}

class PropertyTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(PropertyTest, StorageEqualsAReplayOfTheLog) {
  Engine engine;
  AddAllReplay(&engine);
  RandomWorkload w(GetParam());
  for (int i = 0; i < 3000; ++i) {
    RandomStep(&engine, &w);
    if (i % 500 == 499) {
      const auto entries = engine.wal().DecodeAll();
      ASSERT_EQ(Replay(entries), engine.storage().Contents()) << "after op " << i;
      ASSERT_EQ(entries.empty() ? 0 : entries.back().lsn, engine.storage().lsn());
    }
  }
}

TEST_P(PropertyTest, CaughtUpDerivedStateEqualsAFreshRebuildFromStorage) {
  Engine engine;
  AddAllReplay(&engine);
  RandomWorkload w(GetParam());
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 500; ++i) RandomStep(&engine, &w);
    std::size_t delivered;
    ASSERT_TRUE(engine.FlushAll(&delivered).ok());
    for (const auto& spec : kSpecs) {
      const Consumer& c = *engine.FindConsumer(spec.name);
      ASSERT_EQ(c.position(), engine.wal().head());
      ASSERT_EQ(engine.Lag(c), 0u);
      ASSERT_EQ(c.system().State(), FreshRebuild(engine, spec)) << spec.name << " round " << round;
    }
  }
}

TEST_P(PropertyTest, SnapshotConsumerEndsInTheSameStateAsReplayConsumer) {
  Engine engine;
  RandomWorkload w(GetParam());
  AddAllReplay(&engine);
  for (int i = 0; i < 1500; ++i) RandomStep(&engine, &w);
  // Late joiners of every type, one of each mode, added mid-stream.
  Lsn position;
  for (const auto& spec : kSpecs) {
    ConsumerSpec snap = spec, replay = spec;
    snap.name += "_snapshot";
    replay.name += "_replay";
    ASSERT_TRUE(engine.AddConsumer(snap, JoinMode::kSnapshot, nullptr, &position).ok());
    ASSERT_EQ(position, engine.storage().lsn());
    ASSERT_TRUE(engine.AddConsumer(replay, JoinMode::kReplay, nullptr, &position).ok());
  }
  for (int i = 0; i < 1500; ++i) RandomStep(&engine, &w);
  std::size_t delivered;
  ASSERT_TRUE(engine.FlushAll(&delivered).ok());
  for (const auto& spec : kSpecs) {
    const Consumer& snap = *engine.FindConsumer(spec.name + "_snapshot");
    const Consumer& replay = *engine.FindConsumer(spec.name + "_replay");
    EXPECT_EQ(snap.position(), replay.position());
    EXPECT_EQ(snap.system().State(), replay.system().State()) << spec.name;
    EXPECT_EQ(snap.system().State(), engine.FindConsumer(spec.name)->system().State());
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PropertyTest, ::testing::Values(1u, 7u, 42u, 2024u, 99991u));

}  // namespace
}  // namespace unbundled
