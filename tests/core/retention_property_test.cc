// Property tests of retention: random histories of writes, syncs, flushes,
// consumer crashes and commits, with random checkpoints, truncations and
// compactions interleaved with the crash lab's crashes. Checked against an
// independent model: every log entry ever written (by LSN), less the ones a
// recovery reported lost.
//
// - The log never reorders or renumbers: each entry left is the one written
//   with that LSN.
// - Compaction leaves, among entries <= upto, the newest entry of each key,
//   without the tombstones older than tombstones_before.
// - Storage recovered from the retained log (with its checkpoint), and
//   storage replayed from a compacted log with no checkpoint, both equal the
//   model's uncompacted history.
// - A consumer added in replay mode on a compacted log ends in the same
//   state as one added by snapshot (upsert consumers; a delta view is
//   flagged by verify when it does not).
// - An upsert consumer is consistent after compaction and redelivery,
//   except for a delete it never learned of, which verify names.
//
// Seeds are deterministic; UNBUNDLED_RETENTION_SEEDS sets how many.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "core/engine.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "tests/core/replay.h"

namespace unbundled {

// Entries compare by what the record says (for the model's maps).
static bool operator==(const LogEntry& a, const LogEntry& b) {
  return a.lsn == b.lsn && a.op == b.op && a.key == b.key && a.value == b.value;
}

namespace {

std::size_t SeedCount() {
  const char* env = std::getenv("UNBUNDLED_RETENTION_SEEDS");
  return env != nullptr ? std::strtoul(env, nullptr, 10) : 1000;
}

ConsumerSpec Spec(std::string name, const std::string& type, OffsetStorage offsets,
                  std::size_t commit_every, ApplyMode apply) {
  Json config = Json::object();
  if (type == "secondary_index") config = {{"field", "city"}};
  if (type == "materialized_view") config = {{"group_by", "city"}, {"sum", "n"}};
  return {std::move(name), type, config, offsets, commit_every, apply};
}

const std::vector<ConsumerSpec> kSpecs = {
    Spec("index", "secondary_index", OffsetStorage::kWithState, 1, ApplyMode::kDelta),
    Spec("view", "materialized_view", OffsetStorage::kWithState, 3, ApplyMode::kDelta),
    Spec("view_upsert", "materialized_view", OffsetStorage::kWithState, 2, ApplyMode::kUpsert),
    Spec("search_upsert", "full_text", OffsetStorage::kWithState, 2, ApplyMode::kUpsert),
    Spec("view_upsert_separate", "materialized_view", OffsetStorage::kSeparate, 3, ApplyMode::kUpsert),
};
const char* const kTypes[] = {"secondary_index", "materialized_view", "full_text"};

// Sorts every array in a JSON value (a view's key lists are sets).
Json Normalized(Json j) {
  if (j.is_array()) {
    for (auto& v : j) v = Normalized(v);
    std::sort(j.begin(), j.end());
  } else if (j.is_object()) {
    for (auto& [k, v] : j.items()) v = Normalized(v);
  }
  return j;
}

struct Counts {
  std::size_t compactions = 0, truncations = 0, refused_truncations = 0, recoveries = 0,
              replays_compared = 0, delta_replays_flagged = 0, missed_deletes = 0,
              out_of_range = 0, checkpoint_recoveries = 0;
};

class RetentionRun {
 public:
  RetentionRun(unsigned seed, Counts* counts) : rng_(seed), counts_(counts) {
    Lsn position;
    for (const auto& spec : kSpecs) {
      EXPECT_TRUE(engine_.AddConsumer(spec, JoinMode::kReplay, nullptr, &position).ok());
    }
  }

