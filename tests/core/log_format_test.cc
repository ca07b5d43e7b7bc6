// The log as bytes: CRC-32C, the record format, the reader's reports, and
// recovery from torn and corrupt files. Corruption tests change real bytes
// with tiny helpers, in the manner of LevelDB's log_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/engine.h"
#include "core/json_reader.h"
#include "core/log_file.h"
#include "core/shared_vector.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "core/log_writer.h"
#include "tests/core/replay.h"

namespace unbundled {
namespace {

// ---------------------------------------------------------------- CRC-32C

TEST(Crc32c, StandardTestVectorsFromRfc3720) {
  char buf[32];
  std::memset(buf, 0, sizeof buf);
  EXPECT_EQ(crc32c::Value(buf, sizeof buf), 0x8a9136aau);
  std::memset(buf, 0xff, sizeof buf);
  EXPECT_EQ(crc32c::Value(buf, sizeof buf), 0x62a8ab43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(crc32c::Value(buf, sizeof buf), 0x46dd794eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(crc32c::Value(buf, sizeof buf), 0x113fdb5cu);
  // An iSCSI SCSI read (10) command PDU.
  const unsigned char read_cmd[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(crc32c::Value(reinterpret_cast<const char*>(read_cmd), sizeof read_cmd), 0xd9963a56u);
  EXPECT_EQ(crc32c::Value("123456789", 9), 0xe3069283u);
}

TEST(Crc32c, ExtendEqualsTheWholeValue) {
  EXPECT_EQ(crc32c::Value("hello world", 11), crc32c::Extend(crc32c::Value("hello ", 6), "world", 5));
}

TEST(Crc32c, MaskIsReversibleAndChangesTheValue) {
  const std::uint32_t crc = crc32c::Value("foo", 3);
  EXPECT_NE(crc, crc32c::Mask(crc));
  EXPECT_NE(crc, crc32c::Mask(crc32c::Mask(crc)));
  EXPECT_EQ(crc, crc32c::Unmask(crc32c::Mask(crc)));
  EXPECT_EQ(crc, crc32c::Unmask(crc32c::Unmask(crc32c::Mask(crc32c::Mask(crc)))));
}

// ---------------------------------------------------------------- format

TEST(LogFormat, ARecordIsItsHeaderThenItsPayloadByteForByte) {
  const std::string r = log::EncodeRecord(LogOp::kPut, 0x0102030405060708ull, "u1", R"({"a":1})");
  ASSERT_EQ(r.size(), log::kHeaderSize + 4 + 2 + 7);
  EXPECT_EQ(log::DecodeFixed32(r.data() + log::kLengthOffset), 4u + 2 + 7);
  EXPECT_EQ(r[log::kTypeOffset], 1);
  EXPECT_EQ(std::string(r.data() + log::kLsnOffset, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(r.substr(log::kHeaderSize), std::string("\x02\x00\x00\x00u1{\"a\":1}", 13));
  // The checksum covers type, LSN and payload: everything after the length.
  const std::uint32_t expected = crc32c::Mask(crc32c::Value(r.data() + 8, r.size() - 8));
  EXPECT_EQ(log::DecodeFixed32(r.data()), expected);
}

TEST(LogFormat, ADeleteCarriesOnlyItsKey) {
  const std::string r = log::EncodeRecord(LogOp::kDelete, 9, "u1", "ignored");
  EXPECT_EQ(r.size(), log::kHeaderSize + 4 + 2);
  EXPECT_EQ(r[log::kTypeOffset], 2);
}

// Bytes from string literal parts (each may hold NULs: its size is given).
std::string Cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}
std::string Raw(const char* s, std::size_t n) { return std::string(s, n); }

// The record layouts written out by hand, checksums included (masked
// CRC-32C computed independently of core/crc32c).
TEST(LogFormat, TypesOneAndTwoAreUnchangedByteForByte) {
  const std::string put = Cat({Raw("\x74\xb7\xb4\x4d", 4),                  // checksum
                               Raw("\x0d\x00\x00\x00", 4),                  // length 13
                               Raw("\x01", 1),                              // type 1
                               Raw("\x05\x00\x00\x00\x00\x00\x00\x00", 8),  // lsn 5
                               Raw("\x02\x00\x00\x00", 4), "u1",            // key
                               R"({"a":1})"});
  const std::string del = Cat({Raw("\x0b\x20\xd8\x62", 4), Raw("\x06\x00\x00\x00", 4), Raw("\x02", 1),
                               Raw("\x06\x00\x00\x00\x00\x00\x00\x00", 8), Raw("\x02\x00\x00\x00", 4),
                               "u1"});
  EXPECT_EQ(log::EncodeRecord(LogOp::kPut, 5, "u1", R"({"a":1})"), put);
  EXPECT_EQ(log::EncodeRecord(LogOp::kPut, 5, "u1", R"({"a":1})", ""), put);
  EXPECT_EQ(log::EncodeRecord(LogOp::kDelete, 6, "u1", "ignored"), del);
  EXPECT_EQ(log::EncodeRecord(LogOp::kDelete, 6, "u1", "", ""), del);
  // And so does the log, when a write has no request id.
  WriteAheadLog wal;
  wal.Append(LogOp::kPut, "u1", R"({"a":1})", kNoRecord);
  EXPECT_EQ(wal.file().bytes().str(), log::EncodeRecord(LogOp::kPut, 1, "u1", R"({"a":1})"));
}

TEST(LogFormat, APutWithARequestIdIsType3WithTheIdBeforeTheKey) {
  const std::string r = log::EncodeRecord(LogOp::kPut, 5, "u1", R"({"a":1})", "req-1");
  const std::string expected = Cat({Raw("\xe3\xc1\x12\x8e", 4),                  // checksum
                                    Raw("\x16\x00\x00\x00", 4),                  // length 22
                                    Raw("\x03", 1),                              // type 3
                                    Raw("\x05\x00\x00\x00\x00\x00\x00\x00", 8),  // lsn 5
                                    Raw("\x05\x00\x00\x00", 4), "req-1",         // request id
                                    Raw("\x02\x00\x00\x00", 4), "u1",            // key
                                    R"({"a":1})"});                              // value
  ASSERT_EQ(r.size(), log::kHeaderSize + 4 + 5 + 4 + 2 + 7);
  EXPECT_EQ(r, expected);
  EXPECT_EQ(log::DecodeFixed32(r.data()),
            crc32c::Mask(crc32c::Value(r.data() + log::kTypeOffset, r.size() - log::kTypeOffset)));
  EXPECT_EQ(log::RecordSize("u1", R"({"a":1})", "req-1"), r.size());

  LogEntry e;
  std::string why;
  ASSERT_TRUE(log::DecodePayload(r[log::kTypeOffset], std::string_view(r).substr(log::kHeaderSize),
                                 &e, &why)) << why;
  EXPECT_EQ(e.op, LogOp::kPut);
  EXPECT_EQ(e.key, "u1");
  EXPECT_EQ(e.value, (Json{{"a", 1}}));
  EXPECT_EQ(e.request_id, "req-1");
}

TEST(LogFormat, ADeleteWithARequestIdIsType4AndEndsAfterTheKey) {
  const std::string r = log::EncodeRecord(LogOp::kDelete, 6, "u1", "ignored", "req-2");
  const std::string expected = Cat({Raw("\xae\x6d\x00\x1b", 4),                  // checksum
                                    Raw("\x0f\x00\x00\x00", 4),                  // length 15
                                    Raw("\x04", 1),                              // type 4
                                    Raw("\x06\x00\x00\x00\x00\x00\x00\x00", 8),  // lsn 6
                                    Raw("\x05\x00\x00\x00", 4), "req-2",         // request id
                                    Raw("\x02\x00\x00\x00", 4), "u1"});          // key
  EXPECT_EQ(r, expected);
  EXPECT_EQ(log::RecordSize("u1", "", "req-2"), r.size());

  LogEntry e;
  std::string why;
  ASSERT_TRUE(log::DecodePayload(r[log::kTypeOffset], std::string_view(r).substr(log::kHeaderSize),
                                 &e, &why)) << why;
  EXPECT_EQ(e.op, LogOp::kDelete);
  EXPECT_EQ(e.key, "u1");
  EXPECT_TRUE(e.value.is_null());
  EXPECT_EQ(e.request_id, "req-2");
}

TEST(LogFormat, KeyOfFindsTheKeyAfterTheRequestId) {
  std::string_view key;
  const std::string plain = log::EncodeRecord(LogOp::kPut, 1, "u1", R"({"a":1})");
  ASSERT_TRUE(log::KeyOf(plain, &key));
  EXPECT_EQ(key, "u1");
  const std::string with_id = log::EncodeRecord(LogOp::kDelete, 1, "user-7", "", "req-1");
  ASSERT_TRUE(log::KeyOf(with_id, &key));
  EXPECT_EQ(key, "user-7");
  // Lengths that run past the bytes.
  EXPECT_FALSE(log::KeyOf(with_id.substr(0, with_id.size() - 1), &key));
  EXPECT_FALSE(log::KeyOf(with_id.substr(0, log::kHeaderSize + 2), &key));
  std::string bad = with_id;
  bad[log::kHeaderSize + 3] = '\x7f';  // request_id_len ~2 GB
  EXPECT_FALSE(log::KeyOf(bad, &key));
  EXPECT_FALSE(log::KeyOf("", &key));
}

TEST(LogFormat, RecordSizeIsTheSizeOfTheEncodedRecord) {
  for (const std::string rid : {std::string(), std::string("r"), std::string(kMaxRequestIdBytes, 'x')}) {
    EXPECT_EQ(log::RecordSize("key", R"({"a":[1,2]})", rid),
              log::EncodeRecord(LogOp::kPut, 1, "key", R"({"a":[1,2]})", rid).size()) << rid;
    EXPECT_EQ(log::RecordSize("key", "", rid), log::EncodeRecord(LogOp::kDelete, 1, "key", "", rid).size())
        << rid;
  }
  EXPECT_EQ(log::RecordSize("u1", R"({"a":1})"), 30u);
}

TEST(LogFormat, TheLargestRecordTheEngineCanWriteReadsBack) {
  // The longest request id, key and value: exactly kMaxPayloadSize bytes.
  const std::string key(kMaxKeyBytes, 'k');
  const std::string value = R"({"v":")" + std::string(kMaxValueBytes - 8, 'x') + R"("})";
  ASSERT_EQ(value.size(), kMaxValueBytes);
  const std::string rid(kMaxRequestIdBytes, 'r');
  const std::string r = log::EncodeRecord(LogOp::kPut, 1, key, value, rid);
  EXPECT_EQ(r.size(), log::kHeaderSize + log::kMaxPayloadSize);
  log::Reader reader(r, [](const log::Problem& p) { ADD_FAILURE() << p.reason; }, false);
  log::Record rec;
  ASSERT_TRUE(reader.ReadRecord(&rec));
  EXPECT_EQ(rec.entry.request_id, rid);
  EXPECT_EQ(rec.entry.key, key);
}

// ---------------------------------------------------------------- reader

struct Read {
  std::vector<log::Record> records;
  std::vector<log::Problem> problems;
};

Read ReadAll(const std::string& bytes, bool skip) {
  Read out;
  log::Reader reader(bytes, [&out](const log::Problem& p) { out.problems.push_back(p); }, skip);
  log::Record r;
  while (reader.ReadRecord(&r)) out.records.push_back(r);
  return out;
}

// A small real log file: the bytes an engine wrote.
std::string SmallLog(int entries) {
  Engine engine;
  for (int i = 1; i <= entries; ++i) {
    WriteResult w;
    EXPECT_TRUE(engine.Put("k" + std::to_string(i % 3), {{"n", i}, {"s", "v" + std::to_string(i)}},
                           WriteOptions(), &w).ok());
  }
  bool deleted;
  ChangeEvent e;
  EXPECT_TRUE(engine.Delete("k1", &deleted, &e).ok());
  return engine.wal().file().bytes().str();
}

void IncrementByte(std::string* s, std::size_t offset, int delta) {
  (*s)[offset] = static_cast<char>((*s)[offset] + delta);
}
void SetByte(std::string* s, std::size_t offset, char value) { (*s)[offset] = value; }
void ShrinkSize(std::string* s, std::size_t bytes) { s->resize(s->size() - bytes); }
// Recomputes the checksum of the record at `offset` after its bytes changed.
void FixChecksum(std::string* s, std::size_t offset) {
  const std::size_t length = log::DecodeFixed32(s->data() + offset + log::kLengthOffset);
  const std::uint32_t crc =
      crc32c::Mask(crc32c::Value(s->data() + offset + log::kTypeOffset, 1 + 8 + length));
  for (int i = 0; i < 4; ++i) (*s)[offset + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
}

TEST(LogReader, ReadsBackEveryRecordTheEngineWrote) {
  const std::string bytes = SmallLog(5);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.records.size(), 6u);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.records[0].entry.lsn, 1u);
  EXPECT_EQ(r.records[0].entry.value, (Json{{"n", 1}, {"s", "v1"}}));
  EXPECT_EQ(r.records[5].entry.op, LogOp::kDelete);
  EXPECT_EQ(r.records[5].entry.key, "k1");
  EXPECT_EQ(r.records[5].offset + r.records[5].size, bytes.size());
}

TEST(LogReader, EmptyFileHasNoRecordsAndNoProblems) {
  Read r = ReadAll("", false);
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.problems.empty());
}

TEST(LogReader, TruncatedTrailingRecordIsATornTailNotCorruption) {
  std::string bytes = SmallLog(2);
  const std::size_t whole = bytes.size();
  ShrinkSize(&bytes, 3);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.records.size(), 2u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_TRUE(r.problems[0].torn_tail);
  EXPECT_EQ(r.problems[0].offset, r.records[1].offset + r.records[1].size);
  EXPECT_EQ(r.problems[0].bytes, bytes.size() - r.problems[0].offset);
  EXPECT_LT(bytes.size(), whole);
}

TEST(LogReader, AFileThatIsNotALogIsReportedAndYieldsNothing) {
  for (const std::string& junk : {std::string(R"({"title": "not a log", "steps": []})"),
                                  std::string(100, '\0'), std::string("x")}) {
    Read r = ReadAll(junk, false);
    EXPECT_TRUE(r.records.empty()) << junk;
    ASSERT_EQ(r.problems.size(), 1u) << junk;
    EXPECT_EQ(r.problems[0].offset, 0u);
    EXPECT_EQ(r.problems[0].bytes, junk.size());
  }
}

TEST(LogReader, ImpossibleLengthIsCorruption) {
  std::string bytes = SmallLog(2);
  SetByte(&bytes, log::kLengthOffset + 3, 0x7f);  // length ~2 GB, more than any payload
  Read r = ReadAll(bytes, false);
  EXPECT_TRUE(r.records.empty());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_FALSE(r.problems[0].torn_tail);
  EXPECT_EQ(r.problems[0].reason.rfind("impossible length", 0), 0u) << r.problems[0].reason;
}

TEST(LogReader, BadTypeIsCorruption) {
  std::string bytes = SmallLog(2);
  SetByte(&bytes, log::kTypeOffset, 7);
  FixChecksum(&bytes, 0);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].reason, "bad record type 7");
}

TEST(LogReader, ChecksumMismatchIsCorruptionWithItsOffsetAndClaimedLsn) {
  std::string bytes = SmallLog(3);
  Read good = ReadAll(bytes, false);
  const std::size_t second = good.records[1].offset;
  IncrementByte(&bytes, second + log::kHeaderSize + 5, 1);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.records.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].offset, second);
  EXPECT_EQ(r.problems[0].lsn, std::optional<Lsn>(2));
  EXPECT_EQ(r.problems[0].reason, "checksum mismatch");
  EXPECT_EQ(r.problems[0].bytes, bytes.size() - second);  // not skipping: the rest is dropped
}

