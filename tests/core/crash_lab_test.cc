// The crash lab through the JSON entry point: commit modes, crashes at every
// fault point, recovery modes, consumers that crash, and verify. Every
// refused step must leave the whole state byte-for-byte as it was.
#include <gtest/gtest.h>

#include "core/simulator.h"
#include "tests/core/simulator_fixture.h"

namespace unbundled {
namespace {

class CrashLabTest : public SimulatorFixture {
 protected:
  void Put(const std::string& key, const std::string& city) {
    Ok(R"({"op":"put","key":")" + key + R"(","value":{"city":")" + city + R"("}})");
  }
  Json State() { return sim_.State(); }
  Json LostLsns(const Json& recover) {
    Json lsns = Json::array();
    for (const auto& l : recover["lost"]) lsns.push_back(l["lsn"]);
    return lsns;
  }
};

TEST_F(CrashLabTest, SyncCommitLosesNoAcknowledgedWriteOnPowerLoss) {
  Put("u1", "London");
  Put("u2", "Paris");
  Ok(R"({"op":"crash","kind":"power"})");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["recovered"], 2);
  EXPECT_EQ(r["lost"], Json::array());
  EXPECT_EQ(State()["storage"]["data"].size(), 2u);
}

// state() and view() say what took the database down: each kind of crash,
// a write's crash on either side of its sync, a log file opened; null once
// recovered. A refused step, such as a write with a crash on the way while
// the database is already down, takes nothing down and changes nothing.
TEST_F(CrashLabTest, DownByNamesWhatTookTheDatabaseDown) {
  const auto down_by = [this] {
    const Json view = Json::parse(sim_.View(std::string(R"({"wal":{"count":0},"events":{"count":0},"storage":{"count":0}})")));
    EXPECT_EQ(view["down_by"], State()["down_by"]);
    return State()["down_by"];
  };
  EXPECT_EQ(down_by(), nullptr);
  Put("u1", "London");
  Ok(R"({"op":"crash","kind":"process"})");
  EXPECT_EQ(down_by(), "process");
  Fails(R"({"op":"put","key":"u2","value":{"city":"Paris"},"crash":"before_sync"})", "database is down: recover first");
  Fails(R"({"op":"crash","kind":"power"})", "database is down: recover first");
  EXPECT_EQ(down_by(), "process");
  Ok(R"({"op":"recover"})");
  EXPECT_EQ(down_by(), nullptr);
  Ok(R"({"op":"crash","kind":"power"})");
  EXPECT_EQ(down_by(), "power");
  Ok(R"({"op":"recover"})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"Paris"},"crash":"before_sync"})");
  EXPECT_EQ(down_by(), "power");
  Ok(R"({"op":"recover"})");
  Ok(R"({"op":"put","key":"u3","value":{"city":"Oslo"},"crash":"after_sync"})");
  EXPECT_EQ(down_by(), "process");
  // A copy (a checkpoint of the history) says the same.
  Simulator copy;
  copy.CopyFrom(sim_);
  EXPECT_EQ(copy.State()["down_by"], "process");
  Ok(R"({"op":"recover"})");
  EXPECT_EQ(down_by(), nullptr);
  sim_.OpenLog(sim_.engine().wal().file().bytes().str());
  EXPECT_EQ(down_by(), "opened");
}

TEST_F(CrashLabTest, AsyncCommitLosesTheWritesAcknowledgedSinceTheLastSync) {
  Ok(R"({"op":"configure","commit":"async"})");
  Put("u1", "London");
  EXPECT_EQ(Ok(R"({"op":"sync"})")["durable"], 1);
  Json w = Ok(R"({"op":"put","key":"u2","value":{"city":"Paris"}})");
  EXPECT_EQ(w["acknowledged"], true);
  EXPECT_EQ(w["durable"], false);
  Put("u3", "Oslo");
  Ok(R"({"op":"crash","kind":"power"})");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["lost"], Json::parse(R"([{"acknowledged":true,"lsn":2},{"acknowledged":true,"lsn":3}])"));
  EXPECT_EQ(r["recovered"], 1);
}

