// The correctness half of chapter 12, through the JSON entry point: dual
// writes and their race, read-your-writes against a lagging consumer, and
// end-to-end request ids that make a retry safe.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "tests/core/simulator_fixture.h"

namespace unbundled {
namespace {

class DualWriteTest : public SimulatorFixture {
 protected:
  void SetUp() override {
    // The same index twice: one fed by the log, one by the application.
    Ok(R"({"op":"add_consumer","consumer":{"name":"by_log","type":"secondary_index","field":"city"}})");
    Ok(R"({"op":"add_consumer","consumer":{"name":"by_app","type":"secondary_index","field":"city","feed":"direct"}})");
  }
  Json Keys(const std::string& consumer, const std::string& city) {
    return Ok(R"({"op":"query","consumer":")" + consumer + R"(","value":")" + city + R"("})")["result"];
  }
  bool Consistent(const std::string& consumer) {
    const Json checks = Ok(R"({"op":"verify"})");
    for (const auto& c : checks["consumers"]) {
      if (c["name"] == consumer) return c["consistent"].get<bool>();
    }
    ADD_FAILURE() << "no consumer " << consumer;
    return false;
  }
};

TEST_F(DualWriteTest, ADirectConsumerIsFedByTheApplicationNotByFlush) {
  Json r = Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"},"direct":"now"})");
  EXPECT_EQ(r["direct_to"], Json::parse(R"(["by_app"])"));
  EXPECT_EQ(Keys("by_app", "Paris"), Json::parse(R"(["u1"])"));
  EXPECT_EQ(Keys("by_log", "Paris"), Json::array());  // lags until a flush
  EXPECT_EQ(Ok(R"({"op":"flush"})")["delivered"], 1);   // only the log consumer
  EXPECT_EQ(Keys("by_log", "Paris"), Json::parse(R"(["u1"])"));
  Fails(R"({"op":"flush","consumer":"by_app"})",
        "consumer: 'by_app' is fed directly by the application (a dual write), not by the log: "
        "it has no events to flush or step");
  Fails(R"({"op":"step","consumer":"by_app"})",
        "consumer: 'by_app' is fed directly by the application (a dual write), not by the log: "
        "it has no events to flush or step");
  EXPECT_EQ(Consumer("by_app")["feed"], "direct");
  EXPECT_EQ(Consumer("by_app")["position"], 1);
}

// DDIA's figure 11-4: two clients write the same key; the database applies
// A then B, the index receives B then A, and stays wrong for good.
TEST_F(DualWriteTest, TwoClientsRacingLeaveTheIndexPermanentlyWrong) {
  Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"},"direct":"later","client":"A"})");
  Ok(R"({"op":"put","key":"u1","value":{"city":"Rome"},"direct":"later","client":"B"})");
  EXPECT_EQ(sim_.State()["clients"]["A"][0]["lsn"], 1);
  EXPECT_EQ(Consumer("by_app")["lag"], 2);  // two second writes waiting
  Json b = Ok(R"({"op":"direct_write","client":"B"})");
  EXPECT_EQ(b["lsn"], 2);
  EXPECT_EQ(b["to"], Json::parse(R"(["by_app"])"));
  Ok(R"({"op":"direct_write","client":"A"})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Ok(R"({"op":"get","key":"u1"})")["value"]["city"], "Rome");
  EXPECT_EQ(Keys("by_app", "Paris"), Json::parse(R"(["u1"])"));  // the older value won
  EXPECT_EQ(Keys("by_app", "Rome"), Json::array());
  EXPECT_EQ(Keys("by_log", "Rome"), Json::parse(R"(["u1"])"));   // the log's order is the truth
  EXPECT_FALSE(Consistent("by_app"));
  EXPECT_TRUE(Consistent("by_log"));
  // Nothing heals it: more flushes, and a later write to another key.
  Ok(R"({"op":"put","key":"u2","value":{"city":"Oslo"},"direct":"now"})");
  Ok(R"({"op":"flush"})");
  EXPECT_FALSE(Consistent("by_app"));
  Fails(R"({"op":"direct_write","client":"A"})",
        "client: 'A' has no second write waiting (a put, delete or insert with \"direct\": "
        "\"later\" leaves one)");
  // A rebuild from storage (a snapshot) is the way back.
  Ok(R"({"op":"rebuild","consumer":"by_app"})");
  EXPECT_TRUE(Consistent("by_app"));
}

TEST_F(DualWriteTest, AClientCrashBetweenItsTwoWritesLosesTheSecond) {
  Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"},"direct":"later","client":"A"})");
  Ok(R"({"op":"delete","key":"u1","direct":"later","client":"A"})");
  Json r = Ok(R"({"op":"crash_client","client":"A"})");
  EXPECT_EQ(r["lost"], Json::parse(R"([{"key":"u1","lsn":1,"op":"put"},{"key":"u1","lsn":2,"op":"delete"}])"));
  EXPECT_EQ(sim_.State()["clients"], Json::object());
  Ok(R"({"op":"put","key":"u2","value":{"city":"Rome"},"direct":"now"})");
  Ok(R"({"op":"flush"})");
  EXPECT_EQ(Keys("by_app", "Rome"), Json::parse(R"(["u2"])"));
  EXPECT_TRUE(Consistent("by_log"));
  // u1 came and went in storage without by_app hearing of either: here the
  // two misses cancel out, so by_app happens to agree.
  EXPECT_TRUE(Consistent("by_app"));
  // A lost put does not cancel out.
  Ok(R"({"op":"put","key":"u3","value":{"city":"Oslo"},"direct":"later","client":"A"})");
  Ok(R"({"op":"crash_client","client":"A"})");
  Ok(R"({"op":"put","key":"u4","value":{"city":"Oslo"},"direct":"now"})");
  EXPECT_EQ(Keys("by_app", "Oslo"), Json::parse(R"(["u4"])"));
  EXPECT_FALSE(Consistent("by_app"));
  Fails(R"({"op":"crash_client","client":"A"})",
        "client: 'A' has no second write waiting, so its crash would lose nothing");
}

