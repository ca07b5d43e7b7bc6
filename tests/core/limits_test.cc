// The limits of core/limits.h: each is refused with an error naming the
// field and the limit, and a refused step changes nothing (the fixture
// compares the whole state before and after).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/limits.h"
#include "core/ops.h"
#include "core/scenario.h"
#include "core/user_json.h"
#include "simulator_fixture.h"

namespace unbundled {
namespace {

std::string Nested(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  text += std::string(depth, '}');
  return text;
}

std::string Put(const std::string& value) {
  return R"({"op":"put","key":"u1","value":)" + value + "}";
}

class LimitsTest : public SimulatorFixture {
 protected:
  void SetUp() override {
    Ok(R"({"op":"add_consumer","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})");
    Ok(Put(R"({"city":"London"})"));
  }
};

TEST_F(LimitsTest, AValueNestedToTheLimitIsTaken) {
  Ok(Put(Nested(kMaxValueDepth)));  // {"a": ... 32 objects ... 1}
}

TEST_F(LimitsTest, AValueNestedPastTheLimitIsRefusedNamingTheLimit) {
  Fails(Put(Nested(kMaxValueDepth + 1)), "value: is nested more than 32 levels deep (the limit for a value)");
}

TEST_F(LimitsTest, AValueNested100000DeepIsRefusedWhileParsingNotByAStackOverflow) {
  Fails(Put(Nested(100000)),
        "value.a.a.a.a.a…: is nested more than 48 levels deep (the limit for JSON input; a value "
        "may nest 32)");
}

TEST_F(LimitsTest, ADeepArrayIsRefusedToo) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Fails(R"({"op":"put","key":"u1","value":{"x":)" + deep + "}}",
        "value.x[0][0][0][0]…: is nested more than 48 levels deep (the limit for JSON input; a value "
        "may nest 32)");
}

TEST_F(LimitsTest, AFieldNamePastTheLimitIsRefused) {
  Ok(Put("{\"" + std::string(kMaxFieldNameBytes, 'f') + "\":1}"));
  Fails(Put("{\"" + std::string(kMaxFieldNameBytes + 1, 'f') + "\":1}"),
        "value: has a field name of 65 bytes; a field name may have at most 64");
}

TEST_F(LimitsTest, AnyNamePastTheKeyLimitIsRefusedWhileParsing) {
  Fails(Put("{\"" + std::string(10000, 'f') + "\":1}"),
        "value.ffffffffffffffff…: has a field name of 10,000 bytes; a name may have at most 256");
}

TEST_F(LimitsTest, AConsumerFieldPastTheFieldNameLimitIsRefused) {
  Fails(R"({"op":"add_consumer","consumer":{"name":"c","type":"secondary_index","field":")" +
            std::string(kMaxFieldNameBytes + 1, 'f') + "\"}}",
        "consumer.field: must be at most 64 bytes, the limit for a field name (got 65)");
  Fails(R"({"op":"add_consumer","consumer":{"name":"c","type":"secondary_index","fields":["a",")" +
            std::string(100, 'f') + "\"]}}",
        "consumer.fields[1]: must be at most 64 bytes, the limit for a field name (got 100)");
}

TEST_F(LimitsTest, AValuePastTheSizeLimitIsRefused) {
  Fails(Put(R"({"bio":")" + std::string(70 * 1024, 'x') + "\"}"),
        "value: must serialize to at most 65536 bytes (got 71690)");
}

TEST_F(LimitsTest, AKeyPastTheLimitIsRefused) {
  Fails(R"({"op":"put","key":")" + std::string(kMaxKeyBytes + 1, 'k') + R"(","value":{}})",
        "key: must be at most 256 bytes (got 257)");
}

TEST_F(LimitsTest, IntegersAreKeptExactlyUpTo2To53AndRefusedBeyond) {
  Json r = Ok(Put(R"({"n":9007199254740991,"m":-9007199254740991})"));
  EXPECT_EQ(Do(R"({"op":"get","key":"u1"})")["value"]["n"].dump(), "9007199254740991");
  const std::string beyond =
      "value.n: holds the integer 9007199254740992, beyond 9007199254740991 (2^53 - 1) in magnitude, "
      "the largest a web page keeps exactly: write it as a string";
  Fails(Put(R"({"n":9007199254740992})"), beyond);
  Fails(Put(R"({"n":-9007199254740992})"),
        "value.n: holds the integer -9007199254740992, beyond 9007199254740991 (2^53 - 1) in "
        "magnitude, the largest a web page keeps exactly: write it as a string");
  // Too large for any 64-bit integer: a plain parse would keep a double.
  Fails(Put(R"({"n":123456789012345678901234567890})"),
        "value.n: holds the integer 123456789012345678901234567890, beyond 9007199254740991 (2^53 - "
        "1) in magnitude, the largest a web page keeps exactly: write it as a string");
  Ok(Put(R"({"n":1.5e300,"m":0.1})"));  // decimals are doubles, as in JavaScript
}