TEST(LogReader, SkippingResumesAtTheNextValidRecord) {
  std::string bytes = SmallLog(3);
  Read good = ReadAll(bytes, false);
  IncrementByte(&bytes, good.records[1].offset + log::kHeaderSize + 5, 1);
  Read r = ReadAll(bytes, true);
  ASSERT_EQ(r.records.size(), good.records.size() - 1);
  EXPECT_EQ(r.records[1].entry.lsn, 3u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].bytes, good.records[1].size);
}

TEST(LogReader, AnLsnThatDoesNotIncreaseIsCorruption) {
  std::string bytes = SmallLog(2);
  Read good = ReadAll(bytes, false);
  const std::size_t second = good.records[1].offset;
  SetByte(&bytes, second + log::kLsnOffset, 1);  // LSN 2 -> 1
  FixChecksum(&bytes, second);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].reason, "LSN 1 does not follow LSN 1");
}

TEST(LogReader, APayloadThatDoesNotDecodeIsCorruptionEvenWithAGoodChecksum) {
  std::string bytes = SmallLog(1);
  SetByte(&bytes, log::kHeaderSize + 4 + 2, '[');  // the value's '{' becomes '['
  FixChecksum(&bytes, 0);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].reason, "bad payload: value is not a JSON object");
}

// A reader that keeps values as text reads and refuses exactly what a
// reader that parses them does: the same records (a stored-form value as
// its text, any other parsed), the same problems at the same offsets. Over
// values in every form, values that are not objects or not JSON, every
// record type, and every single byte of the file changed (checksums fixed
// up, so that the payload checks are reached too).
TEST(LogReader, KeepingValuesAsTextReadsAndRefusesExactlyWhatParsingThemDoes) {
  std::string base;
  Lsn lsn = 0;
  for (const char* value : {R"({"age":7,"name":"Ada"})", R"({ "name": "Ren\u00e9e" })", R"({"b":1,"a":2})",
                            R"({"x":1.5})", "[1,2]", R"({"a":)", "{}", R"("text")"}) {
    base += log::EncodeRecord(LogOp::kPut, ++lsn, "k" + std::to_string(lsn), value);
    base += log::EncodeRecord(LogOp::kPut, ++lsn, "r" + std::to_string(lsn), value, "req-" + std::to_string(lsn));
  }
  base += log::EncodeRecord(LogOp::kDelete, ++lsn, "k1", "");
  base += log::EncodeRecord(LogOp::kDelete, ++lsn, "k3", "", "req-d");
  const auto read = [](const std::string& bytes, bool as_text) {
    std::vector<std::string> out;
    log::Reader reader(bytes, [&out](const log::Problem& p) {
      out.push_back("problem " + std::to_string(p.offset) + " " + std::to_string(p.bytes) + " " +
                    p.reason);
    }, /*skip_corruption=*/true);
    if (as_text) reader.KeepValuesAsText();
    log::Record r;
    while (reader.ReadRecord(&r)) {
      if (as_text && !r.value_text.empty()) {
        EXPECT_TRUE(r.entry.value.is_null());
        EXPECT_TRUE(IsStoredForm(r.value_text)) << r.value_text;
      }
      EXPECT_TRUE(as_text || r.value_text.empty());
      const Json value = r.value_text.empty() ? r.entry.value : Json::parse(r.value_text);
      out.push_back(std::to_string(r.entry.lsn) + " " + std::to_string(static_cast<int>(r.entry.op)) +
                    " " + r.entry.key + " " + r.entry.request_id + " " + value.dump() + " " +
                    std::to_string(r.offset) + "+" + std::to_string(r.size));
    }
    return out;
  };
  const std::vector<std::string> whole = read(base, false);
  ASSERT_EQ(read(base, true), whole);
  std::size_t texts = 0;
  {
    log::Reader reader(base, nullptr, true);
    reader.KeepValuesAsText();
    log::Record r;
    while (reader.ReadRecord(&r)) texts += !r.value_text.empty();
  }
  // The two values in the stored form ({"age":7,"name":"Ada"} and {}), each
  // in a type 1 and a type 3 record; the others are parsed or refused.
  EXPECT_EQ(texts, 4u);
  // Every byte changed, with and without its record's checksum made good.
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at < base.size();) {
    starts.push_back(at);
    at += log::kHeaderSize + log::DecodeFixed32(base.data() + at + log::kLengthOffset);
  }
  for (std::size_t i = 0; i < base.size(); ++i) {
    std::string bytes = base;
    IncrementByte(&bytes, i, 1);
    ASSERT_EQ(read(bytes, true), read(bytes, false)) << "byte " << i;
    const std::size_t record = *std::prev(std::upper_bound(starts.begin(), starts.end(), i));
    if (i >= record + log::kHeaderSize) {
      FixChecksum(&bytes, record);
      ASSERT_EQ(read(bytes, true), read(bytes, false)) << "byte " << i << ", checksum made good";
    }
  }
}

