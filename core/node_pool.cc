#include "core/node_pool.h"

#include <new>

// Under AddressSanitizer (the fuzzers) blocks come from operator new, so
// that a use after free is still caught.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNBUNDLED_NO_NODE_POOL 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNBUNDLED_NO_NODE_POOL 1
#endif

#if defined(__linux__) && !defined(__EMSCRIPTEN__) && !defined(UNBUNDLED_NO_NODE_POOL)
#include <sys/mman.h>

#include <cstdint>
#define UNBUNDLED_NODE_POOL 1
#endif

namespace unbundled {
namespace node_pool {

#if defined(UNBUNDLED_NODE_POOL)

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
// Address space is taken 32 MiB at a time (a huge page is made resident
// only when first touched).
constexpr std::size_t kRegion = std::size_t{32} << 20;
// Blocks are cut in steps of 16 bytes up to 256 (documents), then of 64
// bytes up to 4 KiB (a tree node of 33 entries is 1.4 to 2.2 KiB); bigger
// ones come from operator new.
constexpr std::size_t kSmallStep = 16;
constexpr std::size_t kSmall = 256;
constexpr std::size_t kStep = 64;
constexpr std::size_t kLargest = 4096;
constexpr std::size_t kClasses = kSmall / kSmallStep + (kLargest - kSmall) / kStep;

struct FreeBlock {
  FreeBlock* next;
};

struct Pool {
  FreeBlock* free[kClasses + 1] = {};
  unsigned char* cursor = nullptr;  // the rest of the current region
  unsigned char* end = nullptr;
  Stats stats;
};

thread_local Pool pool;

// A block size's class (1 to kClasses), and the bytes its blocks have.
std::size_t ClassOf(std::size_t bytes) {
  if (bytes <= kSmall) return (bytes + kSmallStep - 1) / kSmallStep + (bytes == 0 ? 1 : 0);
  return kSmall / kSmallStep + (bytes - kSmall + kStep - 1) / kStep;
}
std::size_t SizeOf(std::size_t c) {
  return c <= kSmall / kSmallStep ? c * kSmallStep : kSmall + (c - kSmall / kSmallStep) * kStep;
}

// A new region of kRegion bytes on a huge-page boundary, advised to be
// backed by huge pages.
void NewRegion(Pool* p) {
  const std::size_t span = kRegion + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  // The slack before and after the aligned region goes back.
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t tail = aligned + kRegion;
  if (start + span > tail) munmap(reinterpret_cast<void*>(tail), start + span - tail);
  // Without transparent huge pages this fails, and 4 KiB pages serve.
  (void)madvise(reinterpret_cast<void*>(aligned), kRegion, MADV_HUGEPAGE);
  p->cursor = reinterpret_cast<unsigned char*>(aligned);
  p->end = p->cursor + kRegion;
}

}  // namespace

void* Allocate(std::size_t bytes) {
  if (bytes > kLargest) return ::operator new(bytes);
  Pool& p = pool;
  const std::size_t c = ClassOf(bytes);
  const std::size_t size = SizeOf(c);
  p.stats.in_use += size;
  if (FreeBlock* block = p.free[c]) {
    p.free[c] = block->next;
    return block;
  }
  if (static_cast<std::size_t>(p.end - p.cursor) < size) {
    try {
      NewRegion(&p);
    } catch (...) {
      p.stats.in_use -= size;
      throw;
    }
  }
  void* block = p.cursor;
  p.cursor += size;
  p.stats.reserved += size;
  return block;
}

void Free(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) return;
  if (bytes > kLargest) {
    ::operator delete(block);
    return;
  }
  Pool& p = pool;
  const std::size_t c = ClassOf(bytes);
  p.stats.in_use -= SizeOf(c);
  auto* b = static_cast<FreeBlock*>(block);
  b->next = p.free[c];
  p.free[c] = b;
}

Stats ThreadStats() { return pool.stats; }

#else

void* Allocate(std::size_t bytes) { return ::operator new(bytes); }
void Free(void* block, std::size_t) noexcept { ::operator delete(block); }
Stats ThreadStats() { return {}; }

#endif

}  // namespace node_pool
}  // namespace unbundled
