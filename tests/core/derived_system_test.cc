#include "core/derived_system.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace unbundled {
namespace {

std::unique_ptr<DerivedSystem> Make(const std::string& type, const Json& config) {
  std::unique_ptr<DerivedSystem> system;
  Status s = CreateDerivedSystem(type, config, "consumer", &system);
  EXPECT_TRUE(s.ok()) << s.message();
  return system;
}

ChangeEvent Create(const char* key, Json after) {
  return {1, ChangeOp::kCreate, key, nullptr, MakeDoc(std::move(after))};
}
ChangeEvent Update(const char* key, Json before, Json after) {
  return {2, ChangeOp::kUpdate, key, MakeDoc(std::move(before)), MakeDoc(std::move(after))};
}
ChangeEvent Delete(const char* key, Json before) {
  return {3, ChangeOp::kDelete, key, MakeDoc(std::move(before)), nullptr};
}

Json Ask(const DerivedSystem& system, const Json& query) {
  Json result;
  Status s = system.Query(query, &result);
  EXPECT_TRUE(s.ok()) << s.message();
  return result;
}

TEST(IndexTerm, StringsAsThemselvesNumbersAndBooleansAsJsonText) {
  EXPECT_EQ(IndexTerm(Json("London")), "London");
  EXPECT_EQ(IndexTerm(Json(30)), "30");
  EXPECT_EQ(IndexTerm(Json(1.5)), "1.5");
  EXPECT_EQ(IndexTerm(Json(true)), "true");
  EXPECT_FALSE(IndexTerm(Json(nullptr)));
  EXPECT_FALSE(IndexTerm(Json::array()));
  EXPECT_FALSE(IndexTerm(Json::object()));
}

TEST(Tokenize, SplitsOnNonAlphanumericAsciiAndLowercases) {
  EXPECT_EQ(Tokenize("Graph-Database, graph!"), (std::vector<std::string>{"database", "graph"}));
  EXPECT_EQ(Tokenize("Kafka2 log_structured"),
            (std::vector<std::string>{"kafka2", "log", "structured"}));
  EXPECT_TRUE(Tokenize("  ...  ").empty());
}

TEST(Tokenize, KeepsNonAsciiBytesInsideTokensUnchanged) {
  EXPECT_EQ(Tokenize("Caf\xc3\xa9 M\xc3\x9cNCHEN"),
            (std::vector<std::string>{"caf\xc3\xa9", "m\xc3\x9cnchen"}));
}

TEST(SecondaryIndex, MapsFieldValueToSortedKeys) {
  auto idx = Make("secondary_index", {{"field", "city"}});
  idx->Process(Create("u3", {{"city", "London"}}));
  idx->Process(Create("u1", {{"city", "London"}}));
  idx->Process(Create("u2", {{"city", "Paris"}}));
  EXPECT_EQ(idx->State(), Json::parse(R"({"London":["u1","u3"],"Paris":["u2"]})"));
  EXPECT_EQ(Ask(*idx, {{"value", "London"}}), Json::parse(R"(["u1","u3"])"));
  EXPECT_EQ(Ask(*idx, {{"value", "Rome"}}), Json::array());
}

TEST(SecondaryIndex, UpdateMovesTheKeyAndEmptyValuesDisappear) {
  auto idx = Make("secondary_index", {{"field", "city"}});
  idx->Process(Create("u1", {{"city", "London"}}));
  idx->Process(Update("u1", {{"city", "London"}}, {{"city", "Paris"}}));
  EXPECT_EQ(idx->State(), Json::parse(R"({"Paris":["u1"]})"));
  idx->Process(Delete("u1", {{"city", "Paris"}}));
  EXPECT_EQ(idx->State(), Json::object());
}

TEST(SecondaryIndex, IndexesNumbersByJsonTextAndSkipsNullArraysObjectsAndMissing) {
  auto idx = Make("secondary_index", {{"field", "age"}});
  idx->Process(Create("a", {{"age", 30}}));
  idx->Process(Create("b", {{"age", nullptr}}));
  idx->Process(Create("c", {{"age", Json::array({30})}}));
  idx->Process(Create("d", {{"name", "x"}}));
  idx->Process(Create("e", {{"age", true}}));
  EXPECT_EQ(idx->State(), Json::parse(R"({"30":["a"],"true":["e"]})"));
  EXPECT_EQ(Ask(*idx, {{"value", 30}}), Json::parse(R"(["a"])"));
}

TEST(SecondaryIndex, QueryErrorsNameTheField) {
  auto idx = Make("secondary_index", {{"field", "city"}});
  Json result;
  EXPECT_EQ(idx->Query(Json::object(), &result).message(), "value: is required");
  EXPECT_EQ(idx->Query({{"value", Json::array()}}, &result).message(),
            "value: must be a string, number or boolean");
  EXPECT_EQ(idx->Query({{"text", "x"}}, &result).message(),
            "text: unknown field for secondary_index query (expected field, value)");
}

TEST(MaterializedView, CountsAndSumsPerGroup) {
  auto view = Make("materialized_view", {{"group_by", "city"}, {"sum", "age"}});
  view->Process(Create("u1", {{"city", "London"}, {"age", 30}}));
  view->Process(Create("u2", {{"city", "London"}, {"age", 40}}));
  view->Process(Create("u3", {{"city", "Paris"}, {"age", "old"}}));  // non-numeric adds 0
  view->Process(Create("u4", {{"city", "Paris"}}));                   // missing adds 0
  EXPECT_EQ(view->State(),
            Json::parse(R"({"London":{"count":2,"sum":70},"Paris":{"count":2,"sum":0}})"));
  EXPECT_EQ(Ask(*view, {{"group", "London"}}), Json::parse(R"({"count":2,"sum":70})"));
  EXPECT_EQ(Ask(*view, {{"group", "Rome"}}), Json(nullptr));
}

TEST(MaterializedView, WithoutSumReportsOnlyCount) {
  auto view = Make("materialized_view", {{"group_by", "city"}});
  view->Process(Create("u1", {{"city", "London"}, {"age", 30}}));
  EXPECT_EQ(view->State(), Json::parse(R"({"London":{"count":1}})"));
}

TEST(MaterializedView, GroupDisappearsWhenItsCountFallsToZero) {
  auto view = Make("materialized_view", {{"group_by", "city"}, {"sum", "age"}});
  view->Process(Create("u1", {{"city", "London"}, {"age", 30}}));
  view->Process(Update("u1", {{"city", "London"}, {"age", 30}}, {{"city", "Paris"}, {"age", 31}}));
  EXPECT_EQ(view->State(), Json::parse(R"({"Paris":{"count":1,"sum":31}})"));
  view->Process(Delete("u1", {{"city", "Paris"}, {"age", 31}}));
  EXPECT_EQ(view->State(), Json::object());
}

TEST(MaterializedView, FractionalSumsReturnToExactIntegersWhenRemoved) {
  auto view = Make("materialized_view", {{"group_by", "g"}, {"sum", "v"}});
  view->Process(Create("a", {{"g", "x"}, {"v", 1}}));
  view->Process(Create("b", {{"g", "x"}, {"v", 0.1}}));
  EXPECT_DOUBLE_EQ(view->State()["x"]["sum"].get<double>(), 1.1);
  view->Process(Delete("b", {{"g", "x"}, {"v", 0.1}}));
  EXPECT_EQ(view->State()["x"]["sum"].dump(), "1");
}

TEST(FullText, IndexesEveryStringFieldByDefault) {
  auto fts = Make("full_text", Json::object());
  fts->Process(Create("p1", {{"title", "Graph databases"}, {"body", "Neo4j and graph"}, {"n", 5}}));
  fts->Process(Create("p2", {{"title", "Relational databases"}}));
  EXPECT_EQ(Ask(*fts, {{"text", "graph DATABASES"}}), Json::parse(R"(["p1"])"));
  EXPECT_EQ(Ask(*fts, {{"text", "databases"}}), Json::parse(R"(["p1","p2"])"));
  EXPECT_EQ(Ask(*fts, {{"text", "graph missing"}}), Json::array());
  EXPECT_EQ(Ask(*fts, {{"text", ""}}), Json::array());
  EXPECT_FALSE(fts->State().contains("5"));
}

TEST(FullText, IndexesOnlyConfiguredFields) {
  auto fts = Make("full_text", {{"fields", {"title"}}});
  fts->Process(Create("p1", {{"title", "Logs"}, {"body", "streams"}}));
  EXPECT_EQ(fts->State(), Json::parse(R"({"logs":["p1"]})"));
}

TEST(FullText, UpdateReplacesTheOldDocumentsTokens) {
  auto fts = Make("full_text", Json::object());
  fts->Process(Create("p1", {{"title", "old words"}}));
  fts->Process(Update("p1", {{"title", "old words"}}, {{"title", "new words"}}));
  EXPECT_EQ(fts->State(), Json::parse(R"({"new":["p1"],"words":["p1"]})"));
  fts->Process(Delete("p1", {{"title", "new words"}}));
  EXPECT_EQ(fts->State(), Json::object());
}

// A token that repeats in a document is one posting, whether the document
// has a few tokens or many (two ways of making them unique), and escaped
// text is indexed as the text it stands for.
TEST(FullText, RepeatedTokensAreOnePostingInShortAndLongTexts) {
  auto fts = Make("full_text", Json::object());
  fts->Process(Create("p1", {{"a", "Log log LOG"}, {"b", "log\nstream \"log\""}}));
  std::string many;
  for (int i = 0; i < 30; ++i) many += "w" + std::to_string(i % 12) + " ";
  fts->Process(Create("p2", {{"text", many + "log"}}));
  EXPECT_EQ(fts->State()["log"], Json::parse(R"(["p1","p2"])"));
  EXPECT_EQ(fts->State()["stream"], Json::parse(R"(["p1"])"));
  EXPECT_EQ(fts->State()["w11"], Json::parse(R"(["p2"])"));
  EXPECT_EQ(fts->State().size(), 14u);  // log, stream, w0..w11
  fts->Process(Delete("p2", {{"text", many + "log"}}));
  fts->Process(Delete("p1", {{"a", "Log log LOG"}, {"b", "log\nstream \"log\""}}));
  EXPECT_EQ(fts->State(), Json::object());
}

// An update ends as a removal of its before document and an addition of its
// after document would, whatever the consumer's state holds: also when the
// state never had the before document (the event that added it was
// compacted away, or skipped by a recovery), and with few tokens or many.
TEST(Updates, EndAsARemovalAndAnAdditionWouldWhateverTheStateHolds) {
  std::mt19937 rng(7);
  const auto text = [&rng](int words) {
    std::string t;
    for (int w = 0; w < words; ++w) t += "w" + std::to_string(rng() % 14) + " ";
    return t;
  };
  const auto doc = [&]() {
    Json d = {{"city", "c" + std::to_string(rng() % 4)}, {"body", text(rng() % 2 ? 3 : 20)}};
    if (rng() % 5 == 0) d.erase("city");
    return d;
  };
  for (const auto& [type, config] : std::vector<std::pair<std::string, Json>>{
           {"full_text", Json::object()},
           {"full_text", {{"fields", {"body"}}}},
           {"secondary_index", {{"fields", {"city", "body"}}}}}) {
    auto system = Make(type, config);
    auto by_parts = Make(type, config);  // each update as a delete and a create
    std::map<std::string, Json> rows;
    for (int i = 0; i < 3000; ++i) {
      const std::string key = "k" + std::to_string(rng() % 40);
      // A before image that is the row applied, or (one time in four) one
      // this state never saw.
      auto row = rows.find(key);
      const bool stale = row == rows.end() || rng() % 4 == 0;
      const Json before = stale ? doc() : row->second;
      if (rng() % 6 == 0 && row != rows.end()) {
        system->Process(Delete(key.c_str(), before));
        by_parts->Process(Delete(key.c_str(), before));
        rows.erase(key);
        continue;
      }
      const Json after = rng() % 3 == 0 ? before : doc();
      system->Process(Update(key.c_str(), before, after));
      by_parts->Process(Delete(key.c_str(), before));
      by_parts->Process(Create(key.c_str(), after));
      rows[key] = after;
      ASSERT_EQ(system->State(), by_parts->State()) << type << " at event " << i;
    }
  }
}

TEST(CreateDerivedSystem, ConfigErrorsNameTheField) {
  std::unique_ptr<DerivedSystem> s;
  EXPECT_EQ(CreateDerivedSystem("secondary_index", Json::object(), "consumer", &s).message(),
            "consumer.field: is required");
  EXPECT_EQ(CreateDerivedSystem("secondary_index", {{"field", 3}}, "consumer", &s).message(),
            "consumer.field: must be a non-empty string");
  EXPECT_EQ(CreateDerivedSystem("secondary_index", {{"field", "a"}, {"sum", "b"}}, "consumer", &s)
                .message(),
            "consumer.sum: unknown field for secondary_index (expected field, fields)");
  EXPECT_EQ(CreateDerivedSystem("materialized_view", {{"sum", "b"}}, "consumer", &s).message(),
            "consumer.group_by: is required");
  EXPECT_EQ(CreateDerivedSystem("full_text", {{"fields", Json::array()}}, "consumer", &s).message(),
            "consumer.fields: must be a non-empty array of field names");
  EXPECT_EQ(CreateDerivedSystem("btree", Json::object(), "consumer", &s).message(),
            "consumer.type: unknown type 'btree' (expected secondary_index, materialized_view "
            "or full_text)");
  EXPECT_EQ(s, nullptr);
}

}  // namespace
}  // namespace unbundled

