// What the reference system (unbundled_database.py) can do: an index over
// several fields, a list aggregate, prefix scans, index lookups that fetch
// from storage, and storage replayed from the log on demand.
#include <gtest/gtest.h>

#include "core/simulator.h"
#include "tests/core/simulator_fixture.h"

namespace unbundled {
namespace {

class ReferenceFeaturesTest : public SimulatorFixture {
 protected:
  Json ConsumerState(const std::string& name) { return Consumer(name)["state"]; }
};

TEST_F(ReferenceFeaturesTest, IndexOverSeveralFieldsKeepsOnePostingListPerField) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","fields":["city","age"]}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London","age":36}})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"Paris","age":36}})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(ConsumerState("i"), Json::parse(R"({"age":{"36":["u1","u2"]},
      "city":{"London":["u1"],"Paris":["u2"]}})"));
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"i","field":"age","value":36})")["result"],
            Json::parse(R"(["u1","u2"])"));
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"i","field":"city","value":"Paris"})")["result"],
            Json::parse(R"(["u2"])"));
  Fails(R"({"op":"query","consumer":"i","value":36})",
        "field: is required for an index over several fields (city, age)");
  Fails(R"({"op":"query","consumer":"i","field":"name","value":"x"})",
        "field: 'name' is not indexed (indexed: city, age)");
  Fails(R"({"op":"query","consumer":"i","field":"city","value":"x","oops":1})",
        "oops: unknown field for secondary_index query (expected field, value)");
}

TEST_F(ReferenceFeaturesTest, OneFieldIndexAnswersWithOrWithoutTheFieldName) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"a","type":"secondary_index","field":"city"}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"b","type":"secondary_index","fields":["city"]}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(ConsumerState("a"), Json::parse(R"({"London":["u1"]})"));
  EXPECT_EQ(ConsumerState("b"), Json::parse(R"({"city":{"London":["u1"]}})"));
  for (const char* q : {R"({"op":"query","consumer":"a","value":"London"})",
                        R"({"op":"query","consumer":"a","field":"city","value":"London"})",
                        R"({"op":"query","consumer":"b","value":"London"})"}) {
    EXPECT_EQ(Ok(q)["result"], Json::parse(R"(["u1"])")) << q;
  }
}

TEST_F(ReferenceFeaturesTest, BadIndexFieldListsAreRefused) {
  Fails(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","fields":[]}})",
        "consumer.fields: must be a non-empty array of field names");
  Fails(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","fields":["a",""]}})",
        "consumer.fields: must contain only non-empty strings");
  Fails(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","fields":["a","a"]}})",
        "consumer.fields: names 'a' twice");
  Fails(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"a","fields":["b"]}})",
        "consumer.fields: give either \"field\" (one field) or \"fields\" (a list of fields), not both");
  Fails(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"a","list":1}})",
        "consumer.list: must be true or false");
}

TEST_F(ReferenceFeaturesTest, ListViewKeepsKeysInArrivalOrderAndMovesThemBetweenGroups) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","list":true}})");
  Ok(R"({"op":"put","key":"u3","value":{"city":"London","n":1}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London","n":1}})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"London","n":1}})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(ConsumerState("v")["London"]["list"], Json::parse(R"(["u3","u1","u2"])"));
  // An update within the group keeps its place; a move leaves the old list.
  Ok(R"({"op":"put","key":"u3","value":{"city":"London","n":2}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"Paris","n":1}})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(ConsumerState("v"), Json::parse(R"({"London":{"count":2,"list":["u3","u2"]},
      "Paris":{"count":1,"list":["u1"]}})"));
  Ok(R"({"op":"delete","key":"u3"})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(ConsumerState("v")["London"], Json::parse(R"({"count":1,"list":["u2"]})"));
  EXPECT_EQ(Ok(R"({"op":"verify"})")["consistent"], true);
}

TEST_F(ReferenceFeaturesTest, ListViewBuiltBySnapshotListsKeysInKeyOrderAndStillVerifies) {
  Ok(R"({"op":"put","key":"u2","value":{"city":"London"}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","list":true}})");
  // A snapshot knows only the rows, not the order they arrived in.
  EXPECT_EQ(ConsumerState("v")["London"]["list"], Json::parse(R"(["u1","u2"])"));
  Ok(R"({"op":"put","key":"u0","value":{"city":"London"}})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(ConsumerState("v")["London"]["list"], Json::parse(R"(["u1","u2","u0"])"));
  EXPECT_EQ(Ok(R"({"op":"verify"})")["consistent"], true);
}

