// The JSON entry point: every op, and every error path leaving state unchanged.
#include "core/simulator.h"
#include "tests/core/simulator_fixture.h"

#include <gtest/gtest.h>

namespace unbundled {
namespace {

class SimulatorTest : public SimulatorFixture {
 protected:
  void Walkthrough() {
    Ok(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})");
    Ok(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"city_stats","type":"materialized_view","group_by":"city","sum":"age"}})");
    Ok(R"({"op":"put","key":"u1","value":{"name":"Ada","city":"London","age":36}})");
    Ok(R"({"op":"put","key":"u2","value":{"name":"Alan","city":"London","age":41}})");
  }
};

TEST_F(SimulatorTest, PutReturnsTheCreateThenUpdateEvent) {
  EXPECT_EQ(Do(R"({"op":"put","key":"u1","value":{"a":1}})").dump(),
            R"({"acknowledged":true,"durable":true,"event":{"after":{"a":1},"before":null,"key":"u1","lsn":1,"op":"c"},"key":"u1","lsn":1,"ok":true,)"
            R"("touched":{"all":false,"consumers":[],"keys":["u1"],"lsns":[1,1]}})");
  EXPECT_EQ(Do(R"({"op":"put","key":"u1","value":{"a":2}})")["event"]["op"], "u");
  EXPECT_EQ(Do(R"({"op":"put","key":"u1","value":{"a":2}})")["event"]["before"],
            Json::parse(R"({"a":2})"));
}

TEST_F(SimulatorTest, DeleteReturnsTheEventOrNullForAnAbsentKey) {
  Ok(R"({"op":"put","key":"u1","value":{"a":1}})");
  EXPECT_EQ(Do(R"({"op":"delete","key":"u1"})")["event"]["op"], "d");
  Json again = Do(R"({"op":"delete","key":"u1"})");
  EXPECT_EQ(again["ok"], true);
  EXPECT_TRUE(again["event"].is_null());
  EXPECT_EQ(sim_.State()["head"], 2);
}

TEST_F(SimulatorTest, GetReadsStorage) {
  Ok(R"({"op":"put","key":"u1","value":{"a":1}})");
  EXPECT_EQ(Do(R"({"op":"get","key":"u1"})")["value"], Json::parse(R"({"a":1})"));
  EXPECT_TRUE(Do(R"({"op":"get","key":"u9"})")["value"].is_null());
}

TEST_F(SimulatorTest, LaggingIndexGivesAStaleAnswerUntilFlushed) {
  Walkthrough();
  EXPECT_EQ(Do(R"({"op":"query","consumer":"by_city","value":"London"})")["result"],
            Json::array());
  EXPECT_EQ(Do(R"({"op":"flush","consumer":"by_city"})")["delivered"], 2);
  EXPECT_EQ(Do(R"({"op":"query","consumer":"by_city","value":"London"})")["result"],
            Json::parse(R"(["u1","u2"])"));
  EXPECT_TRUE(Do(R"({"op":"query","consumer":"city_stats","group":"London"})")["result"].is_null());
  EXPECT_EQ(Do(R"({"op":"flush"})")["delivered"], 2);
  EXPECT_EQ(Do(R"({"op":"query","consumer":"city_stats","group":"London"})")["result"],
            Json::parse(R"({"count":2,"sum":77})"));
}

TEST_F(SimulatorTest, StepReturnsTheProcessedEventOrNull) {
  Walkthrough();
  EXPECT_EQ(Do(R"({"op":"step","consumer":"by_city"})")["event"]["lsn"], 1);
  EXPECT_EQ(Do(R"({"op":"step","consumer":"by_city"})")["event"]["lsn"], 2);
  EXPECT_TRUE(Do(R"({"op":"step","consumer":"by_city"})")["event"].is_null());
}

TEST_F(SimulatorTest, AddConsumerBySnapshotReturnsPositionAndReadEvents) {
  Walkthrough();
  Json r = Do(R"({"op":"add_consumer","consumer":{"name":"search","type":"full_text"}})");
  EXPECT_EQ(r["position"], 2);
  ASSERT_EQ(r["snapshot"].size(), 2u);
  EXPECT_EQ(r["snapshot"][0]["op"], "r");
  EXPECT_EQ(r["snapshot"][0]["lsn"], 2);
  EXPECT_EQ(Do(R"({"op":"query","consumer":"search","text":"ada"})")["result"],
            Json::parse(R"(["u1"])"));
  EXPECT_EQ(sim_.State()["consumers"][2]["snapshot"], Json::parse(R"({"lsn":2,"rows":2})"));
  EXPECT_EQ(r["snapshot_rows"], 2);
}