TEST_F(DualWriteTest, BadDualWriteInputIsRefusedAndChangesNothing) {
  Ok(R"({"op":"put","key":"u0","value":{"city":"Oslo"}})");
  Fails(R"({"op":"put","key":"u1","value":{},"client":"A"})",
        "client: goes with \"direct\": the client that makes the second write of a dual write");
  Fails(R"({"op":"put","key":"u1","value":{},"direct":"soon"})",
        "direct: must be one of \"now\", \"later\" (got \"soon\")");
  Fails(R"({"op":"put","key":"u1","value":{},"direct":"later","client":""})",
        "client: must be 1 to 64 bytes of UTF-8 (got 0 bytes)");
  Fails(R"({"op":"add_consumer","consumer":{"name":"x","type":"secondary_index","field":"city","feed":"direct","apply":"delta"}})",
        "consumer.apply: must be \"upsert\" for a direct consumer: the application sends it no "
        "before image, so it keeps its own copy of each row");
  Fails(R"({"op":"add_consumer","consumer":{"name":"x","type":"secondary_index","field":"city","feed":"pipe"}})",
        "consumer.feed: must be one of \"log\", \"direct\" (got \"pipe\")");
  Fails(R"({"op":"add_consumer","mode":"replay","consumer":{"name":"x","type":"secondary_index","field":"city","feed":"direct"}})",
        "mode: a direct consumer is fed by the application, not the log, so it cannot replay the "
        "log; add it by \"snapshot\"");
}

