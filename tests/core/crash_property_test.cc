// Property tests of the crash lab: random operation sequences with crashes of
// every kind at every fault point, under both commit modes, checked after
// every recovery against what the bytes say and against exactly-once
// derivation. Seeds are deterministic; UNBUNDLED_CRASH_SEEDS sets how many
// (CI runs the default; README, "Tests", gives the longer command).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "core/engine.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "tests/core/replay.h"

namespace unbundled {
namespace {

std::size_t SeedCount() {
  const char* env = std::getenv("UNBUNDLED_CRASH_SEEDS");
  return env != nullptr ? std::strtoul(env, nullptr, 10) : 3000;
}

const std::vector<ConsumerSpec> kSpecs = {
    {"index", "secondary_index", {{"field", "city"}}, OffsetStorage::kWithState, 1},
    {"view", "materialized_view", {{"group_by", "city"}, {"sum", "n"}}, OffsetStorage::kWithState, 3},
    {"search", "full_text", Json::object(), OffsetStorage::kWithState, 2},
    {"view_separate", "materialized_view", {{"group_by", "city"}}, OffsetStorage::kSeparate, 2},
};

class CrashRun {
 public:
  explicit CrashRun(unsigned seed) : rng_(seed) {
    Lsn position;
    for (const auto& spec : kSpecs) {
      EXPECT_TRUE(engine_.AddConsumer(spec, JoinMode::kReplay, nullptr, &position).ok());
    }
  }

  std::size_t Pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  // One random operation.
  void Step() {
    if (engine_.down()) return RecoverAndCheck();
    const std::string key = "k" + std::to_string(Pick(12));
    WriteOptions fault;
    switch (Pick(20)) {
      case 0:
        fault.fault = WriteFault::kBeforeSync;
        break;
      case 1:
        fault.fault = WriteFault::kAfterSync;
        break;
      default:
        break;
    }
    switch (Pick(16)) {
      case 0: case 1: case 2: case 3: case 4: {
        Json doc = {{"city", std::string(1, static_cast<char>('A' + Pick(4)))},
                    {"n", static_cast<int>(Pick(50))}, {"bio", Pick(2) ? "log stream" : "index"}};
        Write(LogOp::kPut, key, doc, fault);
        break;
      }
      case 5:
        Write(LogOp::kDelete, key, Json(), fault);
        break;
      case 6: {
        Lsn durable;
        ASSERT_TRUE(engine_.Sync(&durable).ok());
        break;
      }
      case 7: {
        std::size_t delivered;
        ASSERT_TRUE(engine_.FlushAll(&delivered).ok());
        break;
      }
      case 8: {
        std::optional<ChangeEvent> e;
        ASSERT_TRUE(engine_.Step(kSpecs[Pick(kSpecs.size())].name, &e).ok());
        break;
      }
      case 9: {
        Lsn to;
        std::size_t redeliver;
        ASSERT_TRUE(engine_.CrashConsumer(kSpecs[Pick(kSpecs.size())].name, &to, &redeliver).ok());
        break;
      }
      case 10:
        ASSERT_TRUE(engine_.Commit(kSpecs[Pick(kSpecs.size())].name).ok());
        break;
      case 11: {
        CommitMode mode = Pick(2) ? CommitMode::kSync : CommitMode::kAsync;
        engine_.Configure(&mode, nullptr);
        break;
      }
      case 12:
      case 13: {
        const CrashKind kind = Pick(2) ? CrashKind::kProcess : CrashKind::kPower;
        const std::size_t torn =
            kind == CrashKind::kPower ? Pick(engine_.wal().file().unsynced() + 1) : 0;
        Expect(kind, torn);
        ASSERT_TRUE(engine_.Crash(kind, torn).ok());
        break;
      }
      default: {
        const Doc* value;
        ASSERT_TRUE(engine_.Get(key, &value).ok());
        break;
      }
    }
  }

  std::size_t recoveries() const { return recoveries_; }