// A caller that shows a few r events (the page) asks for only those: the
// result lists the first ones in the order applied, counts every row, and
// the consumer's state is what listing them all gives.
TEST_F(SimulatorTest, ASnapshotsResultListsAsManyEventsAsTheCallerAsksAndCountsEveryRow) {
  Simulator all;
  for (Simulator* s : {&sim_, &all}) {
    for (int i = 0; i < 30; ++i) {
      s->Apply(Json{{"op", "put"}, {"key", "k" + std::to_string(100 + i)}, {"value", {{"name", "n" + std::to_string(i)}}}});
    }
  }
  sim_.SetSnapshotEventsListed(4);
  const Json spec = Json::parse(R"({"op":"add_consumer","consumer":{"name":"search","type":"full_text","fields":["name"]}})");
  const Json listed = sim_.Apply(spec), whole = all.Apply(spec);
  ASSERT_TRUE(listed["ok"].get<bool>()) << listed.dump();
  EXPECT_EQ(whole["snapshot"].size(), 30u);
  EXPECT_EQ(whole["snapshot_rows"], 30);
  EXPECT_EQ(listed["snapshot_rows"], 30);
  ASSERT_EQ(listed["snapshot"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(listed["snapshot"][i], whole["snapshot"][i]) << i;
  EXPECT_EQ(sim_.State()["consumers"], all.State()["consumers"]);
  // A rebuild lists as many; a copy keeps its own setting, not the other's.
  const Json rebuild = Json::parse(R"({"op":"rebuild","consumer":"search"})");
  const Json r = sim_.Apply(rebuild);
  EXPECT_EQ(r["snapshot"].size(), 4u);
  EXPECT_EQ(r["snapshot_rows"], 30);
  all.CopyFrom(sim_);
  EXPECT_EQ(all.Apply(rebuild)["snapshot"].size(), 30u);
  sim_.CopyFrom(all);
  EXPECT_EQ(sim_.Apply(rebuild)["snapshot"].size(), 4u);
}

TEST_F(SimulatorTest, AddConsumerByReplayStartsAtZero) {
  Walkthrough();
  Json r = Do(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"search","type":"full_text"}})");
  EXPECT_EQ(r["position"], 0);
  EXPECT_FALSE(r.contains("snapshot"));
}

TEST_F(SimulatorTest, RebuildAndRemoveConsumer) {
  Walkthrough();
  EXPECT_EQ(Do(R"({"op":"rebuild","consumer":"by_city"})")["position"], 2);
  Ok(R"({"op":"remove_consumer","consumer":"by_city"})");
  EXPECT_EQ(sim_.State()["consumers"].size(), 1u);
}

TEST_F(SimulatorTest, StateHasEveryPartInOrder) {
  Walkthrough();
  Ok(R"({"op":"step","consumer":"city_stats"})");
  Json s = sim_.State();
  EXPECT_EQ(s["head"], 2);
  EXPECT_EQ(s["wal"].size(), 2u);
  EXPECT_EQ(s["wal"][0]["op"], "put");
  EXPECT_EQ(s["storage"]["lsn"], 2);
  EXPECT_EQ(s["storage"]["data"]["u2"]["name"], "Alan");
  EXPECT_EQ(s["events"].size(), 2u);
  ASSERT_EQ(s["consumers"].size(), 2u);
  EXPECT_EQ(s["consumers"][0]["name"], "by_city");
  EXPECT_EQ(s["consumers"][0]["config"], Json::parse(R"({"field":"city"})"));
  EXPECT_EQ(s["consumers"][0]["lag"], 2);
  EXPECT_EQ(s["consumers"][1]["position"], 1);
  EXPECT_EQ(s["consumers"][1]["lag"], 1);
  EXPECT_EQ(s["consumers"][1]["state"], Json::parse(R"({"London":{"count":1,"sum":36}})"));
  EXPECT_EQ(s["consumers"][1]["processed"], 1);
  EXPECT_TRUE(s["consumers"][1]["snapshot"].is_null());
}

TEST_F(SimulatorTest, PositionsSummarizeHeadAndEveryConsumersPosition) {
  Walkthrough();
  Ok(R"({"op":"step","consumer":"city_stats"})");
  EXPECT_EQ(sim_.Positions(), Json::parse(R"({"head":2,"positions":{"by_city":0,"city_stats":1}})"));
}

