// CowMap against std::map: every operation, random histories, and copies
// that must not see each other's changes.
#include "core/cow_map.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace unbundled {
namespace {

using Map = CowMap<std::string, int>;
using Model = std::map<std::string, int>;

// Every observable of `map` equals `model`'s: size, find, order, At, Rank.
void ExpectSame(const Map& map, const Model& model) {
  ASSERT_EQ(map.size(), model.size());
  std::size_t n = 0;
  auto it = map.begin();
  for (const auto& [key, value] : model) {
    ASSERT_NE(it, map.end());
    EXPECT_EQ(it.key(), key);
    EXPECT_EQ(it.value(), value);
    const int* found = map.find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, value);
    EXPECT_EQ(map.Rank(key), n);
    EXPECT_EQ(map.At(n).key(), key);
    ++it;
    ++n;
  }
  EXPECT_EQ(it, map.end());
  EXPECT_EQ(map.At(model.size()), map.end());
}

std::string KeyOf(std::mt19937* rng, int range) {
  return "k" + std::to_string(std::uniform_int_distribution<int>(0, range - 1)(*rng));
}

TEST(CowMap, EmptyMap) {
  Map map;
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.begin(), map.end());
  EXPECT_EQ(map.find("a"), nullptr);
  EXPECT_EQ(map.Rank("a"), 0u);
  EXPECT_FALSE(map.erase("a"));
}

TEST(CowMap, RandomHistoriesAgreeWithStdMap) {
  for (int seed = 0; seed < 8; ++seed) {
    std::mt19937 rng(seed);
    // Small ranges make many erases hit; large ones grow deep trees.
    const int range = seed % 2 == 0 ? 300 : 20000;
    Map map;
    Model model;
    for (int step = 0; step < 20000; ++step) {
      const std::string key = KeyOf(&rng, range);
      const int op = std::uniform_int_distribution<int>(0, 9)(rng);
      if (op < 6) {
        bool inserted = false;
        map.Upsert(key, &inserted) = step;
        EXPECT_EQ(inserted, model.count(key) == 0);
        model[key] = step;
      } else if (op < 9) {
        EXPECT_EQ(map.erase(key), model.erase(key) == 1);
      } else if (int* v = map.FindMutable(key)) {
        *v += 1;
        model[key] += 1;
      } else {
        EXPECT_EQ(model.count(key), 0u);
      }
    }
    ExpectSame(map, model);
    // Rank and lower_bound of absent keys too.
    for (int i = 0; i < 200; ++i) {
      const std::string key = KeyOf(&rng, range) + "x";
      const auto expected = static_cast<std::size_t>(
          std::distance(model.begin(), model.lower_bound(key)));
      EXPECT_EQ(map.Rank(key), expected);
      auto lb = map.lower_bound(key);
      if (expected == model.size()) {
        EXPECT_EQ(lb, map.end());
      } else {
        EXPECT_EQ(lb.key(), model.lower_bound(key)->first);
      }
    }
  }
}

TEST(CowMap, CopiesDoNotSeeEachOthersChanges) {
  std::mt19937 rng(7);
  Map map;
  Model model;
  std::vector<std::pair<Map, Model>> copies;
  for (int step = 0; step < 30000; ++step) {
    const std::string key = KeyOf(&rng, 5000);
    if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
      map.erase(key);
      model.erase(key);
    } else {
      map[key] = step;
      model[key] = step;
    }
    if (step % 3000 == 0) copies.emplace_back(map, model);
    // A copy is changed as well, and must not change the original.
    if (step % 7000 == 6999) {
      auto& [copy, copy_model] = copies[copies.size() / 2];
      for (int i = 0; i < 500; ++i) {
        const std::string k = KeyOf(&rng, 5000);
        copy[k] = -i;
        copy_model[k] = -i;
        copy.erase(KeyOf(&rng, 5000) + "");
      }
      // Keep the model in step with the erases: recompute from the copy.
      copy_model.clear();
      for (const auto& [k, v] : copy) copy_model[k] = v;
    }
  }
  ExpectSame(map, model);
  for (const auto& [copy, copy_model] : copies) ExpectSame(copy, copy_model);
}

TEST(CowMap, ACopyIsUnchangedByLaterChangesToTheOriginal) {
  Map map;
  for (int i = 0; i < 5000; ++i) map["k" + std::to_string(i)] = i;
  Map copy = map;
  Model before;
  for (const auto& [k, v] : copy) before[k] = v;
  Model after = before;
  for (int i = 0; i < 5000; i += 2) {
    map.erase("k" + std::to_string(i));
    after.erase("k" + std::to_string(i));
  }
  for (int i = 0; i < 5000; i += 3) map["k" + std::to_string(i)] = after["k" + std::to_string(i)] = -1;
  map["new"] = after["new"] = 1;
  ExpectSame(copy, before);
  ExpectSame(map, after);
}

TEST(CowMap, EraseEverythingThenReuse) {
  Map map;
  for (int i = 0; i < 3000; ++i) map["k" + std::to_string(i)] = i;
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(map.erase("k" + std::to_string(i)));
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.begin(), map.end());
  map["a"] = 1;
  ExpectSame(map, Model{{"a", 1}});
}

}  // namespace
}  // namespace unbundled
