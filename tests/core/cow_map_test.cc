// CowMap against std::map: every operation, random histories, and copies
// that must not see each other's changes.
#include "core/cow_map.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/core/cow_map_expect.h"

namespace unbundled {
namespace {

using Map = CowMap<std::string, int>;
using Model = std::map<std::string, int>;

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

// ForEach(n, count) visits the entries a model's iteration from the n-th
// gives, in order, across leaves, stopping at count or at the end.
TEST(CowMap, ForEachVisitsARangeInKeyOrder) {
  for (int seed = 0; seed < 4; ++seed) {
    std::mt19937 rng(seed);
    Map map;
    Model model;
    // Trees of one leaf, and of several levels.
    const int size = seed % 2 == 0 ? 20 : 5000;
    for (int i = 0; i < size; ++i) {
      const std::string key = KeyOf(&rng, 100000);
      map.Upsert(key, nullptr) = i;
      model[key] = i;
    }
    std::vector<std::pair<std::string, int>> all(model.begin(), model.end());
    for (int round = 0; round < 300; ++round) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(0, all.size() + 2)(rng);
      const std::size_t count = std::uniform_int_distribution<std::size_t>(0, 200)(rng);
      std::vector<std::pair<std::string, int>> seen;
      map.ForEach(n, count, [&seen](const std::string& k, const int& v) { seen.emplace_back(k, v); });
      std::vector<std::pair<std::string, int>> expected;
      for (std::size_t i = n; i < all.size() && i < n + count; ++i) expected.push_back(all[i]);
      ASSERT_EQ(seen, expected) << "seed " << seed << ", from " << n << ", count " << count;
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

// Keys longer than the eight bytes a node compares first, sharing long
// prefixes (so most comparisons go past them), with zero bytes and bytes
// above 0x7f, in a map and in a set.
TEST(CowMap, LongKeysSharingPrefixesAgreeWithStdMap) {
  const std::vector<std::string> prefixes = {
      "", "a", "abcdefg", "abcdefgh", std::string("abcdefgh\0", 9), std::string("abc\0\0", 5),
      "abcdefghijklmnop", "abcdefghijklmnopq", "\xff\xfe", "user", "user:000000000000"};
  for (int seed = 0; seed < 4; ++seed) {
    std::mt19937 rng(100 + seed);
    Map map;
    Model model;
    CowSet<std::string> set;
    std::map<std::string, Nothing> set_model;
    for (int step = 0; step < 20000; ++step) {
      const auto& prefix =
          prefixes[std::uniform_int_distribution<std::size_t>(0, prefixes.size() - 1)(rng)];
      std::string key = prefix;
      const int tail = std::uniform_int_distribution<int>(0, 3)(rng);
      if (tail > 0) key += std::to_string(std::uniform_int_distribution<int>(0, 999)(rng));
      if (tail == 3) key.push_back('\0');
      if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        EXPECT_EQ(map.erase(key), model.erase(key) == 1) << key;
        EXPECT_EQ(set.erase(key), set_model.erase(key) == 1) << key;
      } else {
        map[key] = step;
        model[key] = step;
        bool inserted = false;
        set.Upsert(key, &inserted);
        EXPECT_EQ(inserted, set_model.emplace(key, Nothing()).second) << key;
      }
    }
    ExpectSame(map, model);
    ASSERT_EQ(set.size(), set_model.size());
    auto it = set.begin();
    for (const auto& entry : set_model) {
      ASSERT_NE(it, set.end());
      EXPECT_EQ(it.key(), entry.first);
      ++it;
    }
    for (const auto& prefix : prefixes) {
      const auto expected = static_cast<std::size_t>(
          std::distance(model.begin(), model.lower_bound(prefix)));
      EXPECT_EQ(map.Rank(prefix), expected);
    }
  }
}

// Keys that arrive in order (as LSNs do) are cut off at the end of a full
// node rather than in halves; a map filled so, then thinned and copied,
// still agrees with std::map.
TEST(CowMap, KeysArrivingInOrderAgreeWithStdMap) {
  CowMap<std::uint64_t, int> map;
  std::map<std::uint64_t, int> model;
  for (std::uint64_t lsn = 1; lsn <= 50000; ++lsn) {
    map[lsn] = static_cast<int>(lsn);
    model[lsn] = static_cast<int>(lsn);
  }
  ExpectSame(map, model);
  const CowMap<std::uint64_t, int> copy = map;
  const auto copy_model = model;
  for (std::uint64_t lsn = 1; lsn <= 50000; lsn += 3) {
    map.erase(lsn);
    model.erase(lsn);
  }
  // In between, and in order again past the end.
  for (std::uint64_t lsn = 2; lsn <= 60000; lsn += 7) {
    map[lsn] = -1;
    model[lsn] = -1;
  }
  ExpectSame(map, model);
  ExpectSame(copy, copy_model);
  // Strings that arrive in order, as a numbered key does within a decade.
  Map strings;
  Model string_model;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "user" + std::to_string(i);
    strings[key] = i;
    string_model[key] = i;
  }
  ExpectSame(strings, string_model);
}

// Values that own memory (shared documents, and sets inside a map, as a
// full-text index keeps them) are released exactly once: by the last map
// that holds them, through erases, splits, copies and overwrites.
TEST(CowMap, ValuesAreReleasedByTheLastMapHoldingThem) {
  auto doc = std::make_shared<const std::string>("document");
  {
    std::mt19937 rng(3);
    CowMap<std::string, std::shared_ptr<const std::string>> docs;
    CowMap<std::string, CowSet<std::string>> postings;
    std::vector<CowMap<std::string, std::shared_ptr<const std::string>>> copies;
    for (int step = 0; step < 20000; ++step) {
      const std::string key = KeyOf(&rng, 3000) + "-long-enough-to-tie";
      if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        docs.erase(key);
        postings.erase(key.substr(0, 3));
      } else {
        docs[key] = doc;
        postings[key.substr(0, 3)][key];
      }
      if (step % 2500 == 0) copies.push_back(docs);
    }
    EXPECT_GT(doc.use_count(), 1);
    std::size_t in_sets = 0;
    for (const auto& [term, keys] : postings) in_sets += keys.size();
    EXPECT_GT(in_sets, 0u);
    // Each copy holds exactly its own entries' references.
    copies.clear();
    EXPECT_EQ(static_cast<std::size_t>(doc.use_count()), docs.size() + 1);
  }
  EXPECT_EQ(doc.use_count(), 1);
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