TEST_F(DualWriteTest, ADirectConsumerPinsNoLog) {
  Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"},"direct":"now"})");
  Ok(R"({"op":"put","key":"u2","value":{"city":"Rome"}})");
  Ok(R"({"op":"flush"})");
  Ok(R"({"op":"checkpoint"})");
  // by_app is at position 1 but reads no log: only by_log (at 2) pins it.
  Ok(R"({"op":"truncate","before":3})");
  EXPECT_EQ(Consumer("by_app")["out_of_range"], false);
}

class ReadYourWritesTest : public SimulatorFixture {
 protected:
  void SetUp() override {
    Ok(R"({"op":"add_consumer","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})");
  }
};

TEST_F(ReadYourWritesTest, AReadThatNamesItsWritesLsnWaitsForTheConsumer) {
  Json w = Ok(R"({"op":"put","key":"u1","value":{"city":"Paris"}})");
  ASSERT_EQ(w["lsn"], 1);
  Json r = Ok(R"({"op":"query","consumer":"by_city","value":"Paris","min_position":1})");
  EXPECT_EQ(r["ready"], false);
  EXPECT_EQ(r["result"], nullptr);
  EXPECT_EQ(r["answered_by"], nullptr);
  EXPECT_EQ(r["position"], 0);
  EXPECT_EQ(r["reason"],
            "'by_city' is at position 0, before LSN 1: its answer would not include that write "
            "yet (flush or step it, or read with \"fallback\": \"storage\")");
  // The plain query answers at once, and wrongly for the writer.
  EXPECT_EQ(Ok(R"({"op":"query","consumer":"by_city","value":"Paris"})")["result"], Json::array());
  r = Ok(R"({"op":"query","consumer":"by_city","value":"Paris","min_position":1,"fallback":"storage"})");
  EXPECT_EQ(r["ready"], false);
  EXPECT_EQ(r["answered_by"], "storage");
  EXPECT_EQ(r["result"], Json::parse(R"(["u1"])"));
  Ok(R"({"op":"step","consumer":"by_city"})");
  r = Ok(R"({"op":"query","consumer":"by_city","value":"Paris","min_position":1})");
  EXPECT_EQ(r["ready"], true);
  EXPECT_EQ(r["answered_by"], "consumer");
  EXPECT_EQ(r["result"], Json::parse(R"(["u1"])"));
}

TEST_F(ReadYourWritesTest, BadReadYourWritesInputIsRefused) {
  Fails(R"({"op":"query","consumer":"by_city","value":"Paris","min_position":-1})",
        "min_position: must be a whole number from 0 to 18446744073709551615 (got -1)");
  Fails(R"({"op":"query","consumer":"by_city","value":"Paris","fallback":"storage"})",
        "fallback: goes with min_position");
  Fails(R"({"op":"query","consumer":"by_city","value":"Paris","min_position":1,"fallback":"cache"})",
        "fallback: must be \"storage\": who answers when the consumer has not reached "
        "min_position");
  Fails(R"({"op":"query","consumer":"nope","value":"Paris","min_position":1})",
        "consumer: no consumer named 'nope'");
}

class RequestIdTest : public SimulatorFixture {};

