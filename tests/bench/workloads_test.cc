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

}  // namespace
}  // namespace bench
}  // namespace unbundled
