#include "core/shared_key.h"

#include <cstring>
#include <new>
#include <ostream>

#include "core/node_pool.h"

namespace unbundled {

SharedKey::SharedKey(std::string_view bytes) {
  if (bytes.empty()) return;  // the empty key holds nothing
  void* memory = node_pool::Allocate(sizeof(Rep) + bytes.size());
  rep_ = new (memory) Rep{1, static_cast<std::uint32_t>(bytes.size())};
  std::memcpy(rep_ + 1, bytes.data(), bytes.size());
}

void SharedKey::Release() {
  if (rep_ != nullptr && --rep_->refs == 0) {
    const std::size_t bytes = sizeof(Rep) + rep_->size;
    rep_->~Rep();
    node_pool::Free(rep_, bytes);
  }
  rep_ = nullptr;
}

std::ostream& operator<<(std::ostream& os, const SharedKey& key) { return os << key.view(); }

}  // namespace unbundled