 private:
  void Write(LogOp op, const std::string& key, const Json& doc, const WriteOptions& options) {
    WriteOptions o = options;
    const std::size_t record = log::kHeaderSize + 4 + key.size() +
                               (op == LogOp::kPut ? doc.dump().size() : 0);
    if (o.fault == WriteFault::kBeforeSync) o.torn_bytes = Pick(engine_.wal().file().unsynced() + record + 1);
    // A delete of an absent key writes nothing, so it has no fault point.
    if (op == LogOp::kDelete && engine_.Get(key) == nullptr) o = WriteOptions();
    const bool async = engine_.commit_mode() == CommitMode::kAsync;
    WriteResult w;
    if (o.fault != WriteFault::kNone) {
      Status s = op == LogOp::kPut ? engine_.Put(key, doc, o, &w) : engine_.Delete(key, o, &w);
      ASSERT_TRUE(s.ok()) << s.message();
      ASSERT_FALSE(w.acknowledged);
      ASSERT_TRUE(engine_.down());
      // The records (as laid out before the crash) that do not lie wholly
      // within the surviving bytes are the ones that must be lost.
      expected_lost_.clear();
      for (const auto& r : engine_.wal().records()) {
        if (r.offset + r.size > engine_.wal().file().size()) expected_lost_.insert(r.lsn);
      }
      return RecoverAndCheck();
    }
    Status s = op == LogOp::kPut ? engine_.Put(key, doc, o, &w) : engine_.Delete(key, o, &w);
    ASSERT_TRUE(s.ok()) << s.message();
    if (w.written) acknowledged_async_[w.event.lsn] = async;
  }

  // Before a crash: which records will not survive it.
  void Expect(CrashKind kind, std::size_t torn) {
    expected_lost_.clear();
    const std::size_t cut =
        kind == CrashKind::kProcess ? engine_.wal().file().size() : engine_.wal().file().synced() + torn;
    for (const auto& r : engine_.wal().records()) {
      if (r.offset + r.size > cut) expected_lost_.insert(r.lsn);
    }
  }

  void RecoverAndCheck() {
    ++recoveries_;
    RecoveryResult result;
    Status s = engine_.Recover(nullptr, &result);
    ASSERT_TRUE(s.ok()) << s.message();
    // Exactly the records that did not survive whole are lost.
    std::set<Lsn> lost;
    for (const auto& l : result.lost) {
      lost.insert(l.lsn);
      // An acknowledged write is lost only if it was acknowledged under async commit.
      if (l.acknowledged) {
        ASSERT_TRUE(acknowledged_async_.count(l.lsn) && acknowledged_async_[l.lsn])
            << "LSN " << l.lsn << " was acknowledged under sync commit and lost";
      }
    }
    ASSERT_EQ(lost, expected_lost_);
    for (Lsn l : lost) acknowledged_async_.erase(l);
    // Storage equals a replay of the log file, decoded independently.
    std::map<std::string, Document> replay;
    Lsn replay_lsn = 0;
    std::size_t problems = 0;
    log::Reader reader(engine_.wal().file().bytes(), [&problems](const log::Problem&) { ++problems; },
                       false);
    log::Record record;
    while (reader.ReadRecord(&record)) {
      ReplayInto(record.entry, &replay);
      replay_lsn = record.entry.lsn;
    }
    ASSERT_EQ(problems, 0u) << "the recovered file must verify from end to end";
    ASSERT_EQ(replay, engine_.storage().Contents());
    ASSERT_EQ(replay_lsn, engine_.storage().lsn());
    // Every with_state consumer, once caught up, passes verify.
    Lsn durable;
    ASSERT_TRUE(engine_.Sync(&durable).ok());
    std::size_t delivered;
    ASSERT_TRUE(engine_.FlushAll(&delivered).ok());
    std::vector<ConsumerCheck> checks;
    ASSERT_TRUE(engine_.Verify(&checks).ok());
    for (std::size_t i = 0; i < checks.size(); ++i) {
      const Consumer* c = engine_.FindConsumer(checks[i].name);
      ASSERT_FALSE(c->ahead()) << c->name() << ": no durable write was lost, so none can be ahead";
      ASSERT_EQ(engine_.Lag(*c), 0u);
      if (c->spec().offsets == OffsetStorage::kWithState) {
        ASSERT_TRUE(checks[i].consistent) << c->name() << " " << checks[i].differences.dump();
      }
    }
  }

  Engine engine_;
  std::mt19937 rng_;
  std::set<Lsn> expected_lost_;
  std::map<Lsn, bool> acknowledged_async_;  // LSN -> acknowledged under async commit
  std::size_t recoveries_ = 0;
};

TEST(CrashProperty, RecoveryKeepsExactlyWhatTheBytesSayAndWithStateConsumersStayExact) {
  const std::size_t seeds = SeedCount();
  std::size_t recoveries = 0;
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    CrashRun run(seed);
    for (int i = 0; i < 200; ++i) {
      run.Step();
      if (::testing::Test::HasFatalFailure()) {
        FAIL() << "seed " << seed << ", operation " << i;
      }
    }
    recoveries += run.recoveries();
  }
  RecordProperty("seeds", static_cast<int>(seeds));
  RecordProperty("recoveries", static_cast<int>(recoveries));
  EXPECT_GT(recoveries, seeds);  // the runs really crashed, many times
}

}  // namespace
}  // namespace unbundled
