// The predict step: a question for the student whose lesson answer the
// engine checks, as an expect checks a value.
#include <gtest/gtest.h>

#include "tests/core/simulator_fixture.h"

namespace unbundled {
namespace {

class PredictTest : public SimulatorFixture {
 protected:
  void SetUp() override {
    Ok(R"({"op":"add_consumer","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})");
    Ok(R"({"op":"put","key":"u1","value":{"city":"London"}})");
  }
};

TEST_F(PredictTest, ARightAnswerGivesTheEnginesValue) {
  Json r = Ok(R"({"op":"predict","prompt":"Before a flush, what does by_city answer for London?",
                  "ask":"result","consumer":"by_city","query":{"value":"London"},
                  "choices":[[],["u1"]],"answer":[],"why":"Writes touch only the log and storage."})");
  EXPECT_EQ(r["actual"], Json::array());
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Ok(R"({"op":"predict","prompt":"Its position?","ask":"position","consumer":"by_city","answer":1})")["actual"], 1);
  EXPECT_EQ(Ok(R"({"op":"predict","prompt":"Lag?","ask":"lag","consumer":"by_city","answer":0})")["actual"], 0);
  EXPECT_EQ(Ok(R"({"op":"predict","prompt":"Head?","ask":"head","answer":1})")["actual"], 1);
  EXPECT_EQ(Ok(R"({"op":"predict","prompt":"u1?","ask":"value","key":"u1","answer":{"city":"London"}})")["actual"]["city"], "London");
  EXPECT_EQ(Ok(R"({"op":"predict","prompt":"The event?","ask":"event","lsn":1,"answer":{"lsn":1,"op":"c","key":"u1","before":null,"after":{"city":"London"}}})")["actual"]["op"], "c");
  EXPECT_EQ(Ok(R"({"op":"predict","prompt":"Consistent?","ask":"consistent","consumer":"by_city","choices":[true,false],"answer":true})")["actual"], true);
}

TEST_F(PredictTest, AStaleAnswerIsAnErrorThatChangesNothing) {
  Fails(R"({"op":"predict","prompt":"Head?","ask":"head","answer":5})",
        "answer: the lesson's answer 5 is stale: the head LSN is 1");
  Fails(R"({"op":"predict","prompt":"By London?","ask":"result","consumer":"by_city","query":{"value":"London"},"answer":["u1"]})",
        "answer: the lesson's answer [\"u1\"] is stale: the answer of 'by_city' is []");
}

TEST_F(PredictTest, MalformedPredictionsAreRefusedAndChangeNothing) {
  Fails(R"({"op":"predict","ask":"head","answer":1})", "prompt: is required");
  Fails(R"({"op":"predict","prompt":"","ask":"head","answer":1})", "prompt: must not be empty");
  Fails(R"({"op":"predict","prompt":"?","answer":1})",
        "ask: is required (\"head\", \"down\", \"value\", \"entry\", \"event\", \"position\", "
        "\"lag\", \"committed\", \"consistent\", \"result\", \"out_of_range\", "
        "\"state_store_rows\", \"log_entries\", \"log_start\", \"pinned_by\")");
  Fails(R"({"op":"predict","prompt":"?","ask":"color","answer":1})",
        "ask: must be one of \"head\", \"down\", \"value\", \"entry\", \"event\", \"position\", "
        "\"lag\", \"committed\", \"consistent\", \"result\", \"out_of_range\", \"state_store_rows\", "
        "\"log_entries\", \"log_start\", \"pinned_by\" (got \"color\")");
  Fails(R"({"op":"predict","prompt":"?","ask":"head"})",
        "answer: is required (the lesson's answer, which the engine checks)");
  Fails(R"({"op":"predict","prompt":"?","ask":"head","answer":1,"choices":[1]})",
        "choices: must be an array of at least two possible answers");
  Fails(R"({"op":"predict","prompt":"?","ask":"head","answer":1,"choices":[2,2]})", "choices: lists 2 twice");
  Fails(R"({"op":"predict","prompt":"?","ask":"head","answer":1,"choices":[2,3]})", "answer: must be one of the choices");
  Fails(R"({"op":"predict","prompt":"?","ask":"position","consumer":"nope","answer":1})",
        "consumer: no consumer named 'nope'");
  Fails(R"({"op":"predict","prompt":"?","ask":"result","consumer":"by_city","answer":[]})",
        "query: must be an object (the query whose result is asked)");
  Fails(R"({"op":"predict","prompt":"?","ask":"value","answer":null})", "key: is required");
  Fails(R"({"op":"predict","prompt":"?","ask":"head","answer":1,"why":3})", "why: must be a string");
  Fails(R"({"op":"predict","prompt":"?","ask":"head","answer":1,"color":3})", "color: unknown field for op 'predict'");
}

}  // namespace
}  // namespace unbundled
