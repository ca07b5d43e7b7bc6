// Bytes held by the module's C++ allocations (wasm/heap_count.cc).
#ifndef UNBUNDLED_WASM_HEAP_COUNT_H_
#define UNBUNDLED_WASM_HEAP_COUNT_H_

#include <cstddef>

namespace unbundled_wasm {
std::size_t HeapBytesInUse();
}  // namespace unbundled_wasm

#endif  // UNBUNDLED_WASM_HEAP_COUNT_H_
