// SharedKey: a key held once and shared; trees of SharedKeys order and find
// them as trees of std::string do, by any string, without allocating.
#include "core/shared_key.h"

#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "core/node_pool.h"
#include "tests/core/cow_map_expect.h"

namespace unbundled {
namespace {

TEST(SharedKey, ComparesAndPrintsAsItsBytes) {
  const SharedKey a("user1"), b(std::string("user1")), c("user2"), empty;
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.SharesWith(b));  // equal bytes, two allocations
  EXPECT_NE(a, c);
  EXPECT_TRUE(a < c);
  EXPECT_EQ(a, "user1");
  EXPECT_EQ("user1", a);
  EXPECT_EQ(a, std::string("user1"));
  EXPECT_NE(a, std::string_view("user"));
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty, "");
  EXPECT_EQ(a.size(), 5u);
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(SharedKey(with_nul).str(), with_nul);
  std::ostringstream os;
  os << c;
  EXPECT_EQ(os.str(), "user2");
}

TEST(SharedKey, ACopySharesTheBytesAndTheLastHolderFreesThem) {
  const std::size_t before = node_pool::ThreadStats().in_use;
  {
    SharedKey a("a key longer than a small string's room");
    if (node_pool::ThreadStats().in_use == before) {
      GTEST_SKIP() << "no node pool in this build: its blocks are not counted";
    }
    EXPECT_EQ(a.use_count(), 1u);
    SharedKey b = a;
    EXPECT_TRUE(b.SharesWith(a));
    EXPECT_EQ(a.use_count(), 2u);
    SharedKey c = std::move(b);
    EXPECT_TRUE(c.SharesWith(a));
    EXPECT_EQ(a.use_count(), 2u);
    a = SharedKey("other");
    EXPECT_EQ(c.use_count(), 1u);
  }
  EXPECT_EQ(node_pool::ThreadStats().in_use, before);
}

// The engine's keys: numbered ones sharing long prefixes, heads that tie,
// NUL bytes and bytes past 0x7f.
std::string RandomKey(std::mt19937* rng) {
  static const char* kPrefixes[] = {"", "a", "abcdefgh", "user", "user:000000000000", "\xff\xfe"};
  std::string key = kPrefixes[std::uniform_int_distribution<int>(0, 5)(*rng)];
  key += std::to_string(std::uniform_int_distribution<int>(0, 3000)(*rng));
  if (std::uniform_int_distribution<int>(0, 9)(*rng) == 0) key.push_back('\0');
  return key;
}

TEST(SharedKey, ATreeOfSharedKeysAgreesWithStdMapFoundByStrings) {
  for (int seed = 0; seed < 4; ++seed) {
    std::mt19937 rng(seed);
    CowMap<SharedKey, int> map;
    std::map<std::string, int> model;
    std::vector<CowMap<SharedKey, int>> copies;
    std::vector<std::map<std::string, int>> models;  // each copy's contents
    for (int step = 0; step < 20000; ++step) {
      const std::string key = RandomKey(&rng);
      if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        EXPECT_EQ(map.erase(std::string_view(key)), model.erase(key) == 1) << key;
      } else {
        bool inserted = false;
        const SharedKey* stored = nullptr;
        map.Upsert(std::string_view(key), &inserted, &stored) = step;
        EXPECT_EQ(inserted, model.count(key) == 0) << key;
        ASSERT_NE(stored, nullptr);
        EXPECT_EQ(*stored, key);
        model[key] = step;
      }
      if (step % 2000 == 0) {
        copies.push_back(map);
        models.push_back(model);
      }
    }
    ExpectSame(map, model);
    // Each copy still holds what the map held when it was taken.
    for (std::size_t c = 0; c < copies.size(); ++c) ExpectSame(copies[c], models[c]);
    for (int i = 0; i < 200; ++i) {
      const std::string probe = RandomKey(&rng) + "x";
      EXPECT_EQ(map.Rank(probe), static_cast<std::size_t>(std::distance(
                                     model.begin(), model.lower_bound(probe))));
    }
  }
}

TEST(SharedKey, AKeyInsertedIntoTreesIsSharedAndLookupsAllocateNothing) {
  CowSet<SharedKey> storage, index;
  const SharedKey* held = nullptr;
  storage.Upsert(std::string_view("user12345678"), nullptr, &held);
  ASSERT_NE(held, nullptr);
  const SharedKey key = *held;
  index.Upsert(key, nullptr);
  EXPECT_TRUE(index.begin().key().SharesWith(storage.begin().key()));
  EXPECT_EQ(key.use_count(), 3u);  // storage, the index, `key`

  // Counted by the node pool, which every SharedKey and tree node comes
  // from (where there is one).
  const std::size_t before = node_pool::ThreadStats().in_use;
  if (before == 0) GTEST_SKIP() << "no node pool in this build: its blocks are not counted";
  EXPECT_TRUE(storage.contains(std::string("user12345678")));
  EXPECT_TRUE(index.contains(std::string_view("user12345678")));
  EXPECT_FALSE(index.contains("user12345679"));
  EXPECT_EQ(node_pool::ThreadStats().in_use, before);
}

}  // namespace
}  // namespace unbundled