  std::size_t Pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  void Step() {
    if (engine_.down()) return RecoverAndCheck();
    const std::string key = "k" + std::to_string(Pick(8));
    const std::size_t op = Pick(24);
    if (std::getenv("UNBUNDLED_RETENTION_TRACE") != nullptr) Trace(op, key);
    switch (op) {
      case 0: case 1: case 2: case 3: case 4: case 5: {
        Json doc = {{"city", std::string(1, static_cast<char>('A' + Pick(3)))},
                    {"n", static_cast<int>(Pick(20))}, {"bio", Pick(2) ? "log stream" : "index"}};
        return Write(LogOp::kPut, key, doc);
      }
      case 6: case 7:
        return Write(LogOp::kDelete, key, Json());
      case 8: {
        Lsn durable;
        ASSERT_TRUE(engine_.Sync(&durable).ok());
        return;
      }
      case 9: {
        std::size_t delivered;
        ASSERT_TRUE(engine_.FlushAll(&delivered).ok());
        return;
      }
      case 10: {
        std::optional<ChangeEvent> e;
        const ConsumerSpec& spec = kSpecs[Pick(kSpecs.size())];
        Status s = engine_.Step(spec.name, &e);
        const Consumer* c = engine_.FindConsumer(spec.name);
        ASSERT_EQ(s.ok(), !engine_.OutOfRange(*c) && !c->ahead()) << s.message();
        return;
      }
      case 11: {
        Lsn to;
        std::size_t redeliver;
        ASSERT_TRUE(engine_.CrashConsumer(kSpecs[Pick(kSpecs.size())].name, &to, &redeliver).ok());
        return;
      }
      case 12:
        ASSERT_TRUE(engine_.Commit(kSpecs[Pick(kSpecs.size())].name).ok());
        return;
      case 13: {
        CheckpointResult cr;
        ASSERT_TRUE(engine_.Checkpoint(&cr).ok());
        ASSERT_EQ(cr.lsn, engine_.storage().lsn());
        return;
      }
      case 14:
        return Truncate();
      case 15: case 16:
        return Compact();
      case 17: {
        const CrashKind kind = Pick(2) ? CrashKind::kProcess : CrashKind::kPower;
        const std::size_t torn =
            kind == CrashKind::kPower ? Pick(engine_.wal().file().unsynced() + 1) : 0;
        ASSERT_TRUE(engine_.Crash(kind, torn).ok());
        return RecoverAndCheck();
      }
      case 18: {
        // Rebuild a consumer that lost its place, or that a crash left
        // ahead of the log (their way back).
        for (const auto& spec : kSpecs) {
          const Consumer* c = engine_.FindConsumer(spec.name);
          if (engine_.OutOfRange(*c) || c->ahead()) {
            Lsn position;
            ASSERT_TRUE(engine_.Rebuild(spec.name, nullptr, &position).ok());
            ASSERT_FALSE(engine_.OutOfRange(*engine_.FindConsumer(spec.name)));
          }
        }
        return;
      }
      case 19:
        return CheckConsumers();
      case 20:
        return CompareReplayWithSnapshot();
      case 21: {
        CommitMode mode = Pick(2) ? CommitMode::kSync : CommitMode::kAsync;
        engine_.Configure(&mode, nullptr);
        return;
      }
      default: {
        // Storage always equals the model's whole history.
        ASSERT_EQ(engine_.storage().Contents(), Replay(Model()));
        return;
      }
    }
  }

  // One line per operation on stderr, to follow a failing seed.
  void Trace(std::size_t op, const std::string& key) const {
    std::string positions;
    for (const auto& c : engine_.consumers()) {
      positions += " " + c->name() + "=" + std::to_string(c->position()) + "/" +
                   std::to_string(c->committed());
    }
    std::fprintf(stderr, "op %zu key %s head %llu durable %llu start %llu ckpt %llu |%s\n", op,
                 key.c_str(), static_cast<unsigned long long>(engine_.wal().head()),
                 static_cast<unsigned long long>(engine_.wal().durable_lsn()),
                 static_cast<unsigned long long>(engine_.wal().start_lsn()),
                 static_cast<unsigned long long>(engine_.checkpoint() ? engine_.checkpoint()->lsn : 0),
                 positions.c_str());
  }

  // The final checks of a run.
  void Finish() {
    CheckLogAgainstModel();
    CheckConsumers();
    CompareReplayWithSnapshot();
  }

 private:
  std::vector<LogEntry> Model() const {
    std::vector<LogEntry> entries;
    for (const auto& [lsn, e] : written_) entries.push_back(e);
    return entries;
  }

  void Write(LogOp op, const std::string& key, const Json& doc) {
    WriteOptions o;
    WriteResult w;
    Status s = op == LogOp::kPut ? engine_.Put(key, doc, o, &w) : engine_.Delete(key, o, &w);
    ASSERT_TRUE(s.ok()) << s.message();
    if (!w.written) return;
    LogEntry e;
    e.lsn = w.event.lsn;
    e.op = op;
    e.key = key;
    if (op == LogOp::kPut) e.value = doc;
    written_[e.lsn] = e;
  }