TEST_F(LimitsTest, AValueBuiltInCxxIsCheckedToo) {
  Json deep = Json::object();
  Json* at = &deep;
  for (int i = 0; i < 1000; ++i) at = &((*at)["a"] = Json::object());
  EXPECT_EQ(ValidateValue(deep, "value").message(),
            "value: is nested more than 32 levels deep (the limit for a value)");
  Json big{{"n", std::uint64_t{1} << 60}};
  EXPECT_EQ(ValidateValue(big, "value").message(),
            "value: holds the integer 1152921504606846976, beyond 9007199254740991 (2^53 - 1) in "
            "magnitude, the largest a web page keeps exactly: write it as a string");
}

TEST_F(LimitsTest, ALoneSurrogateIsRefusedInWordsWithoutTheParsersInternals) {
  Fails(Put(R"({"name":"\ud800"})"),
        "step: not valid JSON (line 1, column 47: a \\ud800-\\udbff escape must be followed by a "
        "\\udc00-\\udfff escape: a lone surrogate is not a character)");
}

TEST_F(LimitsTest, ANotePastTheLimitIsRefused) {
  Fails(R"({"op":"flush","note":")" + std::string(kMaxNoteBytes + 1, 'n') + "\"}",
        "note: must be at most 4096 bytes (got 4097)");
}

TEST_F(LimitsTest, ConsumersPastTheLimitAreRefused) {
  for (std::size_t i = 1; i < kMaxConsumers; ++i) {
    Ok(R"({"op":"add_consumer","consumer":{"name":"c)" + std::to_string(i) +
       R"(","type":"full_text"}})");
  }
  Fails(R"({"op":"add_consumer","consumer":{"name":"one_more","type":"full_text"}})",
        "consumer: there are already 16 consumers, the most a session may have: remove one first");
}

std::string Grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

// The refusal of a rebuild that follows `earlier` ones, each of which
// copied the `rows` rows (`bytes` bytes) written before them.
std::string WorkRefusal(std::uint64_t earlier, std::uint64_t rows, std::uint64_t bytes, bool now = true) {
  const std::uint64_t cost = rows + bytes / 1024;
  return "this step would bring the session's work to " + Grouped((earlier + 1) * cost) +
         " rows copied, over the limit of 1,000,000: a rebuild copies every row written so far (" +
         Grouped(rows) + " rows and " + Grouped(bytes / 1024) +
         " KiB of them, counted 1 a row plus 1 a KiB: " + Grouped(cost) +
         "), and the session's earlier steps copied " + Grouped(earlier * cost) +
         (now ? "; step back to an earlier step and go on from there (the work is counted to the "
                "step on screen), or start a new session"
              : "");
}

// 100 rows, 99 of them 60 KB: the issue's link that crashed the renderer
// (1,000 rebuilds of an index over 100 puts of 60 KB values).
void PutBigRows(Simulator* sim) {
  const std::string bio(60000, 'x');
  for (int i = 0; i < 99; ++i) {
    Json r = Json::parse(sim->Apply(R"({"op":"put","key":"b)" + std::to_string(i) +
                                    R"(","value":{"bio":")" + bio + R"("}})"));
    EXPECT_EQ(r["ok"], true);
  }
}
// Each rebuild copies every row written: 1 per row plus 1 per KiB
// ({"city":"London"} is 17 bytes, {"bio":"x..."} 60,010).
constexpr std::uint64_t kBigRowBytes = 17 + 99 * 60010;
constexpr std::uint64_t kPerRebuild = 100 + kBigRowBytes / 1024;

TEST_F(LimitsTest, SessionWorkPastTheLimitIsRefused) {
  PutBigRows(&sim_);
  const std::uint64_t per_rebuild = kPerRebuild;
  const std::uint64_t fit = kMaxSessionWork / per_rebuild;
  // Taken without building results (each would carry 6 MB of snapshot).
  const Json rebuild = Json::parse(R"({"op":"rebuild","consumer":"by_city"})");
  for (std::uint64_t i = 0; i < fit; ++i) ASSERT_TRUE(sim_.Replay(rebuild)) << i;
  Fails(R"({"op":"rebuild","consumer":"by_city"})", "session: " + WorkRefusal(fit, 100, kBigRowBytes));
  Ok(R"({"op":"get","key":"u1"})");  // steps that copy nothing still run
}

