#include "core/storage.h"

#include <utility>

namespace unbundled {

const Document* Storage::Get(const std::string& key) const {
  auto it = rows_.find(key);
  return it == rows_.end() ? nullptr : &it->second;
}

void Storage::Apply(const LogEntry& entry) {
  if (entry.op == LogOp::kPut) {
    rows_[entry.key] = entry.value;
  } else {
    rows_.erase(entry.key);
  }
  lsn_ = entry.lsn;
}

void Storage::Apply(LogEntry&& entry) {
  if (entry.op == LogOp::kPut) {
    rows_[entry.key] = std::move(entry.value);
  } else {
    rows_.erase(entry.key);
  }
  lsn_ = entry.lsn;
}

}  // namespace unbundled
