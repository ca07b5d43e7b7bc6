#include "core/write_ahead_log.h"

#include <cassert>

#include <algorithm>
#include <utility>

#include "core/crc32c.h"
#include "core/log_format.h"

namespace unbundled {

const char* RecoveryModeName(RecoveryMode mode) {
  switch (mode) {
    case RecoveryMode::kPointInTime:
      return "point_in_time";
    case RecoveryMode::kAbsolute:
      return "absolute";
    case RecoveryMode::kSkip:
      return "skip";
  }
  return "?";
}

bool ParseRecoveryMode(const std::string& name, RecoveryMode* mode) {
  for (RecoveryMode m : {RecoveryMode::kPointInTime, RecoveryMode::kAbsolute, RecoveryMode::kSkip}) {
    if (name == RecoveryModeName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

std::size_t WriteAheadLog::Append(LogOp op, const std::string& key, std::string_view value_json,
                                  std::uint32_t prev, const std::string& request_id) {
  RecordInfo info;
  info.lsn = NextLsn();
  std::string record = log::EncodeRecord(op, info.lsn, key, value_json, request_id);
  info.size = static_cast<std::uint32_t>(record.size());
  info.op = op;
  info.prev = prev;
  info.offset = writer_.AddRecord(record);
  records_.push_back(info);
  return records_.size() - 1;
}

std::string_view WriteAheadLog::Bytes(const RecordInfo& record, std::string* scratch) const {
  const LogBytes bytes = file_.bytes();
  if (record.offset + record.size > bytes.size() || record.size < log::kHeaderSize) return {};
  std::string_view view = bytes.View(record.offset, record.size, scratch);
  auto it = buffered_.lower_bound(record.offset);
  if (it == buffered_.end() || it->first >= record.offset + record.size) return view;
  if (view.data() != scratch->data()) scratch->assign(view);
  for (; it != buffered_.end() && it->first < record.offset + record.size; ++it) {
    (*scratch)[it->first - record.offset] = it->second;
  }
  return *scratch;
}

namespace {

bool ChecksumMatches(std::string_view b) {
  if (b.empty()) return false;
  const std::uint32_t stored = log::DecodeFixed32(b.data() + log::kChecksumOffset);
  return crc32c::Unmask(stored) == crc32c::Value(b.data() + log::kTypeOffset, b.size() - log::kTypeOffset);
}

}  // namespace

bool WriteAheadLog::Verifies(const RecordInfo& record) const {
  std::string scratch;
  return ChecksumMatches(Bytes(record, &scratch));
}

bool WriteAheadLog::ReadVerifiedParts(const RecordInfo& record, log::PayloadParts* parts,
                                      std::string* scratch) const {
  std::string_view b = Bytes(record, scratch);
  if (!ChecksumMatches(b)) return false;
  std::string why;
  return log::SplitPayload(static_cast<std::uint8_t>(b[log::kTypeOffset]), b.substr(log::kHeaderSize),
                           parts, &why);
}

bool WriteAheadLog::ReadVerified(const RecordInfo& record, LogEntry* entry) const {
  std::string scratch, why;
  log::PayloadParts parts;
  if (!ReadVerifiedParts(record, &parts, &scratch) || !log::EntryFromParts(parts, entry, &why)) {
    return false;
  }
  entry->lsn = record.lsn;
  return true;
}

void WriteAheadLog::Rot(std::size_t offset) {
  buffered_.emplace(offset, file_.bytes()[offset]);  // keeps the first, written byte
  file_.FlipByte(offset);
}

void WriteAheadLog::Sync() {
  file_.Sync();
  durable_count_ = records_.size();
}

const RecordInfo* WriteAheadLog::Find(Lsn lsn) const {
  auto it = std::lower_bound(records_.begin(), records_.end(), lsn,
                             [](const RecordInfo& r, Lsn l) { return r.lsn < l; });
  return it != records_.end() && it->lsn == lsn ? &*it : nullptr;
}

bool WriteAheadLog::ReadParts(const RecordInfo& record, log::PayloadParts* parts,
                              std::string* scratch, std::string* why) const {
  const LogBytes bytes = file_.bytes();
  if (record.offset + record.size > bytes.size() || record.size < log::kHeaderSize) {
    *why = "record is not in the file";
    return false;
  }
  const char* p = bytes.View(record.offset, record.size, scratch).data();
  return log::SplitPayload(static_cast<std::uint8_t>(p[log::kTypeOffset]),
                           std::string_view(p + log::kHeaderSize, record.size - log::kHeaderSize),
                           parts, why);
}

bool WriteAheadLog::Read(const RecordInfo& record, LogEntry* entry, std::string* why) const {
  std::string scratch;
  log::PayloadParts parts;
  if (!ReadParts(record, &parts, &scratch, why) || !log::EntryFromParts(parts, entry, why)) {
    return false;
  }
  entry->lsn = record.lsn;
  return true;
}

std::vector<LogEntry> WriteAheadLog::DecodeAll() const {
  std::vector<LogEntry> entries;
  entries.reserve(records_.size());
  for (const auto& r : records_) {
    LogEntry entry;
    std::string why;
    if (Read(r, &entry, &why)) entries.push_back(std::move(entry));
  }
  return entries;
}

WriteAheadLog::RecoveryRead::RecoveryRead(const WriteAheadLog& wal, bool skip_corruption)
    : reader_(wal.file_.bytes(), [this](const log::Problem& p) {
        report.problems.push_back(p);
        report.discarded_bytes += p.bytes;
      }, skip_corruption) {
  reader_.KeepValuesAsText();
  // As many as the index holds (a recovery reads back at most those): one
  // allocation, not a vector grown and moved part after part.
  records.reserve(wal.records_.size());
}

bool WriteAheadLog::RecoveryRead::Read(std::size_t most) {
  log::Record record;
  for (std::size_t n = 0; !done_ && n < most; ++n) {
    if (reader_.ReadRecord(&record)) {
      records.push_back(std::move(record));
    } else {
      done_ = true;
    }
  }
  return done_;
}

Status WriteAheadLog::CheckRecovered(RecoveryMode mode, const ReadReport& report) {
  if (mode != RecoveryMode::kAbsolute) return Status::OK();
  for (const auto& p : report.problems) {
    if (p.torn_tail) continue;
    return Status::Invalid(
        "recovery", "corrupt record at byte offset " + std::to_string(p.offset) +
                        (p.lsn ? " (claims LSN " + std::to_string(*p.lsn) + ")" : "") + ": " +
                        p.reason +
                        "; absolute recovery refuses to open the log (recover with "
                        "\"point_in_time\" or \"skip\" to accept losing it)");
  }
  return Status::OK();
}

Status WriteAheadLog::Recover(RecoveryMode mode, std::vector<log::Record>* records,
                              ReadReport* report) {
  RecoveryRead read(*this, mode == RecoveryMode::kSkip);
  read.Read(SIZE_MAX);
  Status s = CheckRecovered(mode, read.report);
  if (!s.ok()) return s;
  InstallRecovered(PlanRecovery(read.records, read.report));
  *records = std::move(read.records);
  *report = std::move(read.report);
  return Status::OK();
}

WriteAheadLog::RecoveryPlan WriteAheadLog::PlanRecovery(const std::vector<log::Record>& good,
                                                         const ReadReport& found) const {
  // Acknowledgement travels with the record: look it up in the old index,
  // walking it beside the records read back (both are in LSN order; a
  // binary search for each record was a fifth of a recovery).
  std::size_t old = 0;
  auto acknowledged = [this, &old](Lsn lsn) {
    while (old < records_.size() && records_[old].lsn < lsn) ++old;
    return old == records_.size() || records_[old].lsn != lsn || records_[old].acknowledged;
  };
  RecoveryPlan plan;
  for (const auto& p : found.problems) {
    // Corrupt bytes between good records.
    if (!p.torn_tail && p.offset + p.bytes < file_.size()) plan.rewrite = true;
  }
  if (plan.rewrite) {
    // Skipped corruption: keep only the good records, back to back.
    for (const auto& r : good) {
      plan.index.push_back({r.entry.lsn, plan.bytes.size(), static_cast<std::uint32_t>(r.size),
                            kNoRecord, r.entry.op, acknowledged(r.entry.lsn)});
      file_.bytes().AppendTo(r.offset, r.size, &plan.bytes);
    }
  } else {
    for (const auto& r : good) {
      plan.index.push_back({r.entry.lsn, r.offset, static_cast<std::uint32_t>(r.size), kNoRecord,
                            r.entry.op, acknowledged(r.entry.lsn)});
    }
    plan.end = good.empty() ? 0 : good.back().offset + good.back().size;
  }
  return plan;
}

void WriteAheadLog::InstallRecovered(RecoveryPlan plan) {
  if (plan.rewrite) {
    file_.Rewrite(std::move(plan.bytes));
  } else {
    file_.Truncate(plan.end);
  }
  records_ = std::move(plan.index);
  buffered_.clear();
  // What recovery read back is made durable before the database opens, as
  // PostgreSQL fsyncs its data directory when crash recovery starts: bytes
  // that were only in the OS cache after a process crash are synced now.
  file_.Sync();
  durable_count_ = records_.size();
}

void WriteAheadLog::SetIndex(SharedVector<RecordInfo> index) {
  assert(index.size() == records_.size());
  records_ = std::move(index);
}

WriteAheadLog::Removal::Removal(const WriteAheadLog& wal)
    : wal_(&wal), map_(wal.records_.size(), kNoRecord), removed_high_(wal.removed_high_) {
  kept_.reserve(wal.records_.size());
  bytes_.reserve(wal.file_.size());
}

void WriteAheadLog::Removal::Take(bool remove) {
  const std::size_t i = next_++;
  const RecordInfo& r = wal_->records_[i];
  if (remove) {
    removed_high_ = std::max(removed_high_, r.lsn);
    removed_bytes_ += r.size;
    end_ = r.offset + r.size;
    return;
  }
  // Bytes between records (none while the database is up) stay with the
  // record after them.
  wal_->file_.bytes().AppendTo(end_, r.offset + r.size - end_, &bytes_);
  for (auto it = wal_->buffered_.lower_bound(r.offset);
       it != wal_->buffered_.end() && it->first < r.offset + r.size; ++it) {
    buffered_.emplace(it->first - removed_bytes_, it->second);
  }
  RecordInfo moved = r;
  moved.offset = r.offset - removed_bytes_;
  map_[i] = static_cast<std::uint32_t>(kept_.size());
  kept_.push_back(moved);
  if (i < wal_->durable_count_) ++kept_durable_;
  end_ = r.offset + r.size;
}

std::vector<std::uint32_t> WriteAheadLog::InstallRemoval(Removal removal) {
  assert(removal.wal_ == this && removal.done());
  if (removal.end_ < file_.size()) {
    file_.bytes().AppendTo(removal.end_, file_.size() - removal.end_, &removal.bytes_);
  }
  for (auto& r : removal.kept_) r.prev = r.prev == kNoRecord ? kNoRecord : removal.map_[r.prev];
  const std::size_t synced = file_.synced() - removal.removed_bytes_;
  file_.Rewrite(std::move(removal.bytes_), synced);
  records_ = SharedVector<RecordInfo>(std::move(removal.kept_));
  buffered_ = std::move(removal.buffered_);
  durable_count_ = removal.kept_durable_;
  removed_high_ = removal.removed_high_;
  return std::move(removal.map_);
}

void WriteAheadLog::Load(std::string bytes) {
  file_.Rewrite(std::move(bytes));
  removed_high_ = 0;
  start_lsn_ = 1;
  records_.clear();
  buffered_.clear();
  durable_count_ = 0;
}

}  // namespace unbundled