// The meter takes a written value's size from the engine: inserted rows
// weigh what put rows do, and a retried put (its request applied once)
// still counts its value.
TEST_F(LimitsTest, InsertedAndRetriedRowsWeighWhatTheirValuesDo) {
  const std::string bio(60000, 'x');
  for (int i = 0; i < 99; ++i) {
    const std::string value = R"({"bio":")" + bio + R"("})";
    if (i % 3 == 0) {
      Ok(R"({"op":"insert","prefix":"b","value":)" + value + "}");
    } else if (i % 3 == 1) {
      Ok(R"({"op":"put","key":"b)" + std::to_string(i) + R"(","value":)" + value + "}");
    } else {
      // Written once by the first, applied once only by the retry.
      Ok(R"({"op":"put","key":"r)" + std::to_string(i) + R"(","request_id":"q)" + std::to_string(i) +
         R"(","value":)" + value + "}");
      Ok(R"({"op":"put","key":"r)" + std::to_string(i) + R"(","request_id":"q)" + std::to_string(i) +
         R"(","value":)" + value + "}");
    }
  }
  // 100 rows written (33 of them twice, as retries count) ...
  const std::uint64_t rows = 100 + 33, bytes = 17 + (99 + 33) * 60010;
  const std::uint64_t per_rebuild = rows + bytes / 1024;
  const std::uint64_t fit = kMaxSessionWork / per_rebuild;
  const Json rebuild = Json::parse(R"({"op":"rebuild","consumer":"by_city"})");
  for (std::uint64_t i = 0; i < fit; ++i) ASSERT_TRUE(sim_.Replay(rebuild)) << i;
  Fails(R"({"op":"rebuild","consumer":"by_city"})", "session: " + WorkRefusal(fit, rows, bytes));
}

// A crash leaves the database down until a recover, which copies every row
// written: a crash (or a write that crashes on the way) whose recovery would
// pass the work limit is refused, or every later step would be.
TEST_F(LimitsTest, ACrashWhoseRecoveryWouldPassTheWorkLimitIsRefused) {
  PutBigRows(&sim_);
  const std::uint64_t fit = kMaxSessionWork / kPerRebuild;
  const Json rebuild = Json::parse(R"({"op":"rebuild","consumer":"by_city"})");
  // Room for one more copy: a crash, then its recovery.
  for (std::uint64_t i = 0; i + 1 < fit; ++i) ASSERT_TRUE(sim_.Replay(rebuild)) << i;
  Ok(R"({"op":"crash","kind":"process"})");
  Ok(R"({"op":"recover"})");
  // No room left: a crash is refused, saying why, and the database stays up.
  const std::uint64_t cost = 100 + kBigRowBytes / 1024;
  Fails(R"({"op":"crash","kind":"power"})",
        "session: this crash would leave the database down for good: the recovery after it would "
        "bring the session's work to " + Grouped((fit + 1) * cost) + " rows copied, over the limit of "
        "1,000,000 (a recovery copies every row written so far: 100 rows and " +
        Grouped(kBigRowBytes / 1024) + " KiB of them, counted 1 a row plus 1 a KiB: " + Grouped(cost) +
        "; the session's earlier steps copied " + Grouped(fit * cost) +
        "); step back to an earlier step and go on from there (the work is counted to the step on "
        "screen), or start a new session");
  Json r = Json::parse(sim_.Apply(std::string(R"({"op":"put","key":"k","value":{"a":1},"crash":"before_sync"})")));
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].get<std::string>().find("this crash would leave the database down for good"),
            std::string::npos) << r["error"];
  EXPECT_FALSE(sim_.engine().down());
  Ok(R"({"op":"put","key":"k","value":{"a":1}})");  // a write that does not crash is taken
}

TEST_F(LimitsTest, ACheckpointOfTheSimulatorKeepsItsMeter) {
  PutBigRows(&sim_);
  auto copy = sim_.Clone();
  const Json rebuild = Json::parse(R"({"op":"rebuild","consumer":"by_city"})");
  for (std::uint64_t i = 0; i < kMaxSessionWork / kPerRebuild; ++i) ASSERT_TRUE(sim_.Replay(rebuild));
  EXPECT_FALSE(sim_.Replay(rebuild));
  // A copy carries the work done so far.
  EXPECT_FALSE(sim_.Clone()->Replay(rebuild));
  sim_.CopyFrom(*copy);  // back before the rebuilds
  EXPECT_TRUE(sim_.Replay(rebuild));
}

