#include "core/change_stream.h"

#include <gtest/gtest.h>

namespace unbundled {
namespace {

LogEntry Put(Lsn lsn, const char* key, Json value) { return {lsn, LogOp::kPut, key, value}; }

TEST(ChangeStream, PutOfAbsentKeyIsCreateWithNullBefore) {
  ChangeEvent e = ChangeStream::Capture(Put(1, "u1", {{"a", 1}}), nullptr);
  EXPECT_EQ(e.op, ChangeOp::kCreate);
  EXPECT_TRUE(e.before.is_null());
  EXPECT_EQ(e.after, (Json{{"a", 1}}));
  EXPECT_EQ(e.lsn, 1u);
}

TEST(ChangeStream, PutOfPresentKeyIsUpdateCarryingTheOldValue) {
  Json old = {{"a", 1}};
  ChangeEvent e = ChangeStream::Capture(Put(2, "u1", {{"a", 2}}), &old);
  EXPECT_EQ(e.op, ChangeOp::kUpdate);
  EXPECT_EQ(e.before, old);
  EXPECT_EQ(e.after, (Json{{"a", 2}}));
}

TEST(ChangeStream, DeleteIsDeleteWithNullAfter) {
  Json old = {{"a", 1}};
  ChangeEvent e = ChangeStream::Capture({3, LogOp::kDelete, "u1", Json()}, &old);
  EXPECT_EQ(e.op, ChangeOp::kDelete);
  EXPECT_EQ(e.before, old);
  EXPECT_TRUE(e.after.is_null());
}

TEST(ChangeStream, FirstAfterFindsTheFirstPendingEvent) {
  ChangeStream stream;
  for (Lsn l = 1; l <= 5; ++l) stream.Append(ChangeStream::Capture(Put(l, "k", {}), nullptr));
  EXPECT_EQ(stream.FirstAfter(0), 0u);
  EXPECT_EQ(stream.FirstAfter(3), 3u);
  EXPECT_EQ(stream.FirstAfter(5), 5u);
  EXPECT_EQ(stream.CountAfter(0), 5u);
  EXPECT_EQ(stream.CountAfter(2), 3u);
  EXPECT_EQ(stream.CountAfter(5), 0u);
}

TEST(ChangeStream, EmptyStreamHasNothingPending) {
  ChangeStream stream;
  EXPECT_EQ(stream.CountAfter(0), 0u);
}

}  // namespace
}  // namespace unbundled
