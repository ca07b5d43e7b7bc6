// Counts the bytes that C++ allocations hold in the module's heap, for
// Module.heapBytes(): the page budgets its checkpoints against it. malloc's
// own count (mallinfo) walks the whole heap, 20 ms at a few hundred MB on a
// slow machine, in the middle of an import's slice; this is one addition per
// allocation and per free. Allocations made by malloc directly (embind's
// strings crossing the boundary, briefly) are not counted.
#include <cstddef>
#include <cstdlib>
#include <malloc.h>
#include <new>

#include "wasm/heap_count.h"

namespace {
std::size_t in_use = 0;

void* Allocate(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) in_use += malloc_usable_size(p);
  return p;
}

void Release(void* p) {
  if (p == nullptr) return;
  in_use -= malloc_usable_size(p);
  std::free(p);
}
}  // namespace

namespace unbundled_wasm {
std::size_t HeapBytesInUse() { return in_use; }
}  // namespace unbundled_wasm

void* operator new(std::size_t n) {
  void* p = Allocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