  // Every entry left in the log is the one written with its LSN, in LSN
  // order, and the file reads back from end to end.
  void CheckLogAgainstModel() {
    const WriteAheadLog& wal = engine_.wal();
    Lsn last = 0;
    for (const auto& r : wal.records()) {
      LogEntry e;
      std::string why;
      ASSERT_TRUE(wal.Read(r, &e, &why)) << why;
      ASSERT_GT(e.lsn, last) << "entries are never reordered";
      ASSERT_GE(e.lsn, wal.start_lsn());
      last = e.lsn;
      auto it = written_.find(e.lsn);
      ASSERT_NE(it, written_.end()) << "LSN " << e.lsn << " was never written";
      ASSERT_EQ(it->second.key, e.key) << "LSN " << e.lsn << " was renumbered";
      ASSERT_EQ(it->second.op, e.op);
      ASSERT_EQ(it->second.value, e.value);
    }
    std::size_t problems = 0;
    log::Reader reader(wal.file().bytes(), [&problems](const log::Problem&) { ++problems; }, false);
    log::Record record;
    std::size_t read = 0;
    while (reader.ReadRecord(&record)) ++read;
    ASSERT_EQ(problems, 0u);
    ASSERT_EQ(read, wal.records().size());
  }

  void Truncate() {
    const Lsn start = engine_.wal().start_lsn();
    const Lsn limit = engine_.checkpoint() ? engine_.checkpoint()->lsn + 1 : 1;
    const Lsn before = start + Pick(limit + 2 - start);  // sometimes past the limit
    const bool force = Pick(3) == 0;
    // Which consumers pin the entries (committed position + 1 < before).
    std::vector<std::string> pinning;
    for (const auto& c : engine_.consumers()) {
      if (c->committed() + 1 < before && !engine_.OutOfRange(*c)) pinning.push_back(c->name());
    }
    std::set<std::string> was_out;
    for (const auto& c : engine_.consumers()) {
      if (engine_.OutOfRange(*c)) was_out.insert(c->name());
    }
    RemovalResult r;
    const std::map<Lsn, LogEntry> before_log = LogEntries();
    Status s = engine_.Truncate(before, force, &r);
    if (!engine_.checkpoint() || before > limit) {
      ASSERT_FALSE(s.ok()) << "recovery still needs the entries after the checkpoint";
      ASSERT_EQ(LogEntries(), before_log) << "a refused truncation changes nothing";
      return;
    }
    if (!pinning.empty() && !force) {
      ASSERT_FALSE(s.ok());
      for (const auto& name : pinning) ASSERT_NE(s.message().find(name), std::string::npos) << s.message();
      ASSERT_EQ(LogEntries(), before_log);
      ++counts_->refused_truncations;
      return;
    }
    ASSERT_TRUE(s.ok()) << s.message();
    ++counts_->truncations;
    // Exactly the entries with LSN < before went.
    std::vector<Lsn> expected;
    for (const auto& [lsn, e] : before_log) {
      if (lsn < before) expected.push_back(lsn);
    }
    ASSERT_EQ(r.removed, expected);
    for (const auto& [lsn, e] : LogEntries()) ASSERT_GE(lsn, before);
    counts_->out_of_range += r.out_of_range.size();
    for (const auto& name : r.out_of_range) {
      std::size_t delivered;
      ASSERT_FALSE(engine_.Flush(name, &delivered).ok()) << name << " is out of range";
    }
    // It lists exactly those it put out of range.
    std::vector<std::string> now_out;
    for (const auto& c : engine_.consumers()) {
      if (engine_.OutOfRange(*c) && was_out.count(c->name()) == 0) now_out.push_back(c->name());
    }
    ASSERT_EQ(r.out_of_range, now_out);
    CheckLogAgainstModel();
  }

