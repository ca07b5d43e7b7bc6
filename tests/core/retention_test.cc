// Retention, used through the simulator's steps as a page or a scenario
// uses it: checkpoints, truncation pinned by consumers (replication slots),
// forced truncation putting consumers out of range, compaction with
// tombstones, upsert versus delta consumers, the full view of the log, and
// bad input that changes nothing.
#include <gtest/gtest.h>

#include <string>

#include "tests/core/simulator_fixture.h"

namespace unbundled {
namespace {

class RetentionTest : public SimulatorFixture {
 protected:
  void Put(const std::string& key, const std::string& city) {
    Ok(R"({"op":"put","key":")" + key + R"(","value":{"city":")" + city + R"("}})");
  }
  std::vector<Lsn> LogLsns() {
    std::vector<Lsn> lsns;
    const Json state = sim_.State();
    for (const auto& e : state["wal"]) lsns.push_back(e["lsn"].get<Lsn>());
    return lsns;
  }
  std::vector<Lsn> EventLsns() {
    std::vector<Lsn> lsns;
    const Json state = sim_.State();
    for (const auto& e : state["events"]) lsns.push_back(e["lsn"].get<Lsn>());
    return lsns;
  }
  Json Verify(const std::string& name) {
    const Json r = Ok(R"({"op":"verify"})");
    for (const auto& c : r["consumers"]) {
      if (c["name"] == name) return c;
    }
    return nullptr;
  }
};

TEST_F(RetentionTest, RecoveryLoadsTheCheckpointAndReplaysOnlyTheLogAfterIt) {
  for (int i = 1; i <= 5; ++i) Put("k" + std::to_string(i), "A");
  Json cp = Ok(R"({"op":"checkpoint"})");
  EXPECT_EQ(cp["lsn"], 5);
  EXPECT_EQ(cp["rows"], 5);
  EXPECT_EQ(cp["log_entries"], 5);
  EXPECT_EQ(cp["replay_entries"], 0);
  Put("k6", "B");
  Put("k1", "C");
  Ok(R"({"op":"crash","kind":"power"})");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["checkpoint"], 5);
  EXPECT_EQ(r["replayed"], 2) << "only the entries after the image";
  EXPECT_EQ(r["without_checkpoint"]["replayed"], 7);
  EXPECT_EQ(r["without_checkpoint"]["complete"], true);
  const Json storage = sim_.State()["storage"];
  EXPECT_EQ(storage["lsn"], 7);
  EXPECT_EQ(storage["data"].size(), 6u);
  EXPECT_EQ(storage["data"]["k1"]["city"], "C");
  EXPECT_EQ(sim_.State()["log"]["checkpoint"], (Json{{"lsn", 5}, {"rows", 5}}));
}

TEST_F(RetentionTest, TruncationNeedsACheckpointCoveringTheEntries) {
  for (int i = 1; i <= 4; ++i) Put("k" + std::to_string(i), "A");
  Fails(R"({"op":"truncate","before":3})",
        "before: there is no checkpoint, so storage recovery still needs every entry from LSN 1; "
        "checkpoint first");
  Ok(R"({"op":"checkpoint"})");
  Put("k5", "A");
  Fails(R"({"op":"truncate","before":6})",
        "before: storage recovery would still need the entries from LSN 5 (the last checkpoint is "
        "at LSN 4), so before can be at most 5; checkpoint first");
  Json t = Ok(R"({"op":"truncate","before":5})");
  EXPECT_EQ(t["removed"], (Json{1, 2, 3, 4}));
  EXPECT_LT(t["bytes_after"].get<int>(), t["bytes_before"].get<int>());
  EXPECT_EQ(LogLsns(), (std::vector<Lsn>{5}));
  EXPECT_EQ(EventLsns(), (std::vector<Lsn>{5})) << "the events of removed entries go with them";
  EXPECT_EQ(sim_.State()["log"]["start"], 5);
  // Recovery still rebuilds all of storage: the image plus LSN 5.
  Ok(R"({"op":"crash","kind":"process"})");
  Json r = Ok(R"({"op":"recover"})");
  EXPECT_EQ(r["replayed"], 1);
  EXPECT_EQ(r["without_checkpoint"]["complete"], false);
  EXPECT_EQ(sim_.State()["storage"]["data"].size(), 5u);
  EXPECT_EQ(sim_.State()["log"]["start"], 5) << "the log's start survives the crash";
}

TEST_F(RetentionTest, AConsumerPinsTheLogUntilItCommitsAndForceMovesItOutOfRange) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"fast","type":"secondary_index","field":"city"}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"stuck","type":"materialized_view","group_by":"city","offsets":"separate","commit_every":100}})");
  for (int i = 1; i <= 6; ++i) Put("k" + std::to_string(i), i % 2 ? "A" : "B");
  Ok(R"({"op":"flush"})");  // stuck processes but never commits
  Ok(R"({"op":"checkpoint"})");
  const Json log = sim_.State()["log"];
  EXPECT_EQ(log["pinned_by"]["checkpoint"], 6);
  EXPECT_EQ(log["pinned_by"]["consumer"], (Json{{"name", "stuck"}, {"committed", 0}}));
  EXPECT_EQ(log["entries"], 6);
  EXPECT_EQ(log["truncatable_before"], 1) << "stuck's commit at 0 pins everything";
  Fails(R"({"op":"truncate","before":4})",
        "before: consumers still need entries before LSN 4: stuck (committed position 0) (a "
        "replication slot pins WAL from the position its consumer confirmed); \"force\": true "
        "removes them anyway, as max_slot_wal_keep_size does");
  // Once it commits, it no longer pins.
  Ok(R"({"op":"commit","consumer":"stuck"})");
  EXPECT_EQ(sim_.State()["log"]["truncatable_before"], 7) << "the checkpoint at 6, stuck committed 6";
  Ok(R"({"op":"truncate","before":4})");
  EXPECT_EQ(LogLsns(), (std::vector<Lsn>{4, 5, 6}));

  // A consumer that stops for good, and a forced truncation past it.
  Ok(R"({"op":"crash_consumer","consumer":"stuck"})");
  for (int i = 7; i <= 9; ++i) Put("k" + std::to_string(i), "C");
  Ok(R"({"op":"flush","consumer":"fast"})");
  Ok(R"({"op":"checkpoint"})");
  const std::string why =
      "consumer: 'stuck' is out of range: its next event (after LSN 6) was removed by a "
      "truncation, and the log now starts at LSN 9 (Kafka's OFFSET_OUT_OF_RANGE; a PostgreSQL "
      "slot whose wal_status is lost); rebuild it by snapshot";
  Json t = Ok(R"({"op":"truncate","before":9,"force":true})");
  EXPECT_EQ(t["out_of_range"], (Json{"stuck"}));
  EXPECT_EQ(Consumer("stuck")["out_of_range"], true);
  EXPECT_EQ(Consumer("stuck")["out_of_range_reason"], why.substr(std::string("consumer: ").size()));
  EXPECT_EQ(Consumer("fast")["out_of_range_reason"], "");
  EXPECT_EQ(Consumer("fast")["out_of_range"], false);
  Fails(R"({"op":"step","consumer":"stuck"})", why);
  Fails(R"({"op":"flush","consumer":"stuck"})", why);
  Json flush = Ok(R"({"op":"flush"})");
  EXPECT_TRUE(flush["refused"].contains("stuck"));
  // Replay from LSN 1 is no longer possible; a snapshot is.
  Fails(R"({"op":"add_consumer","consumer":{"name":"late","type":"secondary_index","field":"city"},"mode":"replay"})",
        "mode: a replay would miss the log entries before LSN 9, which a truncation removed, so the "
        "consumer would be silently incomplete; add it by \"snapshot\"");
  Ok(R"({"op":"add_consumer","consumer":{"name":"late","type":"secondary_index","field":"city"},"mode":"snapshot"})");
  // Rebuild is the way back.
  Json rb = Ok(R"({"op":"rebuild","consumer":"stuck"})");
  EXPECT_EQ(rb["position"], 9);
  EXPECT_EQ(Consumer("stuck")["out_of_range"], false);
  Put("k10", "A");
  Ok(R"({"op":"flush","consumer":"stuck"})");
  EXPECT_EQ(Ok(R"({"op":"verify"})")["consistent"], true);
}

