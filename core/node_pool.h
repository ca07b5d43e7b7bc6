// NodePool: where the engine's trees keep their nodes, on huge pages.
//
// A million stored documents spread about 350 MB of tree nodes over memory,
// and every put walks five trees from root to leaf: with the kernel's
// 4 KiB pages nearly every node visited is also a TLB miss (and, the first
// time, a page fault). On 2 MiB pages the same walk misses a few times, not
// a few dozen: put + flush of a million documents took 5.0 s with glibc's
// malloc and 2.8 s with its huge pages turned on (GLIBC_TUNABLES=
// glibc.malloc.hugetlb=1) on the same machine.
//
// So on Linux, nodes come from 2 MiB chunks the kernel is asked to back
// with huge pages (madvise MADV_HUGEPAGE; honoured when transparent huge
// pages are "always" or "madvise", which is Debian's default), cut into
// blocks of a few sizes, each size with its own list of freed blocks to
// reuse. Chunks are never returned: the pool holds what the process's
// largest state needed, as malloc's heap does. Each thread has its own
// pool (the engine is single-threaded; a block freed on another thread
// joins that thread's list, which is safe since chunks are never unmapped).
//
// Elsewhere (WebAssembly, where the page counts the module's heap through
// operator new; under AddressSanitizer, which must see every block; other
// systems) Allocate and Free are operator new and delete.
#ifndef UNBUNDLED_CORE_NODE_POOL_H_
#define UNBUNDLED_CORE_NODE_POOL_H_

#include <cstddef>

namespace unbundled {
namespace node_pool {

// A block of at least `bytes`, aligned for any type. Throws std::bad_alloc.
void* Allocate(std::size_t bytes);
// Gives back a block from Allocate(bytes), with the same `bytes`.
void Free(void* block, std::size_t bytes) noexcept;

struct Stats {
  std::size_t in_use = 0;    // bytes of the blocks handed out and not freed
  std::size_t reserved = 0;  // bytes of the chunks taken from the system
};
// This thread's pool (all zeros where there is no pool). A block freed on
// another thread than the one that took it is counted off that thread's.
Stats ThreadStats();

}  // namespace node_pool
}  // namespace unbundled

#endif  // UNBUNDLED_CORE_NODE_POOL_H_