TEST_F(CrashLabTest, ConsumersSeeOnlyDurableEvents) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city"}})");
  Ok(R"({"op":"configure","commit":"async"})");
  Put("u1", "London");
  EXPECT_EQ(Ok(R"({"op":"flush"})")["delivered"], 0);
  EXPECT_TRUE(Ok(R"({"op":"step","consumer":"i"})")["event"].is_null());
  EXPECT_EQ(Consumer("i")["lag"], 0);
  EXPECT_EQ(State()["log"]["durable"], 0);
  Ok(R"({"op":"sync"})");
  EXPECT_EQ(Consumer("i")["lag"], 1);
  EXPECT_EQ(Ok(R"({"op":"flush"})")["delivered"], 1);
}

TEST_F(CrashLabTest, ProcessCrashKeepsWrittenBytes) {
  Ok(R"({"op":"configure","commit":"async"})");
  Put("u1", "London");
  const auto bytes = State()["log"]["bytes"];
  EXPECT_EQ(Ok(R"({"op":"crash","kind":"process"})")["surviving_bytes"], bytes);
  EXPECT_EQ(State()["storage"]["lost"], true);
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["lost"], Json::array());
  EXPECT_EQ(r["recovered"], 1);
  // Recovery syncs what it read back, as PostgreSQL does when crash recovery starts.
  EXPECT_EQ(State()["log"]["durable"], 1);
}

TEST_F(CrashLabTest, BeforeSyncCrashIsUnacknowledgedAndLostWithoutTornBytes) {
  Put("u1", "London");
  Json w = Ok(R"({"op":"put","key":"u2","value":{"city":"Paris"},"crash":"before_sync"})");
  EXPECT_EQ(w["acknowledged"], false);
  EXPECT_EQ(w["crashed"], "power");
  EXPECT_EQ(State()["down"], true);
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["lost"], Json::parse(R"([{"acknowledged":false,"lsn":2}])"));
  EXPECT_EQ(r["discarded_bytes"], 0);
}

TEST_F(CrashLabTest, AfterSyncCrashSurvivesThoughUnacknowledged) {
  Json w = Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"},"crash":"after_sync"})");
  EXPECT_EQ(w["acknowledged"], false);
  EXPECT_EQ(w["durable"], true);
  EXPECT_EQ(w["crashed"], "process");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["lost"], Json::array());
  EXPECT_EQ(r["survived_unacknowledged"], Json::parse("[1]"));
  EXPECT_EQ(State()["wal"][0]["acknowledged"], false);
  // The next crash's recovery does not report it again.
  Ok(R"({"op":"crash","kind":"process"})");
  EXPECT_EQ(Ok(R"({"op":"recover"})")["survived_unacknowledged"], Json::array());
}

TEST_F(CrashLabTest, TornBytesLeaveATornTailThatRecoveryCuts) {
  Put("u1", "London");  // 17 + 4 + 2 + 17 = 40 bytes
  Ok(R"({"op":"put","key":"u2","value":{"city":"Paris"},"crash":"before_sync","torn_bytes":10})");
  Json state = State();
  EXPECT_EQ(state["log"]["bytes"], 50);
  EXPECT_EQ(state["log"]["tail"], Json::parse(R"({"offset":40,"bytes":10})"));
  EXPECT_EQ(state["wal"].size(), 1u);
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["discarded_bytes"], 10);
  EXPECT_EQ(r["problems"][0]["kind"], "torn_tail");
  EXPECT_EQ(r["problems"][0]["offset"], 40);
  EXPECT_EQ(State()["log"]["bytes"], 40);
}

TEST_F(CrashLabTest, TornBytesCoveringAWholeRecordKeepIt) {
  Ok(R"({"op":"configure","commit":"async"})");
  Put("u1", "London");  // 40 bytes, unsynced
  Put("u2", "Paris");   // 39 bytes, unsynced
  Ok(R"({"op":"crash","kind":"power","torn_bytes":45})");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["recovered"], 1);
  EXPECT_EQ(r["discarded_bytes"], 5);
}