namespace unbundled {
namespace {

// SameState answers what comparing the two states as JSON answers, for every
// kind of system: after random histories that end in the same state by
// different roads (different orders, extra updates undone) and in states
// that differ by one key, one term, one field or one group.
TEST(SameState, IsWhatComparingTheStatesAsJsonSays) {
  const std::vector<std::pair<std::string, Json>> specs = {
      {"secondary_index", {{"field", "city"}}},
      {"secondary_index", {{"fields", {"city", "name"}}}},
      {"full_text", {{"fields", {"name"}}}},
      {"full_text", Json::object()},
      {"materialized_view", {{"group_by", "city"}, {"sum", "age"}}},
  };
  const char* cities[] = {"London", "Paris", "Oslo"};
  const char* names[] = {"ada lovelace", "alan turing", "grace", "ada"};
  std::mt19937 rng(7);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int same = 0, different = 0;
  for (const auto& [type, config] : specs) {
    for (int round = 0; round < 200; ++round) {
      // Rows each system ends with, and the road to them.
      std::map<std::string, Json> rows[2];
      auto a = Make(type, config), b = Make(type, config);
      DerivedSystem* systems[2] = {a.get(), b.get()};
      for (int s = 0; s < 2; ++s) {
        for (int i = 0, n = pick(12); i < n; ++i) {
          const std::string key = "k" + std::to_string(pick(6));
          // The second system's road often copies the first one's last rows.
          Json doc = {{"city", cities[pick(3)]}, {"name", names[pick(4)]}, {"age", pick(5)}};
          if (pick(4) == 0 && rows[s].count(key)) {
            systems[s]->Process({1, ChangeOp::kDelete, key, MakeDoc(rows[s][key]), nullptr});
            rows[s].erase(key);
            continue;
          }
          const auto old = rows[s].find(key);
          systems[s]->Process({1, old == rows[s].end() ? ChangeOp::kCreate : ChangeOp::kUpdate, key,
                               old == rows[s].end() ? nullptr : MakeDoc(old->second), MakeDoc(doc)});
          rows[s][key] = doc;
        }
        if (s == 0 && pick(2) == 0) {
          // Half the time the second system reaches exactly the first's rows.
          for (const auto& [key, doc] : rows[0]) {
            systems[1]->Process({1, ChangeOp::kRead, key, nullptr, MakeDoc(doc)});
            rows[1][key] = doc;
          }
          break;
        }
      }
      const bool json_same = a->State() == b->State();
      ASSERT_EQ(a->SameState(*b), json_same) << type << " " << config.dump() << " round " << round;
      ASSERT_EQ(b->SameState(*a), json_same);
      ASSERT_TRUE(a->SameState(*a));
      ++(json_same ? same : different);
    }
  }
  // Both answers were reached, many times.
  EXPECT_GT(same, 200);
  EXPECT_GT(different, 200);
}

}  // namespace
}  // namespace unbundled
