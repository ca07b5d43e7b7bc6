#include "core/change_stream.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "core/json_reader.h"
#include "core/log_format.h"
#include "core/log_reader.h"

namespace unbundled {

void ChangeStream::Append(std::size_t record) {
  assert(records_.empty() || wal_->records()[record].lsn > LsnAt(records_.size() - 1));
  records_.push_back(static_cast<std::uint32_t>(record));
}

void ChangeStream::Cache(std::size_t record, const DocRef& doc, const SharedKey& key) const {
  if (cache_.empty()) cache_.resize(kCacheSize);
  Slot& slot = cache_[record % kCacheSize];
  if (slot.record != record) slot.key = SharedKey();
  slot.record = record;
  slot.doc = doc;
  if (!key.empty()) slot.key = key;
}

void ChangeStream::ClearCache() const {
  cache_.clear();
}

DocRef ChangeStream::DocumentOf(std::size_t record) const {
  if (const Slot* slot = Cached(record)) return slot->doc;
  const RecordInfo& info = wal_->records()[record];
  if (info.op != LogOp::kPut) return nullptr;
  std::string scratch;
  log::PayloadParts parts;
  if (!wal_->ReadVerifiedParts(info, &parts, &scratch)) return nullptr;
  // A value the engine wrote is in the stored form, and is the document's
  // text as it is: parsing it into a JSON value and writing it out again
  // (which the other branch does, for a log from elsewhere) was half of a
  // flush after a bulk step, and of a verify.
  DocRef doc;
  if (IsStoredForm(parts.value)) {
    doc = MakeDocFromText(parts.value);
  } else {
    LogEntry entry;
    std::string why;
    if (!log::EntryFromParts(parts, &entry, &why)) return nullptr;
    doc = MakeDoc(entry.value);
  }
  Cache(record, doc, SharedKey());
  return doc;
}

bool ChangeStream::KeyOfRecord(std::size_t record, SharedKey* key) const {
  // The key as the writer cached it, else read from the record's bytes as
  // the process reads them.
  const Slot* slot = Cached(record);
  if (slot != nullptr && !slot->key.empty()) {
    if (key != nullptr) *key = slot->key;
    return true;
  }
  std::string scratch;
  std::string_view bytes;
  if (!log::KeyOf(wal_->Bytes(wal_->records()[record], &scratch), &bytes)) return false;
  if (key != nullptr) *key = SharedKey(bytes);
  return true;
}

bool ChangeStream::HasDocument(std::size_t record) const {
  if (const Slot* slot = Cached(record)) return slot->doc != nullptr;
  const RecordInfo& info = wal_->records()[record];
  if (info.op != LogOp::kPut) return false;
  // Every record in the log's index was well formed, its value a document,
  // as it entered: written by a put (a document, or text checked as one),
  // or read back by a recovery, whose reader refuses a record that does not
  // decode or a value that does not parse as it refuses a bad checksum.
  // Bytes that verify are those bytes, so only the checksum is asked here,
  // and DocumentOf would read a document (view_test checks the two agree).
  // Decoding the record and reading the value's JSON again were 52% of the
  // first view after a crash at 100,000 entries.
  return wal_->Verifies(info);
}

bool ChangeStream::HasDocument(std::size_t record, std::vector<bool>* found) const {
  if ((*found)[record]) return true;
  if (!HasDocument(record)) return false;
  (*found)[record] = true;
  return true;
}

bool ChangeStream::Readable(std::size_t i, std::vector<bool>* found) const {
  // Event(i)'s checks, in its order, with nothing built.
  const std::size_t record = records_[i];
  const RecordInfo& info = wal_->records()[record];
  if (found->size() < wal_->records().size()) found->resize(wal_->records().size());
  if (!KeyOfRecord(record, nullptr)) return false;
  if (info.prev != kNoRecord && wal_->records()[info.prev].op == LogOp::kPut &&
      !HasDocument(info.prev, found)) {
    return false;
  }
  return info.op != LogOp::kPut || HasDocument(record, found);
}

bool ChangeStream::EventWithoutBefore(std::size_t i, ChangeEvent* event,
                                      std::vector<bool>* found) const {
  const std::size_t record = records_[i];
  const RecordInfo& info = wal_->records()[record];
  if (found->size() < wal_->records().size()) found->resize(wal_->records().size());
  if (!KeyOfRecord(record, &event->key)) return false;
  event->lsn = info.lsn;
  event->before = nullptr;
  event->after = nullptr;
  bool before = false;
  if (info.prev != kNoRecord && wal_->records()[info.prev].op == LogOp::kPut) {
    if (!HasDocument(info.prev, found)) return false;
    before = true;
  } else if (info.prev == kNoRecord) {
    before = befores_.find(info.lsn) != nullptr;
  }
  if (info.op == LogOp::kPut) {
    event->after = DocumentOf(record);
    if (!event->after) return false;
    (*found)[record] = true;
    event->op = before ? ChangeOp::kUpdate : ChangeOp::kCreate;
  } else {
    event->op = ChangeOp::kDelete;
  }
  return true;
}

bool ChangeStream::Event(std::size_t i, ChangeEvent* event) const {
  const std::size_t record = records_[i];
  const RecordInfo& info = wal_->records()[record];
  if (!KeyOfRecord(record, &event->key)) return false;
  event->lsn = info.lsn;
  event->before = nullptr;
  event->after = nullptr;
  if (info.prev != kNoRecord && wal_->records()[info.prev].op == LogOp::kPut) {
    event->before = DocumentOf(info.prev);
    if (!event->before) return false;
  } else if (info.prev == kNoRecord) {
    if (const DocRef* kept = befores_.find(info.lsn)) event->before = *kept;
  }
  if (info.op == LogOp::kPut) {
    event->after = DocumentOf(record);
    if (!event->after) return false;
    event->op = event->before ? ChangeOp::kUpdate : ChangeOp::kCreate;
  } else {
    event->op = ChangeOp::kDelete;
  }
  return true;
}

void ChangeStream::Remap(const std::vector<std::uint32_t>& map) {
  std::vector<std::uint32_t> kept;
  kept.reserve(records_.size());
  for (std::uint32_t r : records_) {
    if (map[r] != kNoRecord) kept.push_back(map[r]);
  }
  records_ = SharedVector<std::uint32_t>(std::move(kept));
  ClearCache();
}

std::size_t ChangeStream::FirstAfter(Lsn position) const {
  const std::size_t n = records_.size();
  if (n == 0 || position < LsnAt(0)) return 0;
  if (position >= LsnAt(n - 1)) return n;
  // A guess that holds while LSNs are dense; verified before it is trusted.
  const Lsn guess = position - LsnAt(0) + 1;
  if (guess < n && LsnAt(guess - 1) <= position && LsnAt(guess) > position) {
    return static_cast<std::size_t>(guess);
  }
  std::size_t lo = 0, hi = n;  // first index with lsn > position
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (LsnAt(mid) <= position) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace unbundled