// ---------------------------------------------------------------- recovery

// Recovers `bytes` as the database would, in `mode`.
struct Recovered {
  Status status;
  RecoveryResult result;
  Json state;
};

Recovered Recover(const std::string& bytes, RecoveryMode mode) {
  Engine engine;
  engine.OpenLog(bytes);
  Recovered out;
  out.status = engine.Recover(&mode, &out.result);
  out.state = Json{{"head", engine.wal().head()},
                   {"file", engine.wal().file().size()},
                   {"rows", Replay(engine.wal().DecodeAll())},
                   {"storage", engine.storage().Contents()}};
  return out;
}

// A log with a request id on some writes: put (type 3), put (type 1),
// delete (type 4).
std::string LogWithRequestIds() {
  WriteAheadLog wal;
  wal.Append(LogOp::kPut, "u1", R"({"a":1})", kNoRecord, "req-1");
  wal.Append(LogOp::kPut, "u2", R"({"b":2})", kNoRecord);
  wal.Append(LogOp::kDelete, "u1", "", 0, "req-3");
  return wal.file().bytes().str();
}

TEST(LogReader, ReadsRequestIdsBackFromTypes3And4) {
  const std::string bytes = LogWithRequestIds();
  Read r = ReadAll(bytes, false);
  EXPECT_TRUE(r.problems.empty());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(bytes[r.records[0].offset + log::kTypeOffset], 3);
  EXPECT_EQ(bytes[r.records[1].offset + log::kTypeOffset], 1);
  EXPECT_EQ(bytes[r.records[2].offset + log::kTypeOffset], 4);
  EXPECT_EQ(r.records[0].entry.request_id, "req-1");
  EXPECT_EQ(r.records[0].entry.value, (Json{{"a", 1}}));
  EXPECT_EQ(r.records[1].entry.request_id, "");
  EXPECT_EQ(r.records[2].entry.request_id, "req-3");
  EXPECT_EQ(r.records[2].entry.op, LogOp::kDelete);
  EXPECT_EQ(r.records[2].entry.key, "u1");
}