TEST_F(RetentionTest, CompactionKeepsTheNewestEntryPerKeyAndLeavesGaps) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"idx","type":"secondary_index","field":"city"}})");
  Put("a", "A");  // 1
  Put("b", "B");  // 2
  Put("a", "C");  // 3
  Ok(R"({"op":"delete","key":"b"})");  // 4
  Put("c", "A");  // 5
  Put("a", "D");  // 6, after upto
  Json c = Ok(R"({"op":"compact","upto":5})");
  EXPECT_EQ(c["removed"], (Json{1, 2}));
  EXPECT_EQ(c["dropped_tombstones"], Json::array()) << "tombstones are kept by default";
  EXPECT_EQ(LogLsns(), (std::vector<Lsn>{3, 4, 5, 6})) << "never reordered, never renumbered";
  EXPECT_EQ(EventLsns(), (std::vector<Lsn>{3, 4, 5, 6}));
  // The kept update still carries its before image (the removed LSN 1).
  const Json events = sim_.State()["events"];
  EXPECT_EQ(events[0]["op"], "u");
  EXPECT_EQ(events[0]["before"]["city"], "A");
  c = Ok(R"({"op":"compact","upto":5,"tombstones_before":5})");
  EXPECT_EQ(c["removed"], (Json{4}));
  EXPECT_EQ(c["dropped_tombstones"], (Json{{{"key", "b"}, {"lsn", 4}}}));
  EXPECT_EQ(c["missed_deletes"], Json::array()) << "idx never held b";
  EXPECT_EQ(LogLsns(), (std::vector<Lsn>{3, 5, 6}));
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Ok(R"({"op":"verify"})")["consistent"], true);
  EXPECT_EQ(sim_.State()["log"]["removed"], 3);
}

