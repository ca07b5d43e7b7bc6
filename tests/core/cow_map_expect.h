// A CowMap checked against a std::map model, for the trees' tests.
#ifndef UNBUNDLED_TESTS_CORE_COW_MAP_EXPECT_H_
#define UNBUNDLED_TESTS_CORE_COW_MAP_EXPECT_H_

#include <cstddef>

#include <gtest/gtest.h>

namespace unbundled {

// Every observable of `map` equals `model`'s: size, find, order, At, Rank.
template <typename M, typename Mod>
void ExpectSame(const M& map, const Mod& model) {
  ASSERT_EQ(map.size(), model.size());
  std::size_t n = 0;
  auto it = map.begin();
  for (const auto& [key, value] : model) {
    ASSERT_NE(it, map.end());
    EXPECT_EQ(it.key(), key);
    EXPECT_EQ(it.value(), value);
    const auto* found = map.find(key);
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

}  // namespace unbundled

#endif  // UNBUNDLED_TESTS_CORE_COW_MAP_EXPECT_H_
