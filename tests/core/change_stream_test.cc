// The change stream is a view over the log: each event is built from its
// record and the key's previous record, never stored.
#include "core/change_stream.h"

#include <gtest/gtest.h>

#include "core/log_format.h"

namespace unbundled {
namespace {

class ChangeStreamTest : public ::testing::Test {
 protected:
  // Appends a record the way the engine does: linked to the key's previous
  // record, with an event unless it is a delete of an absent key.
  std::size_t Write(LogOp op, const std::string& key, const Json& value = nullptr) {
    auto it = last_.find(key);
    const std::uint32_t prev = it == last_.end() ? kNoRecord : it->second;
    const std::size_t index = wal_.Append(op, key, op == LogOp::kPut ? value.dump() : "", prev);
    last_[key] = static_cast<std::uint32_t>(index);
    stream_.Append(index);
    return index;
  }
  ChangeEvent EventAt(std::size_t i) {
    ChangeEvent e;
    EXPECT_TRUE(stream_.Event(i, &e));
    return e;
  }

  WriteAheadLog wal_;
  ChangeStream stream_{&wal_};
  std::map<std::string, std::uint32_t> last_;
};

TEST_F(ChangeStreamTest, PutOfAbsentKeyIsCreateWithNullBefore) {
  Write(LogOp::kPut, "u1", {{"a", 1}});
  ChangeEvent e = EventAt(0);
  EXPECT_EQ(e.op, ChangeOp::kCreate);
  EXPECT_EQ(e.key, "u1");
  EXPECT_EQ(e.before, nullptr);
  ASSERT_NE(e.after, nullptr);
  EXPECT_EQ(*e.after, (Json{{"a", 1}}));
  EXPECT_EQ(e.lsn, 1u);
}

TEST_F(ChangeStreamTest, RecordsWithRequestIdsGiveTheSameEvents) {
  // Types 3 and 4: the key lies after the request id in the payload.
  stream_.Append(wal_.Append(LogOp::kPut, "u1", R"({"a":1})", kNoRecord, "req-1"));
  stream_.Append(wal_.Append(LogOp::kPut, "u1", R"({"a":2})", 0, std::string(kMaxRequestIdBytes, 'r')));
  stream_.Append(wal_.Append(LogOp::kDelete, "u1", "", 1, "req-3"));
  ChangeEvent e = EventAt(0);
  EXPECT_EQ(e.op, ChangeOp::kCreate);
  EXPECT_EQ(e.key, "u1");
  EXPECT_EQ(*e.after, (Json{{"a", 1}}));
  e = EventAt(1);
  EXPECT_EQ(e.op, ChangeOp::kUpdate);
  EXPECT_EQ(e.key, "u1");
  EXPECT_EQ(*e.before, (Json{{"a", 1}}));
  EXPECT_EQ(*e.after, (Json{{"a", 2}}));
  e = EventAt(2);
  EXPECT_EQ(e.op, ChangeOp::kDelete);
  EXPECT_EQ(e.key, "u1");
  EXPECT_EQ(*e.before, (Json{{"a", 2}}));
  EXPECT_EQ(e.after, nullptr);
}

TEST_F(ChangeStreamTest, PutOfPresentKeyIsUpdateWhoseBeforeIsThePreviousRecord) {
  Write(LogOp::kPut, "u1", {{"a", 1}});
  Write(LogOp::kPut, "other", {{"b", 1}});
  Write(LogOp::kPut, "u1", {{"a", 2}});
  ChangeEvent e = EventAt(2);
  EXPECT_EQ(e.op, ChangeOp::kUpdate);
  ASSERT_NE(e.before, nullptr);
  EXPECT_EQ(*e.before, (Json{{"a", 1}}));
  EXPECT_EQ(*e.after, (Json{{"a", 2}}));
}

TEST_F(ChangeStreamTest, DeleteIsDeleteWithNullAfterAndAPutAfterItIsCreate) {
  Write(LogOp::kPut, "u1", {{"a", 1}});
  Write(LogOp::kDelete, "u1");
  Write(LogOp::kPut, "u1", {{"a", 3}});
  ChangeEvent d = EventAt(1);
  EXPECT_EQ(d.op, ChangeOp::kDelete);
  EXPECT_EQ(*d.before, (Json{{"a", 1}}));
  EXPECT_EQ(d.after, nullptr);
  ChangeEvent c = EventAt(2);
  EXPECT_EQ(c.op, ChangeOp::kCreate);
  EXPECT_EQ(c.before, nullptr);
}

TEST_F(ChangeStreamTest, EventsShareOneCopyOfEachDocument) {
  Write(LogOp::kPut, "u1", {{"a", 1}});
  Write(LogOp::kPut, "u1", {{"a", 2}});
  // The "after" of the first event and the "before" of the second are the
  // same object, decoded once from the log.
  EXPECT_EQ(EventAt(0).after.get(), EventAt(1).before.get());
  // Without the cache, the documents are decoded from the record bytes again.
  stream_.ClearCache();
  EXPECT_EQ(*EventAt(1).before, (Json{{"a", 1}}));
}

TEST_F(ChangeStreamTest, ARecordThatRottedOnDiskIsReadFromTheProcessBuffersUntilACrash) {
  Write(LogOp::kPut, "u1", {{"a", 1}});
  wal_.Sync();
  const RecordInfo& r = wal_.records()[0];
  wal_.Rot(r.offset + r.size - 2);  // inside the JSON value
  stream_.ClearCache();
  EXPECT_EQ(*EventAt(0).after, (Json{{"a", 1}}));
  wal_.DropBuffers();
  stream_.ClearCache();
  ChangeEvent e;
  EXPECT_FALSE(stream_.Event(0, &e));  // the checksum no longer verifies
}

TEST_F(ChangeStreamTest, FirstAfterFindsTheFirstPendingEvent) {
  for (int i = 0; i < 5; ++i) Write(LogOp::kPut, "k", {{"i", i}});
  EXPECT_EQ(stream_.FirstAfter(0), 0u);
  EXPECT_EQ(stream_.FirstAfter(3), 3u);
  EXPECT_EQ(stream_.FirstAfter(5), 5u);
  EXPECT_EQ(stream_.CountAfter(0), 5u);
  EXPECT_EQ(stream_.CountAfter(2), 3u);
  EXPECT_EQ(stream_.CountAfter(5), 0u);
}

TEST_F(ChangeStreamTest, EmptyStreamHasNothingPending) { EXPECT_EQ(stream_.CountAfter(0), 0u); }

}  // namespace
}  // namespace unbundled