// Sets the request_id_len of the type 3 record at offset 0 and fixes its
// checksum, so only the payload is wrong.
std::string WithRequestIdLength(std::uint32_t len) {
  std::string bytes = LogWithRequestIds();
  for (int i = 0; i < 4; ++i) SetByte(&bytes, log::kHeaderSize + i, static_cast<char>(len >> (8 * i)));
  FixChecksum(&bytes, 0);
  return bytes;
}

TEST(LogReader, ABadRequestIdLengthIsCorruptionNeverATornTail) {
  // The first record's payload is 4 + 5 + 4 + 2 + 7 = 22 bytes.
  const struct {
    std::uint32_t len;
    const char* reason;
  } cases[] = {
      {0, "bad payload: request id length 0 (a record without a request id is type 1 or 2)"},
      {65, "bad payload: request id length 65 is more than 64"},
      {19, "bad payload: request id length 19 runs past the payload"},
      {0xFFFFFFFFu, "bad payload: request id length 4294967295 is more than 64"},
  };
  for (const auto& c : cases) {
    const std::string bytes = WithRequestIdLength(c.len);
    for (bool skip : {false, true}) {
      Read r = ReadAll(bytes, skip);
      ASSERT_EQ(r.problems.size(), 1u) << c.len;
      EXPECT_FALSE(r.problems[0].torn_tail) << c.len;
      EXPECT_EQ(r.problems[0].offset, 0u);
      EXPECT_EQ(r.problems[0].lsn, std::optional<Lsn>(1));
      EXPECT_EQ(r.problems[0].reason, c.reason);
      EXPECT_EQ(r.records.size(), skip ? 2u : 0u) << c.len;
    }
    Recovered abs = Recover(bytes, RecoveryMode::kAbsolute);
    EXPECT_FALSE(abs.status.ok()) << c.len;
    EXPECT_NE(abs.status.message().find(c.reason), std::string::npos) << abs.status.message();
  }
  // A request id that leaves no room for the key length is corruption too.
  const std::string bytes = WithRequestIdLength(18);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_FALSE(r.problems[0].torn_tail);
  EXPECT_EQ(r.problems[0].reason, "bad payload: payload shorter than its key length field");
}