TEST_F(RetentionTest, ALaggingConsumerThatHeldAKeyNeverLearnsOfItsDroppedTombstone) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"idx","type":"secondary_index","field":"city","apply":"upsert"}})");
  Put("a", "A");
  Put("b", "B");
  Ok(R"({"op":"flush"})");  // idx holds a and b
  Ok(R"({"op":"delete","key":"b"})");  // 3
  Put("c", "A");  // 4
  Json c = Ok(R"({"op":"compact","upto":4,"tombstones_before":4})");
  EXPECT_EQ(c["dropped_tombstones"], (Json{{{"key", "b"}, {"lsn", 3}}}));
  EXPECT_EQ(c["missed_deletes"], (Json{{{"consumer", "idx"}, {"key", "b"}}}));
  Ok(R"({"op":"flush"})");
  Json q = Ok(R"({"op":"query","consumer":"idx","value":"B"})");
  EXPECT_EQ(q["result"], (Json{"b"})) << "the deleted row is still in the index";
  Json v = Verify("idx");
  EXPECT_EQ(v["consistent"], false);
  EXPECT_EQ(v["reason"],
            "never learned of the delete of 'b' (LSN 3): compaction dropped the tombstone before "
            "the consumer reached it");
  // A rebuild by snapshot forgets the key.
  Ok(R"({"op":"rebuild","consumer":"idx"})");
  EXPECT_EQ(Verify("idx")["consistent"], true);
}