  void Compact() {
    const Lsn durable = engine_.wal().durable_lsn();
    if (durable == 0) return;
    const Lsn upto = 1 + Pick(durable);
    const Lsn tombstones_before = Pick(3) == 0 ? 0 : Pick(upto + 1);
    const std::map<Lsn, LogEntry> before_log = LogEntries();
    RemovalResult r;
    Status s = engine_.Compact(upto, tombstones_before, &r);
    if (engine_.checkpoint() && tombstones_before > engine_.checkpoint()->lsn + 1) {
      ASSERT_FALSE(s.ok()) << "recovery needs the deletes after the checkpoint";
      ASSERT_EQ(LogEntries(), before_log);
      return;
    }
    ASSERT_TRUE(s.ok()) << s.message();
    ++counts_->compactions;
    counts_->missed_deletes += r.missed_deletes.size();
    // The model of compaction: per key, the newest entry <= upto; a
    // tombstone older than tombstones_before goes too.
    std::map<std::string, Lsn> newest;
    for (const auto& [lsn, e] : before_log) {
      if (lsn <= upto) newest[e.key] = lsn;
    }
    std::map<Lsn, LogEntry> expected;
    for (const auto& [lsn, e] : before_log) {
      if (lsn > upto) {
        expected[lsn] = e;
      } else if (newest[e.key] == lsn && !(e.op == LogOp::kDelete && lsn < tombstones_before)) {
        expected[lsn] = e;
      }
    }
    ASSERT_EQ(LogEntries(), expected);
    std::vector<Lsn> removed;
    for (const auto& [lsn, e] : before_log) {
      if (!expected.count(lsn)) removed.push_back(lsn);
    }
    ASSERT_EQ(r.removed, removed);
    CheckLogAgainstModel();
    // With no truncation, a replay of the compacted log (no checkpoint
    // image: the log starts at LSN 1) rebuilds the same storage.
    if (engine_.wal().start_lsn() == 1 && Pick(2) == 0) {
      std::size_t replayed;
      ASSERT_TRUE(engine_.ReplayStorage(&replayed).ok());
      ASSERT_EQ(replayed, engine_.wal().records().size());
      ASSERT_EQ(engine_.storage().Contents(), Replay(Model()))
          << "storage replayed from the compacted log equals the uncompacted history";
    }
  }

  std::map<Lsn, LogEntry> LogEntries() const {
    std::map<Lsn, LogEntry> entries;
    for (const auto& r : engine_.wal().records()) {
      LogEntry e;
      std::string why;
      EXPECT_TRUE(engine_.wal().Read(r, &e, &why)) << why;
      entries[e.lsn] = e;
    }
    return entries;
  }

  void RecoverAndCheck() {
    ++counts_->recoveries;
    RecoveryResult result;
    ASSERT_TRUE(engine_.Recover(nullptr, &result).ok());
    ASSERT_TRUE(result.checkpoint_unused.empty()) << result.checkpoint_unused;
    if (result.checkpoint != 0) ++counts_->checkpoint_recoveries;
    for (const auto& l : result.lost) written_.erase(l.lsn);
    // Storage recovered from the retained log and the checkpoint equals the
    // uncompacted, untruncated history.
    ASSERT_EQ(engine_.storage().Contents(), Replay(Model()));
    CheckLogAgainstModel();
  }

  // After a flush, every upsert consumer in range is consistent, except for a
  // delete it never learned of, which verify names.
  void CheckConsumers() {
    std::size_t delivered;
    ASSERT_TRUE(engine_.FlushAll(&delivered).ok());
    std::vector<ConsumerCheck> checks;
    ASSERT_TRUE(engine_.Verify(&checks).ok());
    for (const auto& check : checks) {
      const Consumer* c = engine_.FindConsumer(check.name);
      if (c->ahead() || engine_.OutOfRange(*c) || c->spec().apply != ApplyMode::kUpsert) continue;
      if (!check.consistent) {
        ASSERT_EQ(check.reason.rfind("never learned of the delete of '", 0), 0u)
            << c->name() << ": " << check.reason << " " << check.differences.dump();
      }
    }
  }

