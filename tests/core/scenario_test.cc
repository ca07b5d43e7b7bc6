#include "core/scenario.h"

#include <gtest/gtest.h>

namespace unbundled {
namespace {

Status Validate(const char* text) { return ValidateScenario(Json::parse(text)); }

TEST(ValidateScenario, AcceptsAMinimalScenario) {
  EXPECT_TRUE(Validate(R"({"title":"t","steps":[]})").ok());
}

TEST(ValidateScenario, NamesTheBadPlace) {
  EXPECT_EQ(Validate("[]").message(), "scenario: must be a JSON object");
  EXPECT_EQ(Validate(R"({"steps":[]})").message(), "title: must be a non-empty string");
  EXPECT_EQ(Validate(R"({"title":"t"})").message(), "steps: must be an array of steps");
  EXPECT_EQ(Validate(R"({"title":"t","steps":[],"extra":1})").message(),
            "extra: unknown field (expected title, description, sources, consumers, steps)");
  EXPECT_EQ(Validate(R"({"title":"t","sources":"DDIA","steps":[]})").message(),
            "sources: must be an array of strings");
  EXPECT_EQ(Validate(R"({"title":"t","sources":["DDIA ch. 11",""],"steps":[]})").message(),
            "sources[1]: must be a non-empty string");
  EXPECT_TRUE(Validate(R"({"title":"t","sources":["DDIA ch. 11"],"steps":[]})").ok());
  EXPECT_EQ(Validate(R"({"title":"t","steps":[{"op":"put"},3]})").message(),
            "steps[1]: must be an object like {\"op\": ...}");
  EXPECT_EQ(Validate(R"({"title":"t","steps":[{"op":"putt"}]})").message(),
            "steps[0].op: unknown op 'putt'");
  EXPECT_EQ(Validate(R"({"title":"t","steps":[{"op":"flush","note":7}]})").message(),
            "steps[0].note: must be a string");
  EXPECT_EQ(Validate(R"({"title":"t","steps":[{"key":"a"}]})").message(),
            "steps[0].op: must be a string");
  EXPECT_EQ(Validate(R"({"title":"t","consumers":[{"name":"a"}],"steps":[]})").message(),
            "consumers[0].type: must be one of secondary_index, materialized_view, full_text");
}

TEST(RunScenario, AddsConsumersInReplayModeThenRunsEveryStepEvenFailingOnes) {
  Simulator sim;
  ScenarioRun run;
  Status s = RunScenario(Json::parse(R"({"title":"t",
      "consumers":[{"name":"idx","type":"secondary_index","field":"city"}],
      "steps":[{"op":"put","key":"a","value":{"city":"Oslo"},"note":"first"},
               {"op":"put","key":"","value":{}},
               {"op":"flush"}]})"),
                         &sim, &run);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(run.results.size(), 3u);
  EXPECT_EQ(run.results[0]["ok"], true);
  EXPECT_EQ(run.results[1]["error"], "key: must not be empty");
  EXPECT_EQ(run.results[2]["delivered"], 1);
  EXPECT_TRUE(run.failed_expectations.empty());
}

TEST(RunScenario, RecordsFailedExpectations) {
  Simulator sim;
  ScenarioRun run;
  ASSERT_TRUE(RunScenario(Json::parse(R"({"title":"t","steps":[
      {"op":"put","key":"a","value":{}},
      {"op":"expect","head":1},
      {"op":"expect","head":5}]})"),
                          &sim, &run)
                  .ok());
  EXPECT_EQ(run.failed_expectations, std::vector<std::size_t>{2});
}

TEST(RunScenario, ConsumerThatCannotBeAddedIsAMalformedFile) {
  Simulator sim;
  ScenarioRun run;
  Status s = RunScenario(Json::parse(R"({"title":"t",
      "consumers":[{"name":"a","type":"full_text"},{"name":"a","type":"full_text"}],
      "steps":[]})"),
                         &sim, &run);
  EXPECT_EQ(s.message(), "consumers[1]: consumer.name: a consumer named 'a' already exists");
}

}  // namespace
}  // namespace unbundled
