#include "core/storage.h"

#include <utility>

namespace unbundled {

const StoredRow* Storage::Find(const std::string& key) const {
  return rows_.find(key);
}

bool Storage::Apply(const std::string& key, DocRef doc, std::uint32_t record, Lsn lsn,
                    StoredRow* old) {
  bool had;
  if (doc) {
    bool inserted;
    StoredRow& row = rows_.Upsert(key, &inserted);
    had = !inserted;
    if (had && old != nullptr) *old = std::move(row);
    row.doc = std::move(doc);
    row.record = record;
    row.lsn = lsn;
  } else {
    const StoredRow* row = rows_.find(key);
    had = row != nullptr;
    if (had && old != nullptr) *old = *row;
    rows_.erase(key);
  }
  lsn_ = lsn;
  return had;
}

std::map<std::string, Document> Storage::Contents() const {
  std::map<std::string, Document> contents;
  for (const auto& [key, row] : rows_) contents.emplace(key, row.doc->ToJson());
  return contents;
}

}  // namespace unbundled
