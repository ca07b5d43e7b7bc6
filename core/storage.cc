#include "core/storage.h"

#include <utility>

namespace unbundled {

const StoredRow* Storage::Find(std::string_view key) const {
  return rows_.find(key);
}

bool Storage::Apply(std::string_view key, DocRef doc, std::uint32_t record, Lsn lsn,
                    StoredRow* old, SharedKey* shared) {
  bool had;
  if (doc) {
    bool inserted;
    const SharedKey* held = nullptr;
    StoredRow& row = rows_.Upsert(key, &inserted, &held);
    had = !inserted;
    if (had && old != nullptr) *old = std::move(row);
    row.doc = std::move(doc);
    row.record = record;
    row.lsn = lsn;
    if (shared != nullptr) *shared = *held;
  } else {
    auto it = rows_.lower_bound(key);
    had = it != rows_.end() && it.key() == key;
    if (had && old != nullptr) *old = it.value();
    if (shared != nullptr) *shared = had ? it.key() : SharedKey(key);
    if (had) rows_.erase(key);
  }
  lsn_ = lsn;
  return had;
}

std::map<std::string, Document> Storage::Contents() const {
  std::map<std::string, Document> contents;
  for (const auto& [key, row] : rows_) contents.emplace(key.str(), row.doc->ToJson());
  return contents;
}

}  // namespace unbundled