TEST_F(CrashLabTest, EveryDatabaseStepIsRefusedWhileDownAndTheRestWork) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city"}})");
  Put("u1", "London");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"crash","kind":"process"})");
  const std::string down = "database is down: recover first";
  for (const char* step : {R"({"op":"put","key":"u2","value":{}})", R"({"op":"delete","key":"u1"})",
                           R"({"op":"get","key":"u1"})", R"({"op":"flush"})",
                           R"({"op":"flush","consumer":"i"})", R"({"op":"step","consumer":"i"})",
                           R"({"op":"add_consumer","consumer":{"name":"j","type":"full_text"}})",
                           R"({"op":"rebuild","consumer":"i"})", R"({"op":"sync"})",
                           R"({"op":"crash","kind":"power"})", R"({"op":"verify"})",
                           R"({"op":"scan","prefix":""})", R"({"op":"expect","head":1})"}) {
    Fails(step, down);
  }
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"i","value":"London"})")["result"], Json::parse(R"(["u1"])"));
  Ok(R"({"op":"commit","consumer":"i"})");
  Ok(R"({"op":"expect","down":true})");
  Ok(R"({"op":"configure","recovery":"skip"})");
  Ok(R"({"op":"recover"})");
  Fails(R"({"op":"recover"})",
        "recover: the database is up, so there is nothing to recover (crash it first)");
}

TEST_F(CrashLabTest, NextWriteTakesTheLsnAfterTheRecoveredHead) {
  Ok(R"({"op":"configure","commit":"async"})");
  Put("u1", "London");
  Ok(R"({"op":"sync"})");
  Put("u2", "Paris");
  Ok(R"({"op":"crash","kind":"power"})");
  Ok(R"({"op":"recover"})");
  EXPECT_EQ(Ok(R"({"op":"put","key":"u3","value":{}})")["event"]["lsn"], 2);
}

TEST_F(CrashLabTest, PointInTimeStopsAtCorruptionAndSkipKeepsLaterRecordsLeavingAHole) {
  for (const char* mode : {"point_in_time", "skip"}) {
    Simulator sim;
    for (int i = 1; i <= 4; ++i) {
      sim.Apply(Json{{"op", "put"}, {"key", "k" + std::to_string(i)}, {"value", {{"i", i}}}});
    }
    ASSERT_EQ(sim.Apply(Json::parse(R"({"op":"corrupt","lsn":2})"))["ok"], true);
    sim.Apply(Json::parse(R"({"op":"crash","kind":"process"})"));
    Json r = sim.Apply(Json{{"op", "recover"}, {"recovery", mode}});
    ASSERT_EQ(r["ok"], true) << r.dump();
    EXPECT_EQ(r["corruption"]["lsn"], 2);
    Json lsns = Json::array();
    const Json state = sim.State();
    for (const auto& e : state["wal"]) lsns.push_back(e["lsn"]);
    if (std::string(mode) == "point_in_time") {
      EXPECT_EQ(lsns, Json::parse("[1]"));
      EXPECT_EQ(LostLsns(r), Json::parse("[2,3,4]"));
    } else {
      EXPECT_EQ(lsns, Json::parse("[1,3,4]"));
      EXPECT_EQ(LostLsns(r), Json::parse("[2]"));
      EXPECT_EQ(sim.State()["head"], 4);
      // Events follow the recovered log: no event for LSN 2.
      Json events = Json::array();
      for (const auto& e : state["events"]) events.push_back(e["lsn"]);
      EXPECT_EQ(events, Json::parse("[1,3,4]"));
      // A second recovery finds the rewritten file clean.
      sim.Apply(Json::parse(R"({"op":"crash","kind":"process"})"));
      EXPECT_EQ(sim.Apply(Json::parse(R"({"op":"recover"})"))["problems"], Json::array());
    }
  }
}