TEST(LogReader, ARequestIdThatIsNotUtf8IsCorruption) {
  std::string bytes = LogWithRequestIds();
  SetByte(&bytes, log::kHeaderSize + 4, static_cast<char>(0xff));  // 'r' of "req-1"
  FixChecksum(&bytes, 0);
  Read r = ReadAll(bytes, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_FALSE(r.problems[0].torn_tail);
  EXPECT_EQ(r.problems[0].reason, "bad payload: request id is not valid UTF-8");
}

TEST(LogReader, AType3Or4PayloadTooShortForItsRequestIdLengthDoesNotDecode) {
  // The reader never gets here (a length under 4 is impossible), but tools
  // that decode a payload themselves do.
  for (std::uint8_t type : {3, 4}) {
    for (std::size_t n = 0; n < 4; ++n) {
      LogEntry e;
      std::string why;
      EXPECT_FALSE(log::DecodePayload(type, std::string(n, '\x01'), &e, &why));
      EXPECT_EQ(why, "payload shorter than its request id length field");
    }
  }
}

TEST(LogReader, AType3RecordCutShortAtTheTailIsATornTail) {
  WriteAheadLog wal;
  wal.Append(LogOp::kPut, "u0", R"({"z":0})", kNoRecord);
  const std::size_t first = wal.file().size();
  wal.Append(LogOp::kPut, "u1", R"({"a":1})", kNoRecord, "req-1");
  const std::string bytes = wal.file().bytes().str();
  // Every cut inside the type 3 record, even inside its request id.
  for (std::size_t cut = first + 1; cut < bytes.size(); ++cut) {
    Read r = ReadAll(bytes.substr(0, cut), false);
    ASSERT_EQ(r.records.size(), 1u) << "cut at " << cut;
    ASSERT_EQ(r.problems.size(), 1u) << "cut at " << cut;
    EXPECT_TRUE(r.problems[0].torn_tail) << "cut at " << cut;
    EXPECT_EQ(r.problems[0].offset, first);
    EXPECT_EQ(r.problems[0].bytes, cut - first);
    Recovered abs = Recover(bytes.substr(0, cut), RecoveryMode::kAbsolute);
    EXPECT_TRUE(abs.status.ok()) << "cut at " << cut << ": " << abs.status.message();
    EXPECT_EQ(abs.result.discarded_bytes, cut - first);
  }
}

TEST(LogReader, EveryFlippedByteOfAType3RecordIsDetected) {
  const std::string bytes = log::EncodeRecord(LogOp::kPut, 1, "u1", R"({"a":1})", "req-1");
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(~static_cast<unsigned char>(flipped[at]));
    Read r = ReadAll(flipped, false);
    EXPECT_TRUE(r.records.empty()) << "flip at " << at;
    EXPECT_EQ(r.problems.size(), 1u) << "flip at " << at;
  }
}

TEST(WriteAheadLogRequestIds, RecoverReturnsEntriesWithTheirRequestIds) {
  WriteAheadLog wal;
  wal.Append(LogOp::kPut, "u1", R"({"a":1})", kNoRecord, "req-1");
  wal.Append(LogOp::kPut, "u2", R"({"b":2})", kNoRecord);
  wal.Append(LogOp::kDelete, "u1", "", 0, "req-3");
  wal.Sync();
  // A fourth write torn at the tail: recovery cuts it.
  wal.Append(LogOp::kPut, "u3", R"({"c":3})", kNoRecord, "req-4");
  std::string bytes = wal.file().bytes().str();
  bytes.resize(bytes.size() - 3);
  WriteAheadLog reopened;
  reopened.Load(bytes);
  std::vector<log::Record> records;
  ReadReport report;
  ASSERT_TRUE(reopened.Recover(RecoveryMode::kAbsolute, &records, &report).ok());
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].entry.request_id, "req-1");
  EXPECT_EQ(records[0].entry.lsn, 1u);
  EXPECT_EQ(records[1].entry.request_id, "");
  EXPECT_EQ(records[2].entry.request_id, "req-3");
  EXPECT_EQ(records[2].entry.op, LogOp::kDelete);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_TRUE(report.problems[0].torn_tail);
  // The index and the other ways of reading a record agree.
  std::vector<LogEntry> all = reopened.DecodeAll();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].request_id, "req-1");
  EXPECT_EQ(all[2].request_id, "req-3");
  LogEntry e;
  ASSERT_TRUE(reopened.ReadVerified(reopened.records()[2], &e));
  EXPECT_EQ(e.request_id, "req-3");
  EXPECT_EQ(reopened.records()[0].size, log::RecordSize("u1", R"({"a":1})", "req-1"));
  EXPECT_EQ(reopened.records()[2].op, LogOp::kDelete);
}

TEST(Recovery, TornTailsAtEveryByteKeepExactlyTheWholeRecordsBeforeTheCut) {
  const std::string bytes = SmallLog(4);
  Read good = ReadAll(bytes, false);
  // Every cut inside the last two records.
  const std::size_t from = good.records[good.records.size() - 2].offset;
  for (std::size_t cut = from; cut <= bytes.size(); ++cut) {
    Recovered r = Recover(bytes.substr(0, cut), RecoveryMode::kAbsolute);
    ASSERT_TRUE(r.status.ok()) << "cut at " << cut << ": " << r.status.message();
    std::size_t whole = 0, end = 0;
    for (const auto& rec : good.records) {
      if (rec.offset + rec.size <= cut) {
        ++whole;
        end = rec.offset + rec.size;
      }
    }
    EXPECT_EQ(r.result.replayed, whole) << "cut at " << cut;
    EXPECT_EQ(r.result.recovered, whole == 0 ? 0 : good.records[whole - 1].entry.lsn);
    EXPECT_EQ(r.result.discarded_bytes, cut - end) << "cut at " << cut;
    EXPECT_EQ(r.state["file"], end) << "the file must end at the last whole record";
    EXPECT_EQ(r.state["rows"], r.state["storage"]) << "storage equals a replay of the log";
    if (cut > end) {
      ASSERT_EQ(r.result.problems.size(), 1u);
      EXPECT_TRUE(r.result.problems[0].torn_tail);
      EXPECT_EQ(r.result.problems[0].offset, end);
    } else {
      EXPECT_TRUE(r.result.problems.empty());
    }
  }
}

TEST(Recovery, EveryFlippedByteIsDetectedWithItsOffsetOrChangesNothing) {
  const std::string bytes = SmallLog(3);
  Read good = ReadAll(bytes, false);
  const Recovered clean = Recover(bytes, RecoveryMode::kPointInTime);
  std::size_t detected = 0, harmless = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(~static_cast<unsigned char>(flipped[at]));
    // The record the flipped byte lies in.
    std::size_t rec = 0;
    while (good.records[rec].offset + good.records[rec].size <= at) ++rec;
    const std::size_t rec_offset = good.records[rec].offset;

    Recovered pit = Recover(flipped, RecoveryMode::kPointInTime);
    ASSERT_TRUE(pit.status.ok());
    if (pit.result.problems.empty()) {
      ++harmless;
      EXPECT_EQ(pit.state, clean.state) << "an undetected flip at " << at << " changed the log";
      continue;
    }
    ++detected;
    ASSERT_EQ(pit.result.problems.size(), 1u) << at;
    EXPECT_EQ(pit.result.problems[0].offset, rec_offset) << "flip at " << at;
    // Point in time keeps exactly the records before the damaged one.
    EXPECT_EQ(pit.result.replayed, rec) << "flip at " << at;
    EXPECT_EQ(pit.state["file"], rec_offset);

    // Absolute refuses, naming the offset (unless the flip only made the
    // last record look torn, which is a clean end).
    Recovered abs = Recover(flipped, RecoveryMode::kAbsolute);
    if (!pit.result.problems[0].torn_tail) {
      EXPECT_FALSE(abs.status.ok()) << at;
      EXPECT_NE(abs.status.message().find("offset " + std::to_string(rec_offset)), std::string::npos)
          << abs.status.message();
    }

    // Skip keeps every other record.
    Recovered skip = Recover(flipped, RecoveryMode::kSkip);
    ASSERT_TRUE(skip.status.ok());
    if (!pit.result.problems[0].torn_tail) {
      EXPECT_EQ(skip.result.replayed, good.records.size() - 1) << "flip at " << at;
      ASSERT_EQ(skip.result.lost.size(), 0u);  // nothing was appended before this "crash"
      EXPECT_EQ(skip.state["rows"], skip.state["storage"]);
    }
  }
  // Every byte is covered by the checksum except none: a flip always shows.
  EXPECT_EQ(detected, bytes.size());
  EXPECT_EQ(harmless, 0u);
}