  // A consumer added in replay mode ends in the same state as one added by
  // snapshot; refused once a truncation moved the log's start.
  void CompareReplayWithSnapshot() {
    std::size_t delivered;
    const std::string type = kTypes[Pick(3)];
    Lsn position;
    ConsumerSpec replay = Spec("replay", type, OffsetStorage::kWithState, 1, ApplyMode::kUpsert);
    ConsumerSpec delta = Spec("replay_delta", "materialized_view", OffsetStorage::kWithState, 1,
                              ApplyMode::kDelta);
    ConsumerSpec snapshot = Spec("snapshot", type, OffsetStorage::kWithState, 1, ApplyMode::kDelta);
    Status s = engine_.AddConsumer(replay, JoinMode::kReplay, nullptr, &position);
    if (engine_.wal().start_lsn() > 1) {
      ASSERT_FALSE(s.ok()) << "a replay after a truncation would be silently incomplete";
      return;
    }
    ASSERT_TRUE(s.ok()) << s.message();
    // A replay stops at the durable LSN; a snapshot is of storage now.
    Lsn durable;
    ASSERT_TRUE(engine_.Sync(&durable).ok());
    ASSERT_TRUE(engine_.AddConsumer(delta, JoinMode::kReplay, nullptr, &position).ok());
    ASSERT_TRUE(engine_.Flush("replay", &delivered).ok());
    ASSERT_TRUE(engine_.Flush("replay_delta", &delivered).ok());
    ASSERT_TRUE(engine_.AddConsumer(snapshot, JoinMode::kSnapshot, nullptr, &position).ok());
    const Consumer* r = engine_.FindConsumer("replay");
    const Consumer* d = engine_.FindConsumer("replay_delta");
    const Consumer* n = engine_.FindConsumer("snapshot");
    ASSERT_EQ(r->position(), n->position());
    ASSERT_EQ(Normalized(r->system().State()), Normalized(n->system().State()))
        << type << " replayed from the compacted log";
    ++counts_->replays_compared;
    std::vector<ConsumerCheck> checks;
    ASSERT_TRUE(engine_.Verify(&checks).ok());
    for (const auto& check : checks) {
      if (check.name == "replay" || check.name == "snapshot") ASSERT_TRUE(check.consistent) << check.reason;
      if (check.name == "replay_delta") {
        // The delta view is flagged exactly when it differs from the same
        // view built by snapshot.
        Lsn p;
        ConsumerSpec mv = delta;
        mv.name = "snapshot_mv";
        ASSERT_TRUE(engine_.AddConsumer(mv, JoinMode::kSnapshot, nullptr, &p).ok());
        const bool differs = Normalized(d->system().State()) !=
                             Normalized(engine_.FindConsumer("snapshot_mv")->system().State());
        ASSERT_EQ(check.consistent, !differs) << check.reason;
        ASSERT_TRUE(engine_.RemoveConsumer("snapshot_mv").ok());
        if (differs) {
          ++counts_->delta_replays_flagged;
          ASSERT_NE(check.reason.find("delta consumer"), std::string::npos) << check.reason;
        }
      }
    }
    for (const char* name : {"replay", "replay_delta", "snapshot"}) {
      ASSERT_TRUE(engine_.RemoveConsumer(name).ok());
    }
  }

  Engine engine_;
  std::mt19937 rng_;
  Counts* counts_;
  std::map<Lsn, LogEntry> written_;  // every entry written and not lost, by LSN
};

TEST(RetentionProperty, RetentionKeepsStorageAndUpsertConsumersExactAcrossCrashes) {
  const std::size_t seeds = SeedCount();
  Counts counts;
  // UNBUNDLED_RETENTION_SEED runs that one seed (with _TRACE, traced).
  const char* one = std::getenv("UNBUNDLED_RETENTION_SEED");
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    if (one != nullptr && seed != std::strtoul(one, nullptr, 10)) continue;
    RetentionRun run(seed, &counts);
    for (int i = 0; i < 150; ++i) {
      run.Step();
      if (::testing::Test::HasFatalFailure()) FAIL() << "seed " << seed << ", operation " << i;
    }
    run.Finish();
    if (::testing::Test::HasFatalFailure()) FAIL() << "seed " << seed << ", final checks";
  }
  RecordProperty("compactions", static_cast<int>(counts.compactions));
  RecordProperty("truncations", static_cast<int>(counts.truncations));
  // The runs really exercised what they claim to check.
  EXPECT_GT(counts.compactions, seeds);
  EXPECT_GT(counts.truncations, seeds / 4);
  EXPECT_GT(counts.refused_truncations, 0u);
  EXPECT_GT(counts.out_of_range, 0u);
  EXPECT_GT(counts.missed_deletes, 0u);
  EXPECT_GT(counts.checkpoint_recoveries, seeds / 4);
  EXPECT_GT(counts.replays_compared, seeds);
  EXPECT_GT(counts.delta_replays_flagged, 0u) << "a delta view replaying a compacted log is flagged";
}

}  // namespace
}  // namespace unbundled