TEST_F(RequestIdTest, ARetriedInsertWithoutDedupeAddsASecondRow) {
  // The insert is durable, then the process dies before it replies: the
  // client does not know, and retries.
  Json r = Do(R"({"op":"insert","prefix":"order","value":{"item":"book"},"request_id":"req-1","crash":"after_sync"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["acknowledged"], false);
  EXPECT_EQ(r["key"], "order1");
  Ok(R"({"op":"recover"})");
  r = Ok(R"({"op":"insert","prefix":"order","value":{"item":"book"},"request_id":"req-1"})");
  EXPECT_EQ(r["key"], "order2");
  EXPECT_EQ(Ok(R"({"op":"scan","prefix":"order"})")["rows"].size(), 2u);  // the book, twice
}

TEST_F(RequestIdTest, WithDedupeTheRetryGetsTheFirstResultEvenAfterACrash) {
  Ok(R"({"op":"configure","dedupe_requests":true})");
  Json r = Do(R"({"op":"insert","prefix":"order","value":{"item":"book"},"request_id":"req-1","crash":"after_sync"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  Ok(R"({"op":"recover"})");  // rebuilds the table of applied requests from the log
  const std::size_t bytes = sim_.State()["log"]["bytes"].get<std::size_t>();
  r = Ok(R"({"op":"insert","prefix":"order","value":{"item":"book"},"request_id":"req-1"})");
  EXPECT_EQ(r["duplicate"], true);
  EXPECT_EQ(r["key"], "order1");
  EXPECT_EQ(r["lsn"], 1);
  EXPECT_EQ(r["event"], nullptr);
  EXPECT_EQ(sim_.State()["log"]["bytes"], bytes);  // nothing appended
  EXPECT_EQ(Ok(R"({"op":"scan","prefix":"order"})")["rows"].size(), 1u);
  // A new request id is a new write.
  EXPECT_EQ(Ok(R"({"op":"insert","prefix":"order","value":{"item":"pen"},"request_id":"req-2"})")["key"],
            "order2");
  // The record carries the id: type 3.
  EXPECT_EQ(sim_.State()["wal"][0]["request_id"], "req-1");
  Fails(R"({"op":"insert","prefix":"order","value":{},"request_id":"req-1","crash":"after_sync"})",
        "crash: request 'req-1' was already applied at LSN 1, so this retry writes nothing and "
        "has no write to crash in");
  Fails(R"({"op":"put","key":"k","value":{},"request_id":""})",
        "request_id: must be 1 to 64 bytes of UTF-8 (got 0 bytes)");
  Fails(R"({"op":"configure","dedupe_requests":"yes"})", "dedupe_requests: must be true or false");
}

TEST_F(RequestIdTest, AWriteLostInACrashTakesItsRequestIdWithIt) {
  Ok(R"({"op":"configure","dedupe_requests":true,"commit":"async"})");
  Ok(R"({"op":"put","key":"k","value":{"n":1},"request_id":"r1"})");
  Ok(R"({"op":"crash","kind":"power"})");  // never synced
  Ok(R"({"op":"recover"})");
  Json r = Ok(R"({"op":"put","key":"k","value":{"n":1},"request_id":"r1"})");
  EXPECT_EQ(r.contains("duplicate"), false);  // the retry is written: the first was lost
  EXPECT_EQ(r["lsn"], 1);
}

}  // namespace
}  // namespace unbundled

