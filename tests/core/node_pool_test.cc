// The pool the trees' nodes and the documents come from (core/node_pool.h).
#include "core/node_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace unbundled {
namespace {

struct Block {
  unsigned char* p;
  std::size_t bytes;
  unsigned char fill;
};

bool Holds(const Block& b) {
  for (std::size_t i = 0; i < b.bytes; ++i) {
    if (b.p[i] != b.fill) return false;
  }
  return true;
}

TEST(NodePool, BlocksAreAlignedDisjointAndKeepTheirBytesThroughFreesAndReuse) {
  // Sizes across every class and past the largest (served by operator new),
  // 40 MiB in all at the peak, so the pool takes more than one region.
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> size(1, 5000);
  std::vector<Block> live;
  std::size_t total = 0;
  unsigned char next = 1;
  auto take = [&] {
    const std::size_t bytes = size(rng);
    auto* p = static_cast<unsigned char*>(node_pool::Allocate(bytes));
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0u) << bytes;
    std::memset(p, next, bytes);
    live.push_back({p, bytes, next});
    next = static_cast<unsigned char>(next % 250 + 1);
    total += bytes;
  };
  while (total < (std::size_t{40} << 20)) take();
  // Free a random half, then allocate again: freed blocks are reused.
  std::shuffle(live.begin(), live.end(), rng);
  const std::size_t half = live.size() / 2;
  for (std::size_t i = half; i < live.size(); ++i) {
    ASSERT_TRUE(Holds(live[i])) << "a block was overwritten before it was freed";
    node_pool::Free(live[i].p, live[i].bytes);
  }
  live.resize(half);
  for (std::size_t i = 0; i < half; ++i) take();
  // No two live blocks overlap, and each still holds what was written.
  std::map<std::uintptr_t, std::size_t> spans;
  for (const Block& b : live) {
    ASSERT_TRUE(Holds(b)) << "a block was overwritten while in use";
    spans[reinterpret_cast<std::uintptr_t>(b.p)] = b.bytes;
  }
  std::uintptr_t end = 0;
  for (const auto& [start, bytes] : spans) {
    ASSERT_GE(start, end) << "two blocks overlap";
    end = start + bytes;
  }
  for (const Block& b : live) node_pool::Free(b.p, b.bytes);
}

TEST(NodePool, CountsTheBytesInUse) {
  const node_pool::Stats before = node_pool::ThreadStats();
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t bytes : {1, 16, 17, 100, 256, 257, 1392, 2184, 4096}) {
    blocks.emplace_back(node_pool::Allocate(bytes), bytes);
  }
  const node_pool::Stats during = node_pool::ThreadStats();
  for (auto& [p, bytes] : blocks) node_pool::Free(p, bytes);
  const node_pool::Stats after = node_pool::ThreadStats();
  EXPECT_EQ(after.in_use, before.in_use);
  if (during.reserved == 0) GTEST_SKIP() << "no pool on this build (operator new serves)";
  // Each block is counted at its class's size: at least what was asked.
  std::size_t asked = 0;
  for (auto& [p, bytes] : blocks) asked += bytes;
  EXPECT_GE(during.in_use - before.in_use, asked);
  EXPECT_LE(during.in_use - before.in_use, asked + blocks.size() * 64);
  EXPECT_GE(during.reserved, during.in_use);
}

TEST(NodePool, AFreedBlockIsHandedOutAgainForTheSameSize) {
  if (node_pool::ThreadStats().reserved == 0) {
    void* probe = node_pool::Allocate(64);
    const bool pooled = node_pool::ThreadStats().reserved != 0;
    node_pool::Free(probe, 64);
    if (!pooled) GTEST_SKIP() << "no pool on this build (operator new serves)";
  }
  void* a = node_pool::Allocate(1392);
  node_pool::Free(a, 1392);
  void* b = node_pool::Allocate(1390);  // the same class of 64-byte steps
  EXPECT_EQ(a, b);
  node_pool::Free(b, 1390);
}

}  // namespace
}  // namespace unbundled