TEST_F(RetentionTest, ADeltaViewIsWrongAfterCompactionAndRedeliveryAndAnUpsertViewIsNot) {
  Put("a", "A");  // 1
  Put("a", "B");  // 2
  Put("b", "A");  // 3
  Ok(R"({"op":"compact","upto":3})");  // removes LSN 1
  Ok(R"({"op":"add_consumer","consumer":{"name":"delta","type":"materialized_view","group_by":"city"},"mode":"replay"})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"upsert","type":"materialized_view","group_by":"city","apply":"upsert"},"mode":"replay"})");
  Ok(R"({"op":"flush"})");
  // LSN 2 is an update whose before image (city A) the delta view never
  // added: it subtracts it anyway.
  EXPECT_EQ(Consumer("delta")["state"], (Json{{"B", {{"count", 1}}}}));
  EXPECT_EQ(Consumer("upsert")["state"], (Json{{"A", {{"count", 1}}}, {"B", {{"count", 1}}}}));
  EXPECT_EQ(Verify("delta")["consistent"], false);
  EXPECT_NE(Verify("delta")["reason"].get<std::string>().find("a delta consumer subtracts"),
            std::string::npos);
  EXPECT_EQ(Verify("upsert")["consistent"], true);
  EXPECT_EQ(Consumer("upsert")["state_store_rows"], 2);
  EXPECT_EQ(Consumer("delta")["state_store_rows"], 0);
  EXPECT_EQ(Consumer("upsert")["apply"], "upsert");
}

TEST_F(RetentionTest, AnUpsertViewSurvivesRedelivery) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"delta","type":"materialized_view","group_by":"city","offsets":"separate","commit_every":10}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"upsert","type":"materialized_view","group_by":"city","offsets":"separate","commit_every":10,"apply":"upsert"}})");
  Put("a", "A");
  Put("b", "A");
  Put("a", "B");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"crash_consumer","consumer":"delta"})");
  Ok(R"({"op":"crash_consumer","consumer":"upsert"})");
  Ok(R"({"op":"flush"})");  // all three events again
  EXPECT_EQ(Consumer("delta")["state"]["A"]["count"], 2) << "double-counted";
  EXPECT_EQ(Consumer("upsert")["state"], (Json{{"A", {{"count", 1}}}, {"B", {{"count", 1}}}}));
  EXPECT_EQ(Verify("delta")["consistent"], false);
  EXPECT_EQ(Verify("upsert")["consistent"], true);
}

// A recovery that stops at damage before the checkpoint's LSN does not use
// the checkpoint, and drops it: its image holds writes the recovered log
// lost, whose LSNs new writes then take. Kept, a later recovery (once the
// head passed its LSN again) loaded it, bringing back a lost write and an
// old value as storage's rows, which also named the wrong records.
TEST_F(RetentionTest, ACheckpointPastTheRecoveredLogsEndIsDroppedAndNeverLoadedLater) {
  Put("a", "A");  // 1
  Put("b", "B");  // 2
  Put("x", "X");  // 3: lost with the damage before it
  Ok(R"({"op":"checkpoint"})");
  Ok(R"({"op":"corrupt","lsn":2})");
  Ok(R"({"op":"crash","kind":"process"})");
  Json r = Ok(R"({"op":"recover","recovery":"point_in_time"})");
  EXPECT_EQ(r["recovered"], 1);
  EXPECT_TRUE(r["checkpoint"].is_null());
  EXPECT_EQ(r["checkpoint_unused"],
            "the checkpoint at LSN 3 is past the recovered log's end (LSN 1), so it was dropped: "
            "it holds writes the log lost, whose LSNs new writes take");
  EXPECT_TRUE(sim_.State()["log"]["checkpoint"].is_null());
  // New writes take LSNs 2, 3 and 4: past the old checkpoint's LSN.
  Put("c", "C");
  Put("d", "D");
  Put("e", "E");
  Ok(R"({"op":"crash","kind":"process"})");
  r = Ok(R"({"op":"recover"})");
  EXPECT_TRUE(r["checkpoint"].is_null()) << "no checkpoint to load";
  const Json data = sim_.State()["storage"]["data"];
  std::vector<std::string> keys;
  for (const auto& [key, value] : data.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "d", "e"}));
  // A put of a key the old image held: a create, with no before image.
  Json w = Ok(R"({"op":"put","key":"b","value":{"city":"B2"}})");
  EXPECT_EQ(w["event"]["op"], "c");
}

