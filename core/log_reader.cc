#include "core/log_reader.h"

#include <utility>

#include "core/crc32c.h"
#include "core/json_reader.h"
#include "core/log_format.h"
#include "core/status.h"

namespace unbundled {
namespace log {

std::uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(u[0]) | (static_cast<std::uint32_t>(u[1]) << 8) |
         (static_cast<std::uint32_t>(u[2]) << 16) | (static_cast<std::uint32_t>(u[3]) << 24);
}

std::uint64_t DecodeFixed64(const char* p) {
  return static_cast<std::uint64_t>(DecodeFixed32(p)) |
         (static_cast<std::uint64_t>(DecodeFixed32(p + 4)) << 32);
}

bool SplitPayload(std::uint8_t type, std::string_view payload, PayloadParts* parts,
                  std::string* why) {
  std::string_view request_id;
  if (HasRequestId(type)) {
    if (payload.size() < kRequestIdLengthSize) {
      *why = "payload shorter than its request id length field";
      return false;
    }
    const std::uint32_t id_len = DecodeFixed32(payload.data());
    if (id_len == 0) {
      *why = "request id length 0 (a record without a request id is type 1 or 2)";
      return false;
    }
    if (id_len > kMaxRequestIdBytes) {
      *why = "request id length " + std::to_string(id_len) + " is more than " +
             std::to_string(kMaxRequestIdBytes);
      return false;
    }
    if (id_len > payload.size() - kRequestIdLengthSize) {
      *why = "request id length " + std::to_string(id_len) + " runs past the payload";
      return false;
    }
    request_id = payload.substr(kRequestIdLengthSize, id_len);
    if (!IsValidUtf8(request_id)) {
      *why = "request id is not valid UTF-8";
      return false;
    }
    payload.remove_prefix(kRequestIdLengthSize + id_len);
  }
  if (payload.size() < kKeyLengthSize) {
    *why = "payload shorter than its key length field";
    return false;
  }
  const std::uint32_t key_len = DecodeFixed32(payload.data());
  if (key_len > payload.size() - kKeyLengthSize) {
    *why = "key length " + std::to_string(key_len) + " runs past the payload";
    return false;
  }
  const std::string_view key = payload.substr(kKeyLengthSize, key_len);
  Status s = ValidateKey(key, "key");
  if (!s.ok()) {
    *why = "bad key (" + s.message() + ")";
    return false;
  }
  const std::string_view value = payload.substr(kKeyLengthSize + key_len);
  const bool is_delete = type == kDeleteType || type == kDeleteWithRequestIdType;
  if (is_delete && !value.empty()) {
    *why = "a delete carries a value";
    return false;
  }
  parts->op = is_delete ? LogOp::kDelete : LogOp::kPut;
  parts->key = key;
  parts->request_id = request_id;
  parts->value = value;
  return true;
}

namespace {

// The entry's op, key and request id from the parts (its value is the
// caller's to set).
void NamesFromParts(const PayloadParts& parts, LogEntry* entry) {
  entry->op = parts.op;
  entry->key.assign(parts.key);
  entry->request_id.assign(parts.request_id);
}

}  // namespace

bool EntryFromParts(const PayloadParts& parts, LogEntry* entry, std::string* why) {
  Document value = nullptr;
  if (parts.op == LogOp::kPut) {
    // Parsed from a std::string, the input type the rest of the engine
    // parses, so the wasm module carries one instantiation of the parser.
    value = Document::parse(std::string(parts.value), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object()) {
      *why = "value is not a JSON object";
      return false;
    }
  }
  NamesFromParts(parts, entry);
  entry->value = std::move(value);
  return true;
}

bool DecodePayload(std::uint8_t type, std::string_view payload, LogEntry* entry,
                   std::string* why) {
  PayloadParts parts;
  return SplitPayload(type, payload, &parts, why) && EntryFromParts(parts, entry, why);
}

bool KeyOf(std::string_view record, std::string_view* key) {
  if (record.size() < kHeaderSize) return false;
  std::string_view rest = record.substr(kHeaderSize);
  if (HasRequestId(static_cast<std::uint8_t>(record[kTypeOffset]))) {
    if (rest.size() < kRequestIdLengthSize) return false;
    const std::uint32_t id_len = DecodeFixed32(rest.data());
    if (id_len > rest.size() - kRequestIdLengthSize) return false;
    rest.remove_prefix(kRequestIdLengthSize + id_len);
  }
  if (rest.size() < kKeyLengthSize) return false;
  const std::uint32_t key_len = DecodeFixed32(rest.data());
  if (key_len > rest.size() - kKeyLengthSize) return false;
  *key = rest.substr(kKeyLengthSize, key_len);
  return true;
}

Reader::Reader(LogBytes data, Reporter reporter, bool skip_corruption)
    : data_(data), reporter_(std::move(reporter)), skip_corruption_(skip_corruption) {}

void Reader::Report(const Problem& problem) const {
  if (reporter_) reporter_(problem);
}

Reader::Outcome Reader::Parse(std::size_t offset, Record* record, std::string* reason,
                              std::optional<Lsn>* claimed_lsn) const {
  const std::size_t left = data_.size() - offset;
  if (left < kHeaderSize) return Outcome::kTornTail;
  const char* p = data_.View(offset, kHeaderSize, &scratch_).data();
  const std::uint32_t length = DecodeFixed32(p + kLengthOffset);
  const std::uint8_t type = static_cast<std::uint8_t>(p[kTypeOffset]);
  const Lsn lsn = DecodeFixed64(p + kLsnOffset);
  *claimed_lsn = lsn;
  if (length < kKeyLengthSize || length > kMaxPayloadSize) {
    *reason = "impossible length " + std::to_string(length);
    return Outcome::kCorruption;
  }
  if (type == 0 || type > kMaxRecordType) {
    *reason = "bad record type " + std::to_string(type);
    return Outcome::kCorruption;
  }
  if (kHeaderSize + length > left) return Outcome::kTornTail;
  p = data_.View(offset, kHeaderSize + length, &scratch_).data();
  const std::uint32_t stored = DecodeFixed32(p + kChecksumOffset);
  const std::uint32_t actual = crc32c::Value(p + kTypeOffset, 1 + 8 + length);
  if (crc32c::Unmask(stored) != actual) {
    *reason = "checksum mismatch";
    return Outcome::kCorruption;
  }
  if (lsn == 0 || lsn <= last_lsn_) {
    *reason = "LSN " + std::to_string(lsn) + " does not follow LSN " + std::to_string(last_lsn_);
    return Outcome::kCorruption;
  }
  std::string why;
  record->entry = LogEntry();
  record->value_text.clear();
  PayloadParts parts;
  bool decoded = SplitPayload(type, std::string_view(p + kHeaderSize, length), &parts, &why);
  if (decoded && values_as_text_ && parts.op == LogOp::kPut && IsStoredForm(parts.value)) {
    // A JSON object, valid as a document: what the parse below checks.
    NamesFromParts(parts, &record->entry);
    record->value_text.assign(parts.value);
  } else if (decoded) {
    decoded = EntryFromParts(parts, &record->entry, &why);
  }
  if (!decoded) {
    *reason = "bad payload: " + why;
    return Outcome::kCorruption;
  }
  record->entry.lsn = lsn;
  record->offset = offset;
  record->size = kHeaderSize + length;
  record->checksum = stored;
  return Outcome::kRecord;
}

bool Reader::ReadRecord(Record* record) {
  while (!done_ && offset_ < data_.size()) {
    std::string reason;
    std::optional<Lsn> lsn;
    switch (Parse(offset_, record, &reason, &lsn)) {
      case Outcome::kRecord:
        offset_ += record->size;
        end_of_last_ = offset_;
        last_lsn_ = record->entry.lsn;
        return true;
      case Outcome::kTornTail: {
        Problem torn{offset_, data_.size() - offset_, true, std::nullopt, "torn tail"};
        if (data_.size() - offset_ >= kHeaderSize) torn.lsn = lsn;
        Report(torn);
        done_ = true;
        return false;
      }
      case Outcome::kCorruption: {
        std::size_t next = data_.size();
        if (skip_corruption_) {
          Record probe;
          std::string ignored;
          std::optional<Lsn> ignored_lsn;
          for (std::size_t q = offset_ + 1; q + kHeaderSize <= data_.size(); ++q) {
            if (Parse(q, &probe, &ignored, &ignored_lsn) == Outcome::kRecord) {
              next = q;
              break;
            }
          }
        }
        Report({offset_, next - offset_, false, lsn, reason});
        offset_ = next;
        if (!skip_corruption_) done_ = true;
        break;
      }
    }
  }
  return false;
}

}  // namespace log
}  // namespace unbundled