TEST_F(SimulatorTest, MalformedStepsAreRejectedAndChangeNothing) {
  Walkthrough();
  Fails("{not json", "step: not valid JSON (line 1, column 3: unexpected text: names and strings "
                     "need \"double quotes\")");
  Fails("[1,2]", "step: must be a JSON object");
  Fails(R"({"key":"u1"})", "op: is required");
  Fails(R"({"op":7})", "op: must be a string (got number)");
  Fails(R"({"op":"upsert","key":"u1"})",
        "op: unknown op 'upsert' (expected one of put, delete, insert, direct_write, crash_client, put_random, get, scan, replay_storage, flush, "
        "step, add_consumer, remove_consumer, rebuild, query, configure, sync, crash, recover, "
        "corrupt, checkpoint, truncate, compact, commit, crash_consumer, verify, expect, predict)");
  Fails(R"({"op":"put","key":"u1","vaule":{}})", "vaule: unknown field for op 'put'");
  Fails(R"({"op":"put","key":"u1","value":{},"note":5})", "note: must be a string");
}

TEST_F(SimulatorTest, BadPutsAreRejectedAndChangeNothing) {
  Walkthrough();
  Fails(R"({"op":"put","value":{"a":1}})", "key: is required");
  Fails(R"({"op":"put","key":1,"value":{"a":1}})", "key: must be a string (got number)");
  Fails(R"({"op":"put","key":"","value":{"a":1}})", "key: must not be empty");
  Fails(R"({"op":"put","key":")" + std::string(257, 'k') + R"(","value":{"a":1}})",
        "key: must be at most 256 bytes (got 257)");
  Fails(R"({"op":"put","key":"u1"})", "value: is required");
  Fails(R"({"op":"put","key":"u1","value":"Ada"})", "value: must be a JSON object (got string)");
  Fails(R"({"op":"put","key":"u1","value":{"s":")" + std::string(70000, 'x') + R"("}})",
        "value: must serialize to at most 65536 bytes (got 70008)");
  Fails(R"({"op":"delete","key":""})", "key: must not be empty");
  Fails(R"({"op":"get"})", "key: is required");
}

TEST_F(SimulatorTest, BadConsumerStepsAreRejectedAndChangeNothing) {
  Walkthrough();
  Fails(R"({"op":"flush","consumer":"nope"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"flush","consumer":3})", "consumer: must be a string (got number)");
  Fails(R"({"op":"step","consumer":"nope"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"step"})", "consumer: is required");
  Fails(R"({"op":"rebuild","consumer":"nope"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"remove_consumer","consumer":"nope"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"query","consumer":"nope","value":"x"})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"query","consumer":"by_city","text":"x"})",
        "text: unknown field for secondary_index query (expected field, value)");
  Fails(R"({"op":"add_consumer","consumer":{"name":"by_city","type":"full_text"}})",
        "consumer.name: a consumer named 'by_city' already exists");
  Fails(R"({"op":"add_consumer","consumer":{"name":"","type":"full_text"}})",
        "consumer.name: must not be empty");
  Fails(R"({"op":"add_consumer","consumer":{"name":"x","type":"btree"}})",
        "consumer.type: unknown type 'btree' (expected secondary_index, materialized_view or "
        "full_text)");
  Fails(R"({"op":"add_consumer","consumer":{"name":"x","type":"secondary_index"}})",
        "consumer.field: is required");
  Fails(R"({"op":"add_consumer","consumer":"x"})",
        "consumer: must be an object like {\"name\": ..., \"type\": ...}");
  Fails(R"({"op":"add_consumer","mode":"lazy","consumer":{"name":"x","type":"full_text"}})",
        "mode: must be \"snapshot\" or \"replay\" (got \"lazy\")");
}

TEST_F(SimulatorTest, ExpectPassesWhenEveryCheckHolds) {
  Walkthrough();
  Ok(R"({"op":"expect","head":2})");
  Ok(R"({"op":"expect","key":"u1","value":{"name":"Ada","city":"London","age":36}})");
  Ok(R"({"op":"expect","key":"u9","value":null})");
  Ok(R"({"op":"expect","consumer":"by_city","position":0,"lag":2})");
  Ok(R"({"op":"expect","consumer":"by_city","query":{"value":"London"},"result":[]})");
}