TEST_F(CrashLabTest, AbsoluteRefusesAndStaysDown) {
  Put("u1", "London");
  Put("u2", "Paris");
  Ok(R"({"op":"corrupt","lsn":2,"byte":20})");
  Ok(R"({"op":"crash","kind":"process"})");
  Fails(R"({"op":"recover","recovery":"absolute"})",
        "recovery: corrupt record at byte offset 40 (claims LSN 2): checksum mismatch; absolute "
        "recovery refuses to open the log (recover with \"point_in_time\" or \"skip\" to accept "
        "losing it)");
  EXPECT_EQ(State()["down"], true);
}

TEST_F(CrashLabTest, ConsumerAheadOfTheLogIsRefusedUntilRebuilt) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city"}})");
  Put("u1", "London");
  Put("u2", "Paris");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"corrupt","lsn":2})");
  Ok(R"({"op":"crash","kind":"process"})");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["ahead"], Json::parse(R"(["i"])"));
  EXPECT_EQ(Consumer("i")["ahead"], true);
  const std::string ahead =
      "consumer: 'i' is ahead of the log (it has processed up to LSN 2, the head is LSN 1): it has "
      "seen writes the database no longer has; rebuild it";
  Fails(R"({"op":"step","consumer":"i"})", ahead);
  Fails(R"({"op":"flush","consumer":"i"})", ahead);
  Put("u3", "Oslo");  // takes LSN 2 again: the consumer must still not take it
  Json f = Ok(R"({"op":"flush"})");
  EXPECT_EQ(f["delivered"], 0);
  EXPECT_EQ(f["refused"]["i"], "consumer: 'i' is ahead of the log (it has processed up to LSN 2, "
                               "the head is LSN 2): it has seen writes the database no longer has; "
                               "rebuild it");
  EXPECT_EQ(Ok(R"({"op":"verify"})")["consumers"][0]["reason"], "ahead of the log");
  Ok(R"({"op":"rebuild","consumer":"i"})");
  EXPECT_EQ(Consumer("i")["ahead"], false);
  EXPECT_EQ(Ok(R"({"op":"verify"})")["consistent"], true);
}

TEST_F(CrashLabTest, SeparateConsumerThatRewoundIsStillAheadIfItsStateSawLostWrites) {
  // Its position went back to 1, but its external state holds LSNs 2 and 3,
  // which recovery then loses: it has seen writes the database no longer has.
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","offsets":"separate","commit_every":5}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"w","type":"materialized_view","group_by":"city","commit_every":5}})");
  Put("u1", "London");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"commit","consumer":"v"})");
  Ok(R"({"op":"commit","consumer":"w"})");
  Put("u2", "Paris");
  Put("u3", "Oslo");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"crash_consumer","consumer":"v"})");  // position back to 1, state keeps LSNs 2-3
  Ok(R"({"op":"crash_consumer","consumer":"w"})");  // position back to 1, state with it
  EXPECT_EQ(Consumer("v")["position"], 1);
  Ok(R"({"op":"corrupt","lsn":2})");
  Ok(R"({"op":"crash","kind":"process"})");
  EXPECT_EQ(Ok(R"({"op":"recover"})")["ahead"], Json::parse(R"(["v"])"));
  EXPECT_EQ(Consumer("v")["ahead"], true);
  EXPECT_EQ(Consumer("w")["ahead"], false);
  Ok(R"({"op":"expect","consumer":"w","consistent":true})");
}

TEST_F(CrashLabTest, ConsumerThatProcessedARecordSkipRecoveryDroppedMustBeRebuilt) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city"}})");
  Put("u1", "London");
  Put("u2", "Paris");
  Put("u3", "Oslo");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"corrupt","lsn":2})");
  Ok(R"({"op":"crash","kind":"process"})");
  Json r = Ok(R"({"op":"recover","recovery":"skip"})");
  EXPECT_EQ(r["recovered"], 3);  // its position is not past the head...
  EXPECT_EQ(r["ahead"], Json::parse(R"(["i"])"));  // ...but it saw the dropped LSN 2
  Fails(R"({"op":"step","consumer":"i"})",
        "consumer: 'i' is ahead of the log (it processed LSN 2, which recovery dropped): it has "
        "seen writes the database no longer has; rebuild it");
  Ok(R"({"op":"rebuild","consumer":"i"})");
  Ok(R"({"op":"expect","consumer":"i","consistent":true,"query":{"value":"Paris"},"result":[]})");
}