namespace unbundled {
namespace {

// Random dual writes from two clients, with their second writes sent in a
// random interleaving or lost in client crashes, checked against a model of
// the contract written here independently: the log-fed index always ends
// consistent; the direct index holds, per key, the last write it was sent
// (in the order sent), and verify calls it consistent exactly when that
// equals storage folded up to the highest LSN it was sent.
class DualWriteProperty : public ::testing::TestWithParam<int> {};

TEST_P(DualWriteProperty, TheDirectIndexIsRightExactlyWhenItsWritesArrivedInOrderAndNoneWasLost) {
  std::uint64_t rng = 0x9E3779B97F4A7C15ull * (GetParam() + 1);
  auto next = [&rng](std::uint64_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
  };
  Simulator sim;
  auto ok = [&sim](const Json& step) {
    Json r = sim.Apply(step);
    EXPECT_EQ(r["ok"], true) << step.dump() << " -> " << r.dump();
    return r;
  };
  ok({{"op", "add_consumer"},
      {"consumer", {{"name", "log"}, {"type", "secondary_index"}, {"field", "city"}}}});
  ok({{"op", "add_consumer"},
      {"consumer",
       {{"name", "app"}, {"type", "secondary_index"}, {"field", "city"}, {"feed", "direct"}}}});
  const char* kKeys[] = {"k0", "k1", "k2"};
  const char* kCities[] = {"Oslo", "Rome", "Lima"};
  const char* kClients[] = {"A", "B"};
  // The model: every write by LSN (key -> city, "" for a delete), each
  // client's waiting second writes, the direct index's rows (key -> city)
  // and the highest LSN it was sent.
  std::map<std::uint64_t, std::pair<std::string, std::string>> writes;
  std::map<std::string, std::deque<std::uint64_t>> waiting;
  std::map<std::string, std::string> app;
  std::uint64_t app_position = 0;
  std::map<std::string, std::string> stored;
  auto send = [&](std::uint64_t lsn) {
    const auto& [key, city] = writes[lsn];
    if (city.empty()) {
      app.erase(key);
    } else {
      app[key] = city;
    }
    app_position = std::max(app_position, lsn);
  };
  for (int i = 0; i < 40; ++i) {
    const std::uint64_t choice = next(10);
    const std::string client = kClients[next(2)];
    if (choice < 5) {
      const std::string key = kKeys[next(3)];
      const bool del = next(5) == 0;
      if (del && stored.count(key) == 0) continue;  // an absent key writes nothing
      const std::string city = del ? "" : kCities[next(3)];
      const bool later = next(3) != 0;
      Json step = {{"op", del ? "delete" : "put"}, {"key", key}, {"direct", later ? "later" : "now"}};
      if (!del) step["value"] = {{"city", city}};
      if (later) step["client"] = client;
      const std::uint64_t lsn = ok(step)["lsn"].get<std::uint64_t>();
      writes[lsn] = {key, city};
      if (del) {
        stored.erase(key);
      } else {
        stored[key] = city;
      }
      if (later) {
        waiting[client].push_back(lsn);
      } else {
        send(lsn);
      }
    } else if (choice < 9) {
      if (waiting[client].empty()) continue;
      Json r = ok({{"op", "direct_write"}, {"client", client}});
      EXPECT_EQ(r["lsn"], waiting[client].front());
      send(waiting[client].front());
      waiting[client].pop_front();
    } else {
      if (waiting[client].empty()) continue;
      Json r = ok({{"op", "crash_client"}, {"client", client}});
      EXPECT_EQ(r["lost"].size(), waiting[client].size());
      waiting[client].clear();
    }
  }
  for (const char* c : kClients) {  // deliver whatever is still waiting, in order
    while (!waiting[c].empty()) {
      ok({{"op", "direct_write"}, {"client", c}});
      send(waiting[c].front());
      waiting[c].pop_front();
    }
  }
  ok({{"op", "flush"}});
  // Storage folded up to the direct index's position.
  std::map<std::string, std::string> reference;
  for (const auto& [lsn, write] : writes) {
    if (lsn > app_position) break;
    if (write.second.empty()) {
      reference.erase(write.first);
    } else {
      reference[write.first] = write.second;
    }
  }
  auto as_index = [](const std::map<std::string, std::string>& rows) {
    std::map<std::string, std::set<std::string>> index;
    for (const auto& [key, city] : rows) index[city].insert(key);
    return index;
  };
  const Json state = sim.State();
  Json app_state;
  for (const auto& c : state["consumers"]) {
    if (c["name"] == "app") app_state = c["state"];
  }
  std::map<std::string, std::set<std::string>> engine_app;
  for (const auto& [city, keys] : app_state.items()) {
    for (const auto& k : keys) engine_app[city].insert(k.get<std::string>());
  }
  EXPECT_EQ(engine_app, as_index(app)) << "the direct index holds the last write it was sent per key";
  const Json verify = ok({{"op", "verify"}});
  for (const auto& c : verify["consumers"]) {
    if (c["name"] == "log") {
      EXPECT_EQ(c["consistent"], true) << "the log-fed index always ends consistent";
    } else {
      EXPECT_EQ(c["consistent"].get<bool>(), as_index(app) == as_index(reference))
          << "verify judges the direct index as the model does";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DualWriteProperty, ::testing::Range(0, 200));

}  // namespace
}  // namespace unbundled