TEST_F(RetentionTest, AnLsnRemovedByRetentionIsNeverReused) {
  Put("a", "A");  // 1
  Put("b", "B");  // 2
  Ok(R"({"op":"checkpoint"})");
  Json t = Ok(R"({"op":"truncate","before":3})");
  EXPECT_EQ(t["removed"], (Json{1, 2}));
  EXPECT_TRUE(LogLsns().empty());
  EXPECT_EQ(sim_.State()["head"], 2);
  Json w = Ok(R"({"op":"put","key":"c","value":{}})");
  EXPECT_EQ(w["event"]["lsn"], 3);
  Ok(R"({"op":"crash","kind":"power"})");
  Ok(R"({"op":"recover"})");
  EXPECT_EQ(sim_.State()["storage"]["data"].size(), 3u);
  Json w2 = Ok(R"({"op":"put","key":"d","value":{}})");
  EXPECT_EQ(w2["event"]["lsn"], 4);
}

TEST_F(RetentionTest, TheFullViewListsRemovedEntriesInLsnOrder) {
  Put("a", "A");  // 1
  Put("b", "B");  // 2
  Put("a", "C");  // 3
  Put("b", "D");  // 4
  Put("c", "E");  // 5
  Ok(R"({"op":"compact","upto":5})");  // removes 1, 2
  Json v = sim_.View(Json{{"wal", {{"start", 0}, {"count", 10}}}});
  EXPECT_EQ(v["wal"]["total"], 3);
  EXPECT_EQ(v["wal"]["items"][0]["lsn"], 3);
  Json full = sim_.View(Json{{"wal", {{"start", 1}, {"count", 3}, {"full", true}}}});
  ASSERT_EQ(full["ok"], true) << full.dump();
  EXPECT_EQ(full["wal"]["total"], 5);
  EXPECT_EQ(full["wal"]["first"], 1);
  ASSERT_EQ(full["wal"]["items"].size(), 3u);
  EXPECT_EQ(full["wal"]["items"][0]["lsn"], 2);
  EXPECT_EQ(full["wal"]["items"][0]["removed"], "compaction");
  EXPECT_EQ(full["wal"]["items"][0]["key"], "b");
  EXPECT_EQ(full["wal"]["items"][0]["value"]["city"], "B");
  EXPECT_EQ(full["wal"]["items"][1]["lsn"], 3);
  EXPECT_FALSE(full["wal"]["items"][1].contains("removed"));
  EXPECT_EQ(full["wal"]["items"][2]["lsn"], 4);
  // locate gives the place in the list the window is over.
  Json loc = sim_.View(Json{{"wal", {{"full", true}}}, {"locate", {3}}});
  EXPECT_EQ(loc["located"]["3"]["wal"], 2);
  loc = sim_.View(Json{{"locate", {3}}});
  EXPECT_EQ(loc["located"]["3"]["wal"], 0);
  Json bad = sim_.View(Json{{"wal", {{"full", "yes"}}}});
  EXPECT_EQ(bad["error"], "wal.full: must be true or false");
}

TEST_F(RetentionTest, TheFullViewTellsADroppedTombstoneFromASupersededDelete) {
  Put("a", "A");                        // 1
  Put("b", "B");                        // 2
  Ok(R"({"op":"delete","key":"a"})");  // 3: superseded by the put of a at 5
  Ok(R"({"op":"delete","key":"b"})");  // 4: no newer entry; dropped for its age
  Put("a", "C");                        // 5
  Put("c", "C");                        // 6
  Ok(R"({"op":"sync"})");
  Json c = Ok(R"({"op":"compact","upto":6,"tombstones_before":5})");
  EXPECT_EQ(c["removed"], (Json{1, 2, 3, 4}));
  EXPECT_EQ(c["dropped_tombstones"], (Json{{{"key", "b"}, {"lsn", 4}}}));
  Json full = sim_.View(Json{{"wal", {{"start", 0}, {"count", 6}, {"full", true}}}});
  ASSERT_EQ(full["wal"]["items"].size(), 6u) << full.dump();
  const Json& items = full["wal"]["items"];
  for (int i : {0, 1}) {
    EXPECT_EQ(items[i]["removed"], "compaction");
    EXPECT_FALSE(items[i].contains("dropped_tombstone")) << "a put superseded";
  }
  EXPECT_EQ(items[2]["op"], "delete");
  EXPECT_FALSE(items[2].contains("dropped_tombstone")) << "a delete superseded";
  EXPECT_EQ(items[3]["op"], "delete");
  EXPECT_EQ(items[3]["dropped_tombstone"], true);
  // A truncation's removed entries are never dropped tombstones.
  Ok(R"({"op":"checkpoint"})");
  Ok(R"({"op":"truncate","before":6})");
  full = sim_.View(Json{{"wal", {{"start", 0}, {"count", 6}, {"full", true}}}});
  EXPECT_EQ(full["wal"]["items"][4]["removed"], "truncation");
  EXPECT_FALSE(full["wal"]["items"][4].contains("dropped_tombstone"));
  EXPECT_EQ(full["wal"]["items"][3]["dropped_tombstone"], true);
}