// A first snapshot after many writes (a million put on the page by bulk
// steps) is refused by itself: the refusal names the op, the writes it
// counts (not storage's rows, which the page shows) and the earlier work.
TEST(SessionMeterTest, ARefusalSaysWhatTheStepCopiesAndWhatCameBefore) {
  SessionMeter meter;
  const Json put = {{"op", "put"}, {"key", "k"}, {"value", {{"t", "x"}}}};
  for (int i = 0; i < 100001; ++i) meter.Charge(put, 9 * 1024);
  EXPECT_EQ(meter.Check(Json{{"op", "add_consumer"}}, "session").message(),
            "session: this step would bring the session's work to 1,000,010 rows copied, over the "
            "limit of 1,000,000: an add_consumer copies every row written so far (100,001 rows "
            "and 900,009 KiB of them, counted 1 a row plus 1 a KiB: 1,000,010), and the "
            "session's earlier steps copied 0; step back to an earlier step and go on from there (the "
            "work is counted to the step on screen), or start a new session");
  EXPECT_EQ(meter.Check(Json{{"op", "query"}, {"as_of", "storage"}}, "session").message(),
            "session: this step would bring the session's work to 1,000,010 rows copied, over the "
            "limit of 1,000,000: a query as of storage copies every row written so far (100,001 "
            "rows and 900,009 KiB of them, counted 1 a row plus 1 a KiB: 1,000,010), and the "
            "session's earlier steps copied 0; step back to an earlier step and go on from there (the "
            "work is counted to the step on screen), or start a new session");
  EXPECT_EQ(meter.Check(Json{{"op", "query"}, {"fallback", "storage"}}, "session").message(),
            "session: this step would bring the session's work to 1,000,010 rows copied, over the "
            "limit of 1,000,000: a query that may ask storage (its fallback) copies every row "
            "written so far (100,001 rows and 900,009 KiB of them, counted 1 a row plus 1 a KiB: "
            "1,000,010), and the session's earlier steps copied 0; step back to an earlier step and go on from there (the "
            "work is counted to the step on screen), or start a new session");
  EXPECT_TRUE(meter.Check(Json{{"op", "query"}}, "session").ok());
}

// The page checks a file's whole work before it runs only when a step's op
// is one of MeteredOps(): every other op must add nothing to the work.
TEST(SessionMeterTest, OnlyTheMeteredOpsAddWork) {
  SessionMeter meter;
  for (int i = 0; i < 1000; ++i) {
    meter.Charge(Json{{"op", "put"}, {"key", "k" + std::to_string(i)}, {"value", {{"t", "x"}}}});
  }
  const auto& metered = SessionMeter::MeteredOps();
  for (const auto& op : Ops()) {
    const bool listed = std::find(metered.begin(), metered.end(), op.name) != metered.end();
    // A query copies rows only when it reads as of storage.
    const Json step = op.name == "query" ? Json{{"op", "query"}, {"as_of", "storage"}}
                                         : Json{{"op", op.name}};
    SessionMeter copy = meter;
    ASSERT_TRUE(copy.Add(step, "step").ok()) << op.name;
    EXPECT_EQ(copy.work() > meter.work(), listed) << op.name;
  }
  // Every listed op is an op.
  for (const auto& name : metered) EXPECT_NE(FindOp(name), nullptr) << name;
}

// A scenario file is measured before any step runs.
TEST(ScenarioLimits, TooManyRebuildsAreRefusedBeforeRunning) {
  std::string text = R"({"title":"t","consumers":[{"name":"s","type":"full_text"}],"steps":[)";
  for (int i = 0; i < 2000; ++i) text += R"({"op":"put","key":"k)" + std::to_string(i) + R"(","value":{"t":"a b"}},)";
  for (int i = 0; i < 2000; ++i) text += R"({"op":"rebuild","consumer":"s"},)";
  text.back() = ']';
  text += "}";
  // Each rebuild copies the 2,000 rows written, 1 each plus 1 per KiB
  // ({"t":"a b"} is 11 bytes).
  const std::uint64_t per_rebuild = 2000 + 2000 * 11 / 1024;
  const std::uint64_t fit = kMaxSessionWork / per_rebuild;
  StreamedScenario scenario;
  EXPECT_EQ(scenario.Open(text).message(),
            "steps[" + std::to_string(2000 + fit) + "]: " + WorkRefusal(fit, 2000, 2000 * 11, false));
  EXPECT_EQ(ValidateScenario(Json::parse(text)).message(), scenario.Open(text).message());
}