// A log written elsewhere may hold a value that is a JSON object but not in
// the stored form (spaces, members out of order, an escape the engine would
// not write). Its change events carry the document as a put of it would
// store it, as those in the stored form do.
TEST(Recovery, AnEventsDocumentIsTheStoredFormOfItsValueWhateverTheRecordsText) {
  WriteAheadLog wal;
  wal.Append(LogOp::kPut, "u1", R"({ "name": "Ren\u00e9e", "age" : 41, "tags": [ "a" ] })", kNoRecord);
  wal.Append(LogOp::kPut, "u2", R"({"age":7,"name":"Ada"})", kNoRecord);
  wal.Append(LogOp::kPut, "u1", R"({"name" :"Ada","city":{"b":1,"a":2}})", 0);
  Engine engine;
  engine.OpenLog(wal.file().bytes().str());
  RecoveryMode mode = RecoveryMode::kPointInTime;
  RecoveryResult result;
  ASSERT_TRUE(engine.Recover(&mode, &result).ok());
  ASSERT_EQ(engine.stream().size(), 3u);
  const auto stored = [](const char* text) {
    return std::string(MakeDoc(Json::parse(text))->text());
  };
  ChangeEvent e;
  ASSERT_TRUE(engine.stream().Event(0, &e));
  EXPECT_EQ(e.after->text(), stored(R"({"age":41,"name":"Renée","tags":["a"]})"));
  ASSERT_TRUE(engine.stream().Event(1, &e));
  EXPECT_EQ(e.after->text(), R"({"age":7,"name":"Ada"})");
  ASSERT_TRUE(engine.stream().Event(2, &e));
  EXPECT_EQ(e.op, ChangeOp::kUpdate);
  EXPECT_EQ(e.before->text(), stored(R"({"age":41,"name":"Renée","tags":["a"]})"));
  EXPECT_EQ(e.after->text(), R"({"city":{"a":2,"b":1},"name":"Ada"})");
}

// A record whose checksum is good but whose value is not a document (a log
// written elsewhere) is refused by recovery as corruption, so it never
// enters the log's index: every record there decodes once its bytes verify,
// which is all a view while the database is down asks of a document
// (ChangeStream::HasDocument checks only the checksum).
TEST(Recovery, ARecordWhoseValueIsNotADocumentNeverEntersTheIndex) {
  WriteAheadLog wal;
  wal.Append(LogOp::kPut, "u1", R"({"a":1})", kNoRecord);
  wal.Append(LogOp::kPut, "u2", "not json", kNoRecord);
  wal.Append(LogOp::kPut, "u3", R"({"a":)", kNoRecord);
  wal.Append(LogOp::kPut, "u1", R"({ "a" : 2 })", 0);
  Engine engine;
  engine.OpenLog(wal.file().bytes().str());
  RecoveryMode mode = RecoveryMode::kSkip;
  RecoveryResult result;
  ASSERT_TRUE(engine.Recover(&mode, &result).ok());
  std::vector<Lsn> kept;
  for (const RecordInfo& r : engine.wal().records()) kept.push_back(r.lsn);
  EXPECT_EQ(kept, (std::vector<Lsn>{1, 4}));
  ASSERT_TRUE(engine.Crash(CrashKind::kProcess, 0).ok());
  for (const RecordInfo& r : engine.wal().records()) {
    LogEntry entry;
    EXPECT_TRUE(engine.wal().Verifies(r)) << r.lsn;
    EXPECT_TRUE(engine.wal().ReadVerified(r, &entry)) << r.lsn;
  }
  // While down, both events still read back, and are listed.
  std::vector<std::uint32_t> all;
  for (std::size_t k = 0; k < engine.stream().size(); ++k) {
    ChangeEvent e;
    EXPECT_TRUE(engine.stream().Event(k, &e)) << k;
    all.push_back(static_cast<std::uint32_t>(k));
  }
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(engine.ReadableEvents(), all);
}

// Recovery and a replay of storage build each row from the record's text as
// it is when it is in the stored form, and from its parsed value when it is
// not: either way the row is what a put of the same value stores.
TEST(Recovery, StorageHoldsTheStoredFormOfEveryValueWhateverTheRecordsText) {
  WriteAheadLog wal;
  const std::vector<std::pair<std::string, std::string>> writes = {
      {"u1", R"({ "name": "Ren\u00e9e", "age" : 41 })"},
      {"u2", R"({"age":7,"name":"Ada"})"},
      {"u3", R"({"city":{"b":1,"a":2},"n":1.5})"},
      {"u4", R"({"tags":["a","b"],"ok":true,"none":null})"},
  };
  for (const auto& [key, value] : writes) wal.Append(LogOp::kPut, key, value, kNoRecord);
  Engine engine;
  engine.OpenLog(wal.file().bytes().str());
  RecoveryMode mode = RecoveryMode::kPointInTime;
  RecoveryResult result;
  ASSERT_TRUE(engine.Recover(&mode, &result).ok());
  const auto rows = [&engine] {
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : engine.storage().Contents()) out[key] = value.dump();
    return out;
  };
  std::map<std::string, std::string> expected;
  for (const auto& [key, value] : writes) expected[key] = Json::parse(value).dump();
  EXPECT_EQ(rows(), expected);
  for (const auto& [key, value] : writes) {
    const StoredRow* row = engine.storage().Find(key);
    ASSERT_NE(row, nullptr) << key;
    EXPECT_EQ(row->doc->text(), MakeDoc(Json::parse(value))->text()) << key;
  }
  std::size_t replayed = 0;
  ASSERT_TRUE(engine.ReplayStorage(&replayed).ok());
  EXPECT_EQ(replayed, writes.size());
  EXPECT_EQ(rows(), expected);
}

