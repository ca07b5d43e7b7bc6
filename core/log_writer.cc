#include "core/log_writer.h"

#include "core/crc32c.h"
#include "core/log_format.h"

namespace unbundled {
namespace log {

namespace {

void PutFixed32(char* dst, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

void PutFixed64(char* dst, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

std::size_t RecordSize(std::string_view key, std::string_view value_json,
                       std::string_view request_id) {
  return kHeaderSize + (request_id.empty() ? 0 : kRequestIdLengthSize + request_id.size()) +
         kKeyLengthSize + key.size() + value_json.size();
}

std::string EncodeRecord(LogOp op, Lsn lsn, const std::string& key, std::string_view value_json,
                         const std::string& request_id) {
  const bool put = op == LogOp::kPut;
  const bool with_id = !request_id.empty();
  const std::size_t id_part = with_id ? kRequestIdLengthSize + request_id.size() : 0;
  const std::size_t length = id_part + kKeyLengthSize + key.size() + (put ? value_json.size() : 0);
  std::string record(kHeaderSize + length, '\0');
  char* p = record.data();
  PutFixed32(p + kLengthOffset, static_cast<std::uint32_t>(length));
  const RecordType type = with_id ? (put ? kPutWithRequestIdType : kDeleteWithRequestIdType)
                                  : (put ? kPutType : kDeleteType);
  p[kTypeOffset] = static_cast<char>(type);
  PutFixed64(p + kLsnOffset, lsn);
  char* payload = p + kHeaderSize;
  if (with_id) {
    PutFixed32(payload, static_cast<std::uint32_t>(request_id.size()));
    request_id.copy(payload + kRequestIdLengthSize, request_id.size());
    payload += id_part;
  }
  PutFixed32(payload, static_cast<std::uint32_t>(key.size()));
  key.copy(payload + kKeyLengthSize, key.size());
  if (put) value_json.copy(payload + kKeyLengthSize + key.size(), value_json.size());
  // The checksum covers type, lsn and payload: everything after the length.
  std::uint32_t crc = crc32c::Value(p + kTypeOffset, record.size() - kTypeOffset);
  PutFixed32(p + kChecksumOffset, crc32c::Mask(crc));
  return record;
}

std::size_t Writer::AddRecord(const std::string& record) {
  std::size_t offset = dest_->size();
  dest_->Append(record);
  return offset;
}

}  // namespace log
}  // namespace unbundled