TEST_F(CrashLabTest, WithStateConsumerCrashRestoresStateAndPosition) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","commit_every":2}})");
  Put("u1", "London");
  Put("u2", "London");
  Put("u3", "London");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Consumer("v")["committed"], 2);
  Json r = Ok(R"({"op":"crash_consumer","consumer":"v"})");
  EXPECT_EQ(r["rewound_to"], 2);
  EXPECT_EQ(r["redeliver"], 1);
  EXPECT_EQ(Consumer("v")["state"], Json::parse(R"({"London":{"count":2}})"));
  EXPECT_EQ(Consumer("v")["rewind"], Json::parse(R"({"from":3,"to":2})"));
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Consumer("v")["state"], Json::parse(R"({"London":{"count":3}})"));
  EXPECT_EQ(Consumer("v")["redelivered"], 1);
  Ok(R"({"op":"expect","consumer":"v","consistent":true})");
}

TEST_F(CrashLabTest, SeparateViewDoubleCountsAfterRedeliveryButAnIndexDoesNot) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","offsets":"separate","commit_every":5}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city","offsets":"separate","commit_every":5}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"t","type":"full_text","offsets":"separate","commit_every":5}})");
  Put("u1", "London");
  Put("u2", "Paris");
  Ok(R"({"op":"flush"})");
  for (const char* c : {"v", "i", "t"}) {
    EXPECT_EQ(Ok(std::string(R"({"op":"crash_consumer","consumer":")") + c + "\"}")["redeliver"], 2);
  }
  EXPECT_EQ(Consumer("v")["state"], Json::parse(R"({"London":{"count":1},"Paris":{"count":1}})"));
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Consumer("v")["state"], Json::parse(R"({"London":{"count":2},"Paris":{"count":2}})"));
  Json v = Ok(R"({"op":"verify"})");
  EXPECT_EQ(v["consistent"], false);
  EXPECT_EQ(v["consumers"][0]["differences"],
            Json::parse(R"([{"actual":{"count":2},"expected":{"count":1},"key":"London"},
                            {"actual":{"count":2},"expected":{"count":1},"key":"Paris"}])"));
  EXPECT_EQ(v["consumers"][1]["consistent"], true);
  EXPECT_EQ(v["consumers"][2]["consistent"], true);
  Fails(R"({"op":"expect","consumer":"v","consistent":true})",
        "consistent: expected true, but verify says 'v' is not consistent (differences: "
        "[{\"actual\":{\"count\":2},\"expected\":{\"count\":1},\"key\":\"London\"},"
        "{\"actual\":{\"count\":2},\"expected\":{\"count\":1},\"key\":\"Paris\"}])");
}

TEST_F(CrashLabTest, VerifyReportsAtMostFiveDifferences) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","offsets":"separate","commit_every":100}})");
  for (int i = 0; i < 8; ++i) Put("u" + std::to_string(i), "c" + std::to_string(i));
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"crash_consumer","consumer":"v"})");
  Ok(R"({"op":"flush"})");
  Json v = Ok(R"({"op":"verify"})");
  EXPECT_EQ(v["consumers"][0]["differences"].size(), 5u);
}

TEST_F(CrashLabTest, CommitSavesThePositionNow) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","commit_every":10}})");
  Put("u1", "London");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Consumer("v")["committed"], 0);
  EXPECT_EQ(Ok(R"({"op":"commit","consumer":"v"})")["committed"], 1);
  EXPECT_EQ(Ok(R"({"op":"crash_consumer","consumer":"v"})")["redeliver"], 0);
  Ok(R"({"op":"expect","consumer":"v","committed":1,"position":1})");
}