TEST(Recovery, AbsoluteRefusesCorruptionAndChangesNothing) {
  std::string bytes = SmallLog(3);
  IncrementByte(&bytes, 30, 1);
  Engine engine;
  engine.OpenLog(bytes);
  RecoveryMode mode = RecoveryMode::kAbsolute;
  RecoveryResult result;
  Status s = engine.Recover(&mode, &result);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("recovery: corrupt record at byte offset 0 (claims LSN 1): checksum "
                              "mismatch", 0), 0u) << s.message();
  EXPECT_TRUE(engine.down());
  EXPECT_EQ(engine.wal().file().bytes().str(), bytes);
}

}  // namespace
}  // namespace unbundled

namespace unbundled {
namespace {

// Where a file's first byte lies in memory: the same for files that share it.
const char* First(const LogFile& f) {
  std::string scratch;
  return f.bytes().View(0, 1, &scratch).data();
}

// A copy of a LogFile (a checkpoint) shares its bytes; no change to one may
// show in the other.
TEST(LogFileCopy, CopiesShareBytesYetNeverSeeEachOthersChanges) {
  LogFile a;
  a.Append("hello");
  a.Sync();
  LogFile b;
  b.CopyFrom(a);
  EXPECT_EQ(First(b), First(a)) << "the copy shares the segment";
  a.Append(" world");  // in place: b still reads its own 5 bytes
  EXPECT_EQ(a.bytes().str(), "hello world");
  EXPECT_EQ(b.bytes().str(), "hello");
  b.Append("!");  // the buffer has moved on past b's end: b gets its own
  EXPECT_EQ(b.bytes().str(), "hello!");
  EXPECT_EQ(a.bytes().str(), "hello world");
  LogFile c;
  c.CopyFrom(a);
  a.FlipByte(0);
  EXPECT_EQ(c.bytes().str(), "hello world");
  EXPECT_NE(a.bytes().str(), "hello world");
  LogFile d;
  d.CopyFrom(c);
  c.Truncate(2);
  c.Append("LP");
  EXPECT_EQ(c.bytes().str(), "heLP");
  EXPECT_EQ(d.bytes().str(), "hello world");
  EXPECT_EQ(d.synced(), 5u);
  d.LosePower(3);  // synced 5 bytes, plus 3 torn bytes
  EXPECT_EQ(d.bytes().str(), "hello wo");
  EXPECT_EQ(c.bytes().str(), "heLP");
}

// Time travel restores a checkpoint and replays the same steps, which write
// the same bytes the shared buffer already holds past the checkpoint's end.
TEST(LogFileCopy, AppendingTheBytesTheSharedBufferHoldsCopiesNothing) {
  LogFile live;
  live.Append("one;");
  LogFile checkpoint;
  checkpoint.CopyFrom(live);
  live.Append("two;");
  live.Append("three;");
  LogFile later;
  later.CopyFrom(live);  // a later checkpoint, reading all three
  live.CopyFrom(checkpoint);  // back to "one;"
  live.Append("two;");
  EXPECT_EQ(live.bytes().str(), "one;two;");
  EXPECT_EQ(First(live), First(later)) << "the same bytes: still shared";
  live.Append("TWO;");  // a fork: other bytes, so a buffer of its own
  EXPECT_EQ(live.bytes().str(), "one;two;TWO;");
  EXPECT_NE(First(live), First(later));
  EXPECT_EQ(later.bytes().str(), "one;two;three;");
  EXPECT_EQ(checkpoint.bytes().str(), "one;");
}

// The bytes lie in segments. A growing file never moves what it holds, and
// a record that crosses from one segment into the next reads back whole.
TEST(LogFileSegments, AGrowingFileNeverMovesItsBytesAndRecordsAcrossSegmentsReadWhole) {
  LogFile f;
  std::string model;
  std::vector<std::string> keys;
  for (int i = 0; f.size() < 3 * LogFile::kSegmentBytes + 100; ++i) {
    keys.push_back("k" + std::to_string(i));
    const std::string record = log::EncodeRecord(LogOp::kPut, static_cast<Lsn>(i + 1), keys.back(),
                                                 R"({"text":")" + std::string(static_cast<std::size_t>(i % 700), 'x') + R"("})");
    const char* first = f.size() > 0 ? First(f) : nullptr;
    f.Append(record);
    model += record;
    if (first != nullptr) ASSERT_EQ(First(f), first) << "the first segment never moved";
  }
  EXPECT_EQ(f.bytes().str(), model);
  int crossing = 0;
  std::size_t n = 0;
  log::Reader reader(f.bytes(), [](const log::Problem& p) { ADD_FAILURE() << p.reason; }, false);
  log::Record r;
  while (reader.ReadRecord(&r)) {
    ASSERT_LT(n, keys.size());
    EXPECT_EQ(r.entry.key, keys[n]);
    EXPECT_EQ(r.entry.lsn, n + 1);
    if (r.offset / LogFile::kSegmentBytes != (r.offset + r.size - 1) / LogFile::kSegmentBytes) ++crossing;
    ++n;
  }
  EXPECT_EQ(n, keys.size());
  EXPECT_GE(crossing, 3) << "records crossed each segment boundary";
}

// Copies, forks, cuts, flipped bytes and torn tails across segment
// boundaries, against a plain string per file (a differential test).
TEST(LogFileSegments, CopiesAndChangesAcrossSegmentsMatchAModel) {
  struct Slot {
    LogFile file;
    std::string bytes;
    std::size_t synced = 0;
  };
  std::vector<Slot> slots(4);
  std::mt19937 rng(20261205);
  std::size_t largest = 0;
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int step = 0; step < 3000; ++step) {
    Slot& s = slots[pick(slots.size())];
    switch (pick(7)) {
      case 0:
      case 1: {  // append up to 40 KB
        std::string data(1 + pick(40000), static_cast<char>('a' + pick(26)));
        s.file.Append(data);
        s.bytes += data;
        break;
      }
      case 2: {  // a checkpoint: another slot becomes a copy of this one
        Slot& t = slots[pick(slots.size())];
        if (&t == &s) break;
        t.file.CopyFrom(s.file);
        t.bytes = s.bytes;
        t.synced = s.synced;
        break;
      }
      case 3:
        s.file.Sync();
        s.synced = s.bytes.size();
        break;
      case 4:
        if (!s.bytes.empty()) {
          const std::size_t at = pick(s.bytes.size());
          s.file.FlipByte(at);
          s.bytes[at] = static_cast<char>(~static_cast<unsigned char>(s.bytes[at]));
        }
        break;
      case 5: {  // a cut, usually near the end
        const std::size_t to = s.bytes.size() - std::min(s.bytes.size(), pick(3 * LogFile::kSegmentBytes));
        s.file.Truncate(to);
        if (to < s.bytes.size()) {
          s.bytes.resize(to);
          s.synced = std::min(s.synced, to);
        }
        break;
      }
      case 6: {
        const std::size_t torn = pick(s.bytes.size() - s.synced + 1);
        s.file.LosePower(torn);
        s.bytes.resize(s.synced + torn);
        s.synced = s.bytes.size();
        break;
      }
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      ASSERT_EQ(slots[i].file.size(), slots[i].bytes.size()) << "step " << step << ", slot " << i;
      ASSERT_TRUE(slots[i].file.bytes() == slots[i].bytes) << "step " << step << ", slot " << i;
      ASSERT_EQ(slots[i].file.synced(), slots[i].synced) << "step " << step << ", slot " << i;
      largest = std::max(largest, slots[i].bytes.size());
    }
  }
  EXPECT_GT(largest, 4 * LogFile::kSegmentBytes) << "the files spanned several segments";
}

// Time travel's replay of the same bytes takes them as they are, across a
// segment boundary too.
TEST(LogFileSegments, ReplayingTheSameBytesAcrossASegmentBoundaryCopiesNothing) {
  LogFile live;
  live.Append(std::string(LogFile::kSegmentBytes - 10, 'a'));
  LogFile checkpoint;
  checkpoint.CopyFrom(live);
  const std::string across(30, 'b');  // 10 bytes in the first segment, 20 in the second
  live.Append(across);
  LogFile later;
  later.CopyFrom(live);
  live.CopyFrom(checkpoint);
  live.Append(across);
  std::string s1, s2;
  EXPECT_EQ(live.bytes().View(LogFile::kSegmentBytes, 1, &s1).data(),
            later.bytes().View(LogFile::kSegmentBytes, 1, &s2).data())
      << "the second segment is shared, not copied";
  live.Append("c");
  EXPECT_EQ(later.size(), LogFile::kSegmentBytes + 20);
  EXPECT_EQ(live.bytes().str(), std::string(LogFile::kSegmentBytes - 10, 'a') + across + "c");
}

}  // namespace
}  // namespace unbundled