TEST_F(ReferenceFeaturesTest, ScanReturnsMatchingRowsInKeyOrderUpToTheLimit) {
  for (const char* key : {"user:2", "order:1", "user:1", "user:3", "users"}) {
    Ok(std::string(R"({"op":"put","key":")") + key + R"(","value":{"k":")" + key + R"("}})");
  }
  Json r = Ok(R"({"op":"scan","prefix":"user:"})");
  EXPECT_EQ(r["rows"].size(), 3u);
  EXPECT_EQ(r["rows"][0]["key"], "user:1");
  EXPECT_EQ(r["rows"][2]["key"], "user:3");
  EXPECT_EQ(r["rows"][1]["value"], Json::parse(R"({"k":"user:2"})"));
  EXPECT_EQ(r["more"], false);
  EXPECT_EQ(r["lsn"], 5);
  r = Ok(R"({"op":"scan","prefix":"user","limit":2})");
  EXPECT_EQ(r["rows"].size(), 2u);
  EXPECT_EQ(r["more"], true);
  EXPECT_EQ(Ok(R"({"op":"scan","prefix":""})")["rows"].size(), 5u);
  EXPECT_TRUE(Ok(R"({"op":"scan","prefix":"zzz"})")["rows"].empty());
  Fails(R"({"op":"scan","prefix":7})", "prefix: must be a string (got number)");
  Fails(R"({"op":"scan"})", "prefix: is required");
  Fails(R"({"op":"scan","prefix":"u","limit":0})", "limit: must be at least 1");
  Fails(R"({"op":"scan","prefix":"u","limit":-1})",
        "limit: must be a whole number from 0 to 10000 (got -1)");
  Fails(R"({"op":"scan","prefix":"u","limt":3})", "limt: unknown field for op 'scan'");
}

TEST_F(ReferenceFeaturesTest, FetchedIndexLookupMarksDocumentsTheIndexIsBehindOn) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"London"}})");
  Ok(R"({"op":"put","key":"u3","value":{"city":"London"}})");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"}})");
  Ok(R"({"op":"delete","key":"u2"})");
  Json r = Ok(R"({"op":"query","consumer":"by_city","value":"London","fetch":true})");
  EXPECT_EQ(r["result"], Json::parse(R"([
      {"key":"u1","stale":true,"value":{"city":"Paris"}},
      {"key":"u2","stale":true,"value":null},
      {"key":"u3","stale":false,"value":{"city":"London"}}])"));
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"by_city","value":"London","fetch":true})")["result"],
            Json::parse(R"([{"key":"u3","stale":false,"value":{"city":"London"}}])"));
  Fails(R"({"op":"query","consumer":"by_city","value":"London","fetch":"yes"})",
        "fetch: must be true or false");
}

TEST_F(ReferenceFeaturesTest, FetchIsOnlyForIndexesAndNeedsTheDatabase) {
  Ok(R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city"}})");
  Ok(R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","field":"city"}})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Fails(R"({"op":"query","consumer":"v","group":"London","fetch":true})",
        "fetch: only a secondary_index lookup can fetch from storage ('v' is a materialized_view)");
  Ok(R"({"op":"crash","kind":"process"})");
  Fails(R"({"op":"query","consumer":"i","value":"London","fetch":true})",
        "database is down: recover first");
  Ok(R"({"op":"query","consumer":"i","value":"London"})");  // without fetch it still answers
}

TEST_F(ReferenceFeaturesTest, ReplayStorageRebuildsStorageFromTheLog) {
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"Paris"}})");
  Ok(R"({"op":"delete","key":"u1"})");
  const Json storage = sim_.State()["storage"];
  Json r = Ok(R"({"op":"replay_storage"})");
  EXPECT_EQ(r["replayed"], 3);
  EXPECT_EQ(r["lsn"], 3);
  EXPECT_EQ(sim_.State()["storage"], storage);
}

TEST_F(ReferenceFeaturesTest, ReplayStorageRefusesALogThatDoesNotVerify) {
  Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"Paris"}})");
  Ok(R"({"op":"corrupt","lsn":2})");
  Json before = sim_.State();
  Json r = Do(R"({"op":"replay_storage"})");
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"].get<std::string>().rfind("log: the record at byte offset 40 does not verify "
                                                "(checksum mismatch)", 0), 0u) << r.dump();
  EXPECT_EQ(sim_.State(), before);
  Ok(R"({"op":"crash","kind":"process"})");
  Fails(R"({"op":"replay_storage"})", "database is down: recover first");
  Fails(R"({"op":"scan","prefix":""})", "database is down: recover first");
}

}  // namespace
}  // namespace unbundled