TEST_F(CrashLabTest, BadCrashLabInputIsRefusedAndChangesNothing) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city"}})");
  Put("u1", "London");
  Fails(R"({"op":"crash"})", "kind: is required (\"process\", \"power\")");
  Fails(R"({"op":"crash","kind":"meteor"})", "kind: must be one of \"process\", \"power\" (got \"meteor\")");
  Fails(R"({"op":"crash","kind":"process","torn_bytes":3})", "torn_bytes: only a power crash can tear a write");
  Fails(R"({"op":"crash","kind":"power","torn_bytes":3})", "torn_bytes: must be at most 0 (the unsynced bytes)");
  Fails(R"({"op":"crash","kind":"power","torn_bytes":-1})",
        "torn_bytes: must be a whole number from 0 to 1099511627776 (got -1)");
  Fails(R"({"op":"put","key":"u2","value":{},"crash":"later"})",
        "crash: must be one of \"before_sync\", \"after_sync\" (got \"later\")");
  Fails(R"({"op":"put","key":"u2","value":{},"torn_bytes":3})",
        "torn_bytes: goes with \"crash\": \"before_sync\"");
  Fails(R"({"op":"put","key":"u2","value":{},"crash":"before_sync","torn_bytes":100})",
        "torn_bytes: must be at most 25 (the unsynced bytes, this record's 25 included)");
  Fails(R"({"op":"delete","key":"ghost","crash":"after_sync"})",
        "crash: 'ghost' is absent, so this delete writes nothing and has no write to crash in");
  Fails(R"({"op":"configure","commit":"eventually"})",
        "commit: must be one of \"sync\", \"async\" (got \"eventually\")");
  Fails(R"({"op":"configure","recovery":"best"})",
        "recovery: must be one of \"point_in_time\", \"absolute\", \"skip\" (got \"best\")");
  Fails(R"({"op":"corrupt","lsn":9})", "lsn: no log record with LSN 9 in the file");
  Fails(R"({"op":"corrupt","lsn":"1"})", "lsn: must be a whole number from 0 to 9223372036854775807 (got \"1\")");
  Fails(R"({"op":"corrupt","lsn":1,"byte":99})", "byte: must be less than 40 (the record's size)");
  Fails(R"({"op":"commit","consumer":"nope"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"crash_consumer","consumer":"nope"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"crash_consumer"})", "consumer: is required");
  Fails(R"({"op":"sync","now":true})", "now: unknown field for op 'sync'");
  Fails(R"({"op":"add_consumer","consumer":{"name":"j","type":"full_text","offsets":"kafka"}})",
        "consumer.offsets: must be one of \"with_state\", \"separate\" (got \"kafka\")");
  Fails(R"({"op":"add_consumer","consumer":{"name":"j","type":"full_text","commit_every":0}})",
        "consumer.commit_every: must be a whole number from 1 to 1000000 (got 0)");
  Fails(R"({"op":"expect","consumer":"i","consistent":false})",
        "consistent: expected false, but verify says 'i' is consistent");
}

TEST_F(CrashLabTest, CorruptRefusesBytesThatAreNotOnDiskYet) {
  Ok(R"({"op":"configure","commit":"async"})");
  Put("u1", "London");
  Fails(R"({"op":"corrupt","lsn":1})",
        "lsn: LSN 1 is not durable yet: only bytes on disk can rot (sync first)");
}

TEST_F(CrashLabTest, RecordShowsTheBytesAndWhetherTheChecksumHolds) {
  Put("u1", "London");
  Json r = sim_.Record(1);
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["size"], 40);
  EXPECT_EQ(r["hex"].get<std::string>().size(), 80u);
  EXPECT_EQ(r["fields"]["length"], 23);
  EXPECT_EQ(r["fields"]["type"], 1);
  EXPECT_EQ(r["fields"]["key_len"], 2);
  EXPECT_EQ(r["checksum_ok"], true);
  Ok(R"({"op":"corrupt","lsn":1})");
  EXPECT_EQ(sim_.Record(1)["checksum_ok"], false);
  EXPECT_EQ(sim_.Record(2)["ok"], false);
}

}  // namespace
}  // namespace unbundled