namespace unbundled {
namespace {

TEST(SharedVectorCopy, CopiesShareElementsYetNeverSeeEachOthersChanges) {
  SharedVector<int> a;
  a.push_back(1);
  a.push_back(2);
  SharedVector<int> b = a;
  EXPECT_EQ(&b[0], &a[0]) << "the copy shares the chunk";
  a.push_back(3);
  EXPECT_EQ(b.size(), 2u);
  b.push_back(9);  // the buffer moved on past b's end: b gets its own
  EXPECT_EQ(std::vector<int>(b.begin(), b.end()), (std::vector<int>{1, 2, 9}));
  EXPECT_EQ(std::vector<int>(a.begin(), a.end()), (std::vector<int>{1, 2, 3}));
  SharedVector<int> c = a;
  a.mutable_at(0) = 7;
  EXPECT_EQ(c[0], 1);
  EXPECT_EQ(a[0], 7);
}

TEST(SharedVectorCopy, AppendingTheElementTheSharedBufferHoldsCopiesNothing) {
  SharedVector<int> live;
  live.push_back(1);
  const SharedVector<int> checkpoint = live;
  live.push_back(2);
  live.push_back(3);
  const SharedVector<int> later = live;
  live = checkpoint;
  live.push_back(2);  // what the buffer holds there: shared still
  EXPECT_EQ(&live[0], &later[0]);
  live.push_back(5);  // a fork: a buffer of its own
  EXPECT_NE(&live[0], &later[0]);
  EXPECT_EQ(std::vector<int>(live.begin(), live.end()), (std::vector<int>{1, 2, 5}));
  EXPECT_EQ(std::vector<int>(later.begin(), later.end()), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(std::vector<int>(checkpoint.begin(), checkpoint.end()), (std::vector<int>{1}));
}

// Copies, forks and changes across chunk boundaries, against a plain vector
// per copy (a differential test).
TEST(SharedVectorCopy, CopiesAndChangesAcrossChunksMatchAModel) {
  constexpr std::size_t kChunk = SharedVector<int>::kChunk;
  struct Slot {
    SharedVector<int> v;
    std::vector<int> model;
  };
  std::vector<Slot> slots(4);
  std::mt19937 rng(20261205);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::size_t largest = 0;
  for (int step = 0; step < 2000; ++step) {
    Slot& s = slots[pick(slots.size())];
    switch (pick(4)) {
      case 0:
      case 1: {  // append a run, usually the same values as a copy holds (a replay)
        const std::size_t n = 1 + pick(3 * kChunk);
        const int base = static_cast<int>(pick(2));
        for (std::size_t i = 0; i < n; ++i) {
          const int x = base + static_cast<int>((s.model.size() * 7) % 1000);
          s.v.push_back(x);
          s.model.push_back(x);
        }
        break;
      }
      case 2: {
        Slot& t = slots[pick(slots.size())];
        t.v = s.v;
        t.model = s.model;
        break;
      }
      case 3:
        if (!s.model.empty()) {
          const std::size_t at = pick(s.model.size());
          s.v.mutable_at(at) = -1;
          s.model[at] = -1;
        }
        break;
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      ASSERT_EQ(std::vector<int>(slots[i].v.begin(), slots[i].v.end()), slots[i].model) << "step " << step << ", slot " << i;
      largest = std::max(largest, slots[i].model.size());
    }
    if (largest > 40 * kChunk) {  // keep it quick: start the slots again
      for (Slot& t : slots) t = Slot();
    }
  }
  EXPECT_GT(largest, 4 * kChunk);
  // Growing never moves a full chunk's elements.
  SharedVector<int> grown;
  grown.push_back(0);
  for (int i = 1; i < static_cast<int>(kChunk); ++i) grown.push_back(i);
  const int* first = &grown[0];
  for (int i = 0; i < static_cast<int>(5 * kChunk); ++i) grown.push_back(i);
  EXPECT_EQ(&grown[0], first);
  const SharedVector<int> v(std::vector<int>{5, 1, 9});
  EXPECT_EQ(std::lower_bound(v.begin(), v.begin() + 1, 5) - v.begin(), 0);
}

}  // namespace
}  // namespace unbundled
