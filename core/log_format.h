// The write-ahead log's record format. Tests, `unbundled dump` and any other
// tool read these bytes, so this format is pinned: change it only as the
// project's issues say. The same grammar is in README.md ("The log as bytes").
//
//   log      := record*
//   record   := checksum:u32le  length:u32le  type:u8  lsn:u64le  payload[length]
//   checksum := masked CRC-32C over type, lsn and payload
//               (mask as LevelDB: rotate right 15 bits, add 0xa282ead8)
//   type     := 1 put | 2 delete
//             | 3 put with request id | 4 delete with request id
//   payload  := entry                                      (types 1, 2)
//             | request_id_len:u32le  request_id[request_id_len]  entry
//                                                          (types 3, 4)
//   entry    := key_len:u32le  key[key_len]  [value]
//   value    := the compact JSON text the engine prints for the document
//               (put only; a delete's payload ends after the key)
//   request_id := the client's end-to-end request id, 1..kMaxRequestIdBytes
//               bytes of UTF-8 (types 3 and 4 only; a write without one is
//               type 1 or 2, byte for byte as before)
//
// All integers are little-endian. Records are packed back to back with no
// padding or blocks: the byte after a record is the next record's checksum.
#ifndef UNBUNDLED_CORE_LOG_FORMAT_H_
#define UNBUNDLED_CORE_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace unbundled {
namespace log {

enum RecordType : std::uint8_t {
  kPutType = 1,
  kDeleteType = 2,
  kPutWithRequestIdType = 3,
  kDeleteWithRequestIdType = 4,
};
constexpr std::uint8_t kMaxRecordType = kDeleteWithRequestIdType;

// True for the types whose payload starts with a request id (3 and 4).
constexpr bool HasRequestId(std::uint8_t type) {
  return type == kPutWithRequestIdType || type == kDeleteWithRequestIdType;
}

// Byte offsets of the header fields within a record.
constexpr std::size_t kChecksumOffset = 0;
constexpr std::size_t kLengthOffset = 4;
constexpr std::size_t kTypeOffset = 8;
constexpr std::size_t kLsnOffset = 9;
// checksum (4) + length (4) + type (1) + lsn (8)
constexpr std::size_t kHeaderSize = 4 + 4 + 1 + 8;

// payload := [request_id_len (4) + request_id] + key_len (4) + key + value
constexpr std::size_t kRequestIdLengthSize = 4;
constexpr std::size_t kKeyLengthSize = 4;
// The longest payload the engine can write (a type 3 record with the
// longest request id, key and value). A header claiming more, or less than
// kKeyLengthSize, is corrupt, never a torn tail.
constexpr std::size_t kMaxPayloadSize =
    kRequestIdLengthSize + kMaxRequestIdBytes + kKeyLengthSize + kMaxKeyBytes + kMaxValueBytes;

}  // namespace log
}  // namespace unbundled

#endif  // UNBUNDLED_CORE_LOG_FORMAT_H_