TEST(ScenarioLimits, TooManyStepsAreRefused) {
  std::string text = R"({"title":"t","steps":[)";
  for (std::size_t i = 0; i <= kMaxSessionSteps; ++i) text += R"({"op":"get","key":"k"},)";
  text.back() = ']';
  text += "}";
  StreamedScenario scenario;
  EXPECT_EQ(scenario.Open(text).message(),
            "steps[200000]: a session may have at most 200,000 steps (the session-length limit): "
            "export it and start a new session");
}

TEST(ScenarioLimits, ADeepValueInAFileIsRefusedNamingTheStep) {
  const std::string text = R"({"title":"t","steps":[{"op":"flush"},{"op":"put","key":"k","value":)" +
                           Nested(100000) + "}]}";
  StreamedScenario scenario;
  EXPECT_EQ(scenario.Open(text).message(),
            "steps[1].value.a.a.a…: is nested more than 48 levels deep (the limit for JSON input; "
            "a value may nest 32)");
  EXPECT_FALSE(scenario.bad_json());
}

TEST(ScenarioLimits, TitleNoteAndConsumerCountAreLimited) {
  auto validate = [](const std::string& text) { return ValidateScenario(Json::parse(text)).message(); };
  EXPECT_EQ(validate(R"({"title":")" + std::string(kMaxTitleBytes + 1, 't') + R"(","steps":[]})"),
            "title: must be at most 200 bytes (got 201)");
  EXPECT_EQ(validate(R"({"title":"t","steps":[{"op":"flush","note":")" + std::string(5000, 'n') + "\"}]}"),
            "steps[0].note: must be at most 4096 bytes (got 5000)");
  std::string many = R"({"title":"t","steps":[],"consumers":[)";
  for (int i = 0; i < 17; ++i) many += R"({"name":"c)" + std::to_string(i) + R"(","type":"full_text"},)";
  many.back() = ']';
  many += "}";
  EXPECT_EQ(validate(many), "consumers: may list at most 16 consumers (got 17)");
}

TEST(UserJson, TextPastTheSizeLimitIsRefusedBeforeParsing) {
  Json out = 7;
  const std::string text(kMaxJsonBytes + 1, ' ');
  EXPECT_EQ(ParseUserJson(text, "link", &out).message(),
            "link: is 16,777,217 bytes of JSON; the limit is 16,777,216 bytes (16 MiB)");
  EXPECT_EQ(out, 7);
}

TEST(UserJson, ParseErrorsAreWrittenForAStudent) {
  Json out;
  EXPECT_EQ(ParseUserJson("{\"a\": 1", "value", &out).message(),
            "value: not valid JSON (line 1, column 8: the text ends too soon: is something missing "
            "at the end?)");
  EXPECT_EQ(ParseUserJson("{\"a\": 1e999}", "value", &out).message(),
            "value: not valid JSON (a number is too large to keep: the largest is about 1.8e308)");
}

TEST(UserJson, AValueReadOnItsOwnNamesItsFieldsUnderValue) {
  Json out;
  EXPECT_EQ(ParseUserJson(Nested(2000), "value", &out).message(),
            "value.a.a.a.a.a.a…: is nested more than 48 levels deep (the limit for JSON input; a value "
            "may nest 32)");
  EXPECT_EQ(ParseUserJson(R"({"n": 9007199254740993})", "value", &out).message(),
            "value.n: holds the integer 9007199254740993, beyond 9007199254740991 (2^53 - 1) in "
            "magnitude, the largest a web page keeps exactly: write it as a string");
}

TEST(UserJson, LimitsAreExportedAsOneTable) {
  const Json limits = LimitsJson();
  EXPECT_EQ(limits["value_depth"], kMaxValueDepth);
  EXPECT_EQ(limits["json_bytes"], kMaxJsonBytes);
  EXPECT_EQ(limits["session_work"], kMaxSessionWork);
  EXPECT_EQ(limits["exact_integer"], kMaxExactInteger);
  EXPECT_EQ(limits["link_bytes"], kMaxLinkBytes);
  EXPECT_EQ(limits["bulk_documents"], kMaxBulkDocuments);
  EXPECT_EQ(limits["bulk_keys"], kMaxBulkKeys);
  EXPECT_EQ(limits["bulk_from"], kMaxBulkFrom);
  EXPECT_EQ(limits.size(), 18u);
}

}  // namespace
}  // namespace unbundled
