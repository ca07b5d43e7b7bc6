#include "core/storage.h"

#include <utility>

namespace unbundled {

const StoredRow* Storage::Find(const std::string& key) const {
  return rows_.find(key);
}

void Storage::Apply(const std::string& key, DocRef doc, std::uint32_t record, Lsn lsn) {
  if (doc) {
    StoredRow& row = rows_[key];
    row.doc = std::move(doc);
    row.record = record;
    row.lsn = lsn;
  } else {
    rows_.erase(key);
  }
  lsn_ = lsn;
}

std::map<std::string, Document> Storage::Contents() const {
  std::map<std::string, Document> contents;
  for (const auto& [key, row] : rows_) contents.emplace(key, row.doc->ToJson());
  return contents;
}

}  // namespace unbundled
