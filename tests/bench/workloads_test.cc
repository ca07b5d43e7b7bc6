// The benchmarks measure what they say: the put + flush workload sends each
// document as JSON text already in its stored form, which the engine logs as
// it is, and the log it writes is the one puts of the parsed documents write.
#include "bench/workloads.h"

#include <gtest/gtest.h>

#include "core/json_reader.h"
#include "core/json_writer.h"

namespace unbundled {
namespace bench {
namespace {

TEST(Workloads, ASmallDocumentsTextIsItsStoredForm) {
  std::string text;
  for (std::size_t i = 0; i < 5000; ++i) {
    SmallDocumentText(i, &text);
    std::string compact;
    ASSERT_TRUE(AppendCompactJson(SmallDocument(i), &compact));
    ASSERT_EQ(text, compact) << i;
    ASSERT_TRUE(IsStoredForm(text)) << text;
  }
}

TEST(Workloads, PutFlushNewLogsWhatPutsOfTheParsedDocumentsLog) {
  std::unique_ptr<Engine> engine;
  const Measure m = PutFlushNew(2000, &engine);
  EXPECT_EQ(m.n, 2000u);
  Engine parsed;
  AddThreeConsumers(&parsed);
  for (std::size_t i = 0; i < 2000; ++i) {
    WriteResult w;
    ASSERT_TRUE(parsed.Put(KeyOf(i), SmallDocument(i), WriteOptions(), &w).ok());
    std::size_t delivered;
    parsed.FlushAll(&delivered);
  }
  EXPECT_EQ(engine->wal().file().bytes().str(), parsed.wal().file().bytes().str());
  EXPECT_EQ(m.bytes, parsed.wal().file().size());
  for (const auto& name : {"by_city", "city_stats", "search"}) {
    EXPECT_EQ(engine->FindConsumer(name)->position(), 2000u) << name;
    EXPECT_EQ(engine->FindConsumer(name)->system().State(), parsed.FindConsumer(name)->system().State()) << name;
  }
}

// The late consumer's snapshot reads every row of storage, whatever its
// result lists, and leaves the simulator it was given as it was.
TEST(Workloads, ALateConsumersSnapshotReadsEveryRowOfACopy) {
  auto sim = SimulatorWithEntries(2000);
  const std::size_t rows = sim->State()["storage"]["data"].size();
  const std::string before = sim->StateJson();
  const Measure listed = LateConsumer(*sim, 20), all = LateConsumer(*sim, Engine::kAllEvents);
  EXPECT_EQ(listed.n, rows);
  EXPECT_EQ(all.n, rows);
  EXPECT_LT(listed.bytes * 10, all.bytes) << "20 events listed against " << rows;
  EXPECT_EQ(sim->StateJson(), before);
}

}  // namespace
}  // namespace bench
}  // namespace unbundled