TEST_F(SimulatorTest, ExpectFailureSaysWhatWasExpectedAndWhatIs) {
  Walkthrough();
  Fails(R"({"op":"expect","head":3})", "head: expected 3, but the head LSN is 2");
  Fails(R"({"op":"expect","consumer":"by_city","lag":0})",
        "lag: expected 0, but the lag of 'by_city' is 2");
  Fails(R"({"op":"expect","consumer":"by_city","query":{"value":"London"},"result":["u1"]})",
        "result: expected [\"u1\"], but the answer of 'by_city' is []");
  Fails(R"({"op":"expect","key":"u1","value":null})",
        "value: expected null, but storage's value of 'u1' is "
        "{\"age\":36,\"city\":\"London\",\"name\":\"Ada\"}");
}

TEST_F(SimulatorTest, TextThatIsNotUtf8IsAnErrorResultNotACrash) {
  // Found by fuzz_step: the parser's error message quotes the bad byte.
  const std::string before = sim_.StateJson();
  const std::string out = sim_.Apply(std::string("{\"op\":\"crash_con\xffvmer\",\"consumer\":\"v\"}"));
  Json r = Json::parse(out);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"], "step: not valid JSON (line 1, column 17: a string holds bytes that are not UTF-8 text)");
  EXPECT_EQ(sim_.StateJson(), before);
}

TEST_F(SimulatorTest, ANumberTooLargeForADoubleIsAnErrorResultNotACrash) {
  // Found by fuzz_step: the parser throws out_of_range (not parse_error) for it.
  const std::string before = sim_.StateJson();
  Json r = Json::parse(sim_.Apply(std::string(R"({"op":"put","key":"k","value":{"n":1e999}})")));
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"], "step: not valid JSON (a number is too large to keep: the largest is about 1.8e308)");
  EXPECT_EQ(sim_.StateJson(), before);
}

TEST_F(SimulatorTest, ExpectChecksALogEntryAndAChangeEvent) {
  Walkthrough();
  Ok(R"({"op":"put","key":"u1","value":{"name":"Ada","city":"Paris","age":36}})");
  Ok(R"({"op":"expect","lsn":3,"entry":{"lsn":3,"op":"put","key":"u1","value":{"name":"Ada","city":"Paris","age":36}}})");
  Ok(R"({"op":"expect","lsn":3,"event":{"lsn":3,"op":"u","key":"u1","before":{"name":"Ada","city":"London","age":36},"after":{"name":"Ada","city":"Paris","age":36}}})");
  Ok(R"({"op":"expect","lsn":9,"entry":null,"event":null})");
  Fails(R"({"op":"expect","lsn":3,"event":{"lsn":3,"op":"c"}})",
        "event: expected {\"lsn\":3,\"op\":\"c\"}, but the change event at LSN 3 is "
        "{\"after\":{\"age\":36,\"city\":\"Paris\",\"name\":\"Ada\"},\"before\":{\"age\":36,"
        "\"city\":\"London\",\"name\":\"Ada\"},\"key\":\"u1\",\"lsn\":3,\"op\":\"u\"}");
  Fails(R"({"op":"expect","entry":{}})", "lsn: is required with \"entry\" or \"event\"");
  Fails(R"({"op":"expect","lsn":1})", "lsn: needs \"entry\" or \"event\" to check");
}

TEST_F(SimulatorTest, MalformedExpectIsAnError) {
  Walkthrough();
  Fails(R"({"op":"expect"})",
        "expect: names nothing to check (use head, down, key+value, lsn+entry, lsn+event, "
        "log_entries, log_start, pinned_by, or consumer with position, lag, committed, "
        "consistent, reason_includes, out_of_range, state_store_rows or query+result)");
  Fails(R"({"op":"expect","consumer":"nope","lag":0})", "consumer: no consumer named 'nope'");
  Fails(R"({"op":"expect","consumer":"by_city"})",
        "consumer: needs \"position\", \"lag\", \"committed\", \"consistent\", "
        "\"reason_includes\", \"out_of_range\", \"state_store_rows\" or \"query\" to check");
  Fails(R"({"op":"expect","key":"u1"})",
        "value: is required with the other (\"key\" and \"value\" go together)");
  Fails(R"({"op":"expect","consumer":"by_city","query":{"value":"London"}})",
        "result: is required with \"query\"");
  Fails(R"({"op":"expect","consumer":"by_city","query":{"oops":1},"result":[]})",
        "query: oops: unknown field for secondary_index query (expected field, value)");
}

}  // namespace
}  // namespace unbundled