TEST_F(RetentionTest, BadRetentionInputIsRefusedAndChangesNothing) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"idx","type":"secondary_index","field":"city"}})");
  Put("a", "A");
  Put("a", "B");
  Fails(R"({"op":"truncate"})", "before: is required");
  Fails(R"({"op":"truncate","before":-1})", "before: must be a whole number from 0 to 9223372036854775807 (got -1)");
  Fails(R"({"op":"truncate","before":"2"})", "before: must be a whole number from 0 to 9223372036854775807 (got \"2\")");
  Fails(R"({"op":"truncate","before":1,"force":"yes"})", "force: must be true or false");
  Fails(R"({"op":"compact"})", "upto: is required");
  Fails(R"({"op":"compact","upto":9})",
        "upto: must be from 1 to 2 (the durable LSN: only synced entries are compacted, as Kafka "
        "never cleans the active segment)");
  Fails(R"({"op":"compact","upto":2,"tombstones_before":3})", "tombstones_before: must be at most upto (2)");
  Fails(R"({"op":"compact","upto":2,"tombstone_before":1})", "tombstone_before: unknown field for op 'compact'");
  Fails(R"({"op":"checkpoint","lsn":2})", "lsn: unknown field for op 'checkpoint'");
  Fails(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","apply":"merge"}})",
        "consumer.apply: must be one of \"delta\", \"upsert\" (got \"merge\")");
  Ok(R"({"op":"checkpoint"})");
  Ok(R"({"op":"delete","key":"a"})");  // 3, after the image
  Put("b", "B");  // 4
  Fails(R"({"op":"compact","upto":4,"tombstones_before":4})",
        "tombstones_before: must be at most 3: recovery loads the checkpoint at LSN 2 and still "
        "needs the deletes after it to remove those keys from the image");
  Ok(R"({"op":"crash","kind":"process"})");
  Fails(R"({"op":"checkpoint"})", "database is down: recover first");
  Fails(R"({"op":"compact","upto":1})", "database is down: recover first");
}

TEST_F(RetentionTest, ExpectChecksTheLogsSizeWhatPinsItAndConsumersThatLostTheirPlace) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","apply":"upsert","offsets":"separate","commit_every":100}})");
  Put("a", "A");
  Put("b", "B");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"expect","consumer":"v","state_store_rows":2,"out_of_range":false})");
  Ok(R"({"op":"expect","log_entries":2,"log_start":1,"pinned_by":"v"})");
  Fails(R"({"op":"expect","log_entries":3})",
        "log_entries: expected 3, but the number of log entries is 2");
  Fails(R"({"op":"expect","pinned_by":null})",
        "pinned_by: expected null, but the consumer that pins the log (the lowest committed "
        "position) is \"v\"");
  Ok(R"({"op":"checkpoint"})");
  Ok(R"({"op":"truncate","before":3,"force":true})");
  Ok(R"({"op":"crash_consumer","consumer":"v"})");
  Ok(R"({"op":"expect","consumer":"v","out_of_range":true,"log_start":3,"log_entries":0})");
  Ok(R"({"op":"expect","consumer":"v","reason_includes":""})");
  Fails(R"({"op":"expect","consumer":"v","state_store_rows":"2"})",
        "state_store_rows: expected \"2\", but the number of state-store rows of 'v' is 2");
  Fails(R"({"op":"expect","consumer":"v","reason_includes":7})", "reason_includes: must be a string (got number)");
}

}  // namespace
}  // namespace unbundled
