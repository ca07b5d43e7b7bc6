// core/interop: wal2json and Debezium in, Debezium out. One behaviour a test.
#include "core/interop.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/scenario.h"
#include "core/simulator.h"

namespace unbundled {
namespace interop {
namespace {

const char* kPk = R"("pk":[{"name":"id","type":"integer"}])";

std::string Insert(int id, const std::string& doc, const std::string& lsn = "0/10") {
  return R"({"action":"I","xid":7,"lsn":")" + lsn +
         R"(","schema":"public","table":"t","columns":[{"name":"id","type":"integer","value":)" +
         std::to_string(id) + R"(},{"name":"doc","type":"jsonb","value":)" + Json(doc).dump() + "}]," + kPk + "}";
}

Json Import(const std::string& text) {
  Json scenario;
  ImportReport report;
  ImportOptions options;
  options.source_name = "test";
  Status s = ImportWal2Json(text, options, &scenario, &report);
  EXPECT_TRUE(s.ok()) << s.message();
  return scenario;
}

Status ImportError(const std::string& text, bool debezium = false) {
  Json scenario = "untouched";
  ImportReport report;
  ImportOptions options;
  Status s = debezium ? ImportDebezium(text, options, &scenario, &report)
                      : ImportWal2Json(text, options, &scenario, &report);
  EXPECT_EQ(scenario, Json("untouched"));
  return s;
}

// The state after running a scenario.
Json StateAfter(const Json& scenario) {
  Simulator sim;
  ScenarioRun run;
  Status s = RunScenario(scenario, &sim, &run);
  EXPECT_TRUE(s.ok()) << s.message();
  for (const auto& r : run.results) EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
  return sim.State();
}

TEST(PgLsn, ParsesAndFormatsPostgresText) {
  PgLsn lsn = 0;
  ASSERT_TRUE(ParsePgLsn("16/B374D848", &lsn));
  EXPECT_EQ(lsn, (0x16ULL << 32) | 0xB374D848ULL);
  EXPECT_EQ(FormatPgLsn(lsn), "16/B374D848");
  EXPECT_FALSE(ParsePgLsn("16B374D848", &lsn));
  EXPECT_FALSE(ParsePgLsn("0/xyz", &lsn));
}

TEST(Wal2Json, InsertUpdateDeleteBecomePutPutDelete) {
  const std::string text = std::string(R"({"action":"B","xid":7})") + "\n" + Insert(1, R"({"a": 1})") + "\n" +
                           R"({"action":"U","xid":7,"lsn":"0/20","schema":"public","table":"t","columns":[{"name":"id","type":"integer","value":1},{"name":"doc","type":"jsonb","value":"{\"a\": 2}"}],"identity":[{"name":"id","type":"integer","value":1},{"name":"doc","type":"jsonb","value":"{\"a\": 1}"}],)" +
                           kPk + "}\n" +
                           R"({"action":"D","xid":7,"lsn":"0/30","schema":"public","table":"t","identity":[{"name":"id","type":"integer","value":1},{"name":"doc","type":"jsonb","value":"{\"a\": 2}"}],)" +
                           kPk + "}\n" + R"({"action":"C","xid":7,"lsn":"0/40","nextlsn":"0/48"})" + "\n";
  const Json state = StateAfter(Import(text));
  ASSERT_EQ(state["events"].size(), 3u);
  EXPECT_EQ(state["events"][0]["op"], "c");
  EXPECT_EQ(state["events"][1]["op"], "u");
  EXPECT_EQ(state["events"][1]["before"], Json::parse(R"({"id":1,"doc":{"a":1}})"));
  EXPECT_EQ(state["events"][1]["after"], Json::parse(R"({"id":1,"doc":{"a":2}})"));
  EXPECT_EQ(state["events"][2]["op"], "d");
  EXPECT_EQ(state["events"][2]["key"], "t:1");
  EXPECT_TRUE(state["storage"]["data"].empty());
}

TEST(Wal2Json, JsonbColumnsAreParsedOtherStringsAreNot) {
  const std::string text = R"({"action":"I","lsn":"0/10","schema":"public","table":"t","columns":[{"name":"id","type":"integer","value":1},{"name":"doc","type":"jsonb","value":"[1, {\"b\": null}]"},{"name":"s","type":"text","value":"[1]"}],)" +
                           std::string(kPk) + "}";
  const Json steps = Import(text)["steps"];
  EXPECT_EQ(steps[1]["value"], Json::parse(R"({"id":1,"doc":[1,{"b":null}],"s":"[1]"})"));
}

TEST(Wal2Json, ATransactionIsOneUnitEndingInOneSync) {
  const std::string text = std::string(R"({"action":"B","xid":9})") + "\n" + Insert(1, "{}") + "\n" +
                           Insert(2, "{}") + "\n" + R"({"action":"C","xid":9,"lsn":"0/40","nextlsn":"0/48"})";
  const Json steps = Import(text)["steps"];
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0]["op"], "configure");
  EXPECT_EQ(steps[0]["commit"], "async");
  EXPECT_EQ(steps[1]["op"], "put");
  EXPECT_NE(steps[1]["note"].get<std::string>().find("BEGIN of PostgreSQL transaction 9"), std::string::npos);
  EXPECT_NE(steps[1]["note"].get<std::string>().find("LSN 0/10"), std::string::npos);
  EXPECT_EQ(steps[2]["op"], "put");
  EXPECT_EQ(steps[3]["op"], "sync");
  EXPECT_NE(steps[3]["note"].get<std::string>().find("COMMIT of PostgreSQL transaction 9 (LSN 0/40)"),
            std::string::npos);
  EXPECT_EQ(steps[4]["op"], "flush");
}

TEST(Wal2Json, ConsumersSeeNothingOfATransactionBeforeItsCommit) {
  Json scenario = Import(std::string(R"({"action":"B","xid":9})") + "\n" + Insert(1, "{}") + "\n" +
                         Insert(2, "{}") + "\n" + R"({"action":"C","xid":9})");
  scenario["consumers"] = Json::parse(R"([{"name":"docs","type":"secondary_index","field":"doc"}])");
  // Stop after the first put, and flush: the consumer gets nothing.
  Json partial = scenario;
  partial["steps"] = Json::array({scenario["steps"][0], scenario["steps"][1], Json{{"op", "flush"}}});
  EXPECT_EQ(StateAfter(partial)["consumers"][0]["position"], 0);
  EXPECT_EQ(StateAfter(scenario)["consumers"][0]["position"], 2);
}

TEST(Wal2Json, PrimaryKeyChangeIsDeleteOfOldKeyThenPut) {
  const std::string text = Insert(1, "{}") + "\n" +
                           R"({"action":"U","schema":"public","table":"t","columns":[{"name":"id","type":"integer","value":2},{"name":"doc","type":"jsonb","value":"{}"}],"identity":[{"name":"id","type":"integer","value":1},{"name":"doc","type":"jsonb","value":"{}"}],)" +
                           kPk + "}";
  const Json state = StateAfter(Import(text));
  EXPECT_EQ(state["storage"]["data"].size(), 1u);
  EXPECT_TRUE(state["storage"]["data"].contains("t:2"));
}

TEST(Wal2Json, CompositeKeysEscapeCommasAndSchemasOtherThanPublicAreNamed) {
  const std::string text = R"({"action":"I","schema":"billing","table":"lines","columns":[{"name":"a","type":"text","value":"x,y"},{"name":"b","type":"integer","value":2}],"pk":[{"name":"a","type":"text"},{"name":"b","type":"integer"}]})";
  EXPECT_EQ(Import(text)["steps"][1]["key"], "billing.lines:x%2Cy,2");
}

TEST(Wal2Json, TruncatesAndMessagesAreSkippedWithANote) {
  const std::string text = std::string(R"({"action":"B","xid":5})") + "\n" +
                           R"({"action":"T","xid":5,"schema":"public","table":"t"})" + "\n" +
                           R"({"action":"C","xid":5})" + "\n" +
                           R"({"action":"M","transactional":false,"prefix":"p","content":"hi"})";
  Json scenario;
  ImportReport report;
  ASSERT_TRUE(ImportWal2Json(text, ImportOptions(), &scenario, &report).ok());
  EXPECT_EQ(report.truncates, 1u);
  EXPECT_EQ(report.messages, 1u);
  EXPECT_EQ(report.changes, 0u);
  const std::string all = scenario["steps"].dump();
  EXPECT_NE(all.find("Skipped: TRUNCATE t"), std::string::npos);
  EXPECT_NE(all.find("\\\"hi\\\""), std::string::npos);
  for (const auto& s : scenario["steps"]) EXPECT_NE(s["op"], "put");
}

TEST(Wal2Json, BadJsonNamesTheLine) {
  Status s = ImportError(Insert(1, "{}") + "\n\n{\"action\":");
  EXPECT_NE(s.message().find("line 3: not valid JSON"), std::string::npos) << s.message();
}

TEST(Wal2Json, MissingPkNamesLineAndField) {
  Status s = ImportError(R"({"action":"I","table":"t","columns":[]})");
  EXPECT_NE(s.message().find("line 1: pk: missing"), std::string::npos) << s.message();
}

TEST(Wal2Json, TableWithoutPrimaryKeyIsRefused) {
  Status s = ImportError(R"({"action":"I","table":"t","columns":[],"pk":[]})");
  EXPECT_NE(s.message().find("line 1: pk: table t has no primary key"), std::string::npos) << s.message();
}

TEST(Wal2Json, JsonbThatIsNotJsonNamesTheColumn) {
  Status s = ImportError(Insert(1, "{oops"));
  EXPECT_NE(s.message().find("line 1: columns[1].value: a jsonb column's text: not valid JSON"), std::string::npos)
      << s.message();
}

TEST(Wal2Json, JsonbNestedPastTheLimitIsRefusedNamingTheColumn) {
  Status s = ImportError(Insert(1, std::string(200, '[') + std::string(200, ']')));
  EXPECT_NE(s.message().find("line 1: columns[1].value: a jsonb column's text"), std::string::npos)
      << s.message();
}

TEST(Wal2Json, IntegerBeyondExactRangeIsRefusedNamingTheLine) {
  Status s = ImportError(R"({"action":"I","table":"t","columns":[{"name":"id","type":"bigint","value":9007199254740993}],)" +
                         std::string(kPk) + "}");
  EXPECT_EQ(s.message().rfind("line 1: columns[0].value: ", 0), 0u) << s.message();
}

TEST(Wal2Json, UnknownActionNamesLineAndField) {
  Status s = ImportError(R"({"action":"Z"})");
  EXPECT_NE(s.message().find("line 1: action: unknown action \"Z\""), std::string::npos) << s.message();
}

TEST(Wal2Json, BadLsnNamesTheField) {
  Status s = ImportError(R"({"action":"B","lsn":"nope"})");
  EXPECT_NE(s.message().find("line 1: lsn: must be a PostgreSQL LSN"), std::string::npos) << s.message();
}

TEST(Wal2JsonDecoder, AMessageInErrorChangesNothing) {
  Wal2JsonDecoder d;
  bool done = false;
  Transaction txn;
  ASSERT_TRUE(d.Feed(R"({"action":"B","xid":1})", "m1", &done, &txn).ok());
  ASSERT_TRUE(d.Feed(Insert(1, "{}"), "m2", &done, &txn).ok());
  EXPECT_FALSE(d.Feed(Insert(2, "{bad"), "m3", &done, &txn).ok());
  EXPECT_FALSE(done);
  ASSERT_TRUE(d.Feed(R"({"action":"C","xid":1,"nextlsn":"0/99"})", "m4", &done, &txn).ok());
  ASSERT_TRUE(done);
  EXPECT_EQ(txn.changes.size(), 1u);
  EXPECT_EQ(txn.end_lsn, 0x99u);
  EXPECT_EQ(d.report().changes, 1u);
}

// Mutated input (bytes replaced, lines cut) is imported or refused with an
// error naming its line; it never throws or crashes.
TEST(Interop, MutatedInputIsImportedOrRefusedNamingALine) {
  const std::string wal2json = std::string(R"({"action":"B","xid":7})") + "\n" + Insert(1, R"({"a": [1, {"b": "c"}]})") +
                               "\n" + R"({"action":"C","xid":7,"lsn":"0/40","nextlsn":"0/48"})" + "\n";
  const std::string debezium =
      R"({"schema":{"fields":[{"field":"after","fields":[{"field":"j","name":"io.debezium.data.Json"}]}]},"payload":{"op":"c","before":null,"after":{"id":1,"j":"[1]"},"source":{"schema":"s","table":"t","txId":3}}})"
      "\n"
      R"({"key":{"id":1},"value":{"op":"d","before":{"id":1},"after":null,"source":{"table":"t"}}})"
      "\n";
  const std::string alphabet = "{}[]\":,0123456789aBCDIU-/ \\n";
  unsigned seed = 14;
  auto next = [&seed]() { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  std::size_t refused = 0, imported = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = i % 2 ? debezium : wal2json;
    for (int m = 0, n = 1 + next() % 3; m < n; ++m) {
      text[next() % text.size()] = alphabet[next() % alphabet.size()];
    }
    Json scenario;
    ImportReport report;
    Status s = i % 2 ? ImportDebezium(text, ImportOptions(), &scenario, &report)
                     : ImportWal2Json(text, ImportOptions(), &scenario, &report);
    if (s.ok()) {
      ++imported;
      EXPECT_TRUE(ValidateScenario(scenario).ok());
    } else {
      ++refused;
      EXPECT_EQ(s.message().rfind("line ", 0), 0u) << s.message();
    }
  }
  EXPECT_GT(refused, 100u);
  EXPECT_GT(imported, 100u);
}

TEST(Debezium, EnvelopeWithAndWithoutWrapperAndTombstones) {
  const std::string text =
      R"({"schema":{},"payload":{"op":"c","before":null,"after":{"id":1,"n":"a"},"source":{"schema":"public","table":"t"}}})"
      "\n"
      R"({"op":"u","before":{"id":1,"n":"a"},"after":{"id":1,"n":"b"},"source":{"table":"t"}})"
      "\n"
      "null\n"
      R"({"schema":{},"payload":null})"
      "\n"
      R"({"op":"r","after":{"id":2},"source":{"table":"t"}})"
      "\n"
      R"({"op":"d","before":{"id":2},"after":null,"source":{"table":"t"}})";
  Json scenario;
  ImportReport report;
  ASSERT_TRUE(ImportDebezium(text, ImportOptions(), &scenario, &report).ok());
  EXPECT_EQ(report.tombstones, 2u);
  EXPECT_EQ(report.changes, 4u);
  EXPECT_EQ(report.snapshot_reads, 1u);
  const Json state = StateAfter(scenario);
  EXPECT_EQ(state["storage"]["data"], Json::parse(R"({"t:1":{"id":1,"n":"b"}})"));
}

TEST(Debezium, KeyFieldsOptionNamesThePrimaryKey) {
  ImportOptions options;
  options.key_fields = {"sku"};
  Json scenario;
  ImportReport report;
  ASSERT_TRUE(ImportDebezium(R"({"op":"c","after":{"sku":"A7"},"source":{"table":"p"}})", options, &scenario,
                             &report).ok());
  EXPECT_EQ(scenario["steps"][1]["key"], "p:A7");
}

TEST(Debezium, EventsOfOneTransactionAreOneUnit) {
  const std::string text = R"({"op":"c","after":{"id":1},"source":{"table":"t","txId":5}})"
                           "\n"
                           R"({"op":"c","after":{"id":2},"source":{"table":"t","txId":5}})"
                           "\n"
                           R"({"op":"c","after":{"id":3},"source":{"table":"t","txId":6}})";
  Json scenario;
  ImportReport report;
  ASSERT_TRUE(ImportDebezium(text, ImportOptions(), &scenario, &report).ok());
  std::string ops;
  for (const auto& s : scenario["steps"]) ops += s["op"].get<std::string>() + " ";
  EXPECT_EQ(ops, "configure put put sync flush put sync flush ");
  EXPECT_EQ(report.transactions, 2u);
}

TEST(Debezium, UnknownOpNamesLineAndField) {
  Status s = ImportError("null\n{\"op\":\"q\"}", true);
  EXPECT_NE(s.message().find("line 2: op: unknown op \"q\""), std::string::npos) << s.message();
}

TEST(Debezium, MissingAfterNamesLineAndField) {
  Status s = ImportError(R"({"op":"c","after":null,"source":{"table":"t"}})", true);
  EXPECT_NE(s.message().find("line 1: after: must be the row"), std::string::npos) << s.message();
}

TEST(Debezium, MissingTableNamesTheField) {
  Status s = ImportError(R"({"op":"c","after":{"id":1}})", true);
  EXPECT_NE(s.message().find("line 1: source.table: must be a string"), std::string::npos) << s.message();
}

TEST(Export, EnvelopeHasOpBeforeAfterSourceLsnAndStepIndexAsTs) {
  const Json scenario = Json::parse(R"({"title":"x","steps":[
      {"op":"put","key":"k","value":{"a":1}},
      {"op":"get","key":"k"},
      {"op":"put","key":"k","value":{"a":2}},
      {"op":"delete","key":"k"}]})");
  std::string ndjson;
  ASSERT_TRUE(ExportDebezium(scenario.dump(), &ndjson).ok());
  std::vector<Json> lines;
  std::size_t from = 0;
  for (std::size_t at = ndjson.find('\n'); at != std::string::npos; at = ndjson.find('\n', from)) {
    lines.push_back(Json::parse(ndjson.substr(from, at - from)));
    from = at + 1;
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["op"], "c");
  EXPECT_EQ(lines[0]["before"], nullptr);
  EXPECT_EQ(lines[0]["after"], Json::parse(R"({"key":"k","value":{"a":1}})"));
  EXPECT_EQ(lines[0]["source"]["lsn"], 1);
  EXPECT_EQ(lines[0]["ts_ms"], 0);
  EXPECT_EQ(lines[1]["op"], "u");
  EXPECT_EQ(lines[1]["before"]["value"], Json::parse(R"({"a":1})"));
  EXPECT_EQ(lines[1]["ts_ms"], 2);  // step 1 (get) wrote nothing
  EXPECT_EQ(lines[1]["source"]["ts_ms"], 2);
  EXPECT_EQ(lines[2]["op"], "d");
  EXPECT_EQ(lines[2]["after"], nullptr);
  EXPECT_EQ(lines[2]["source"]["lsn"], 3);
  EXPECT_EQ(lines[2]["source"]["connector"], "unbundled");
}

// The reference for an export's line: the envelope built as JSON values
// (DebeziumEnvelope of the event as a view lists it), its members in the
// documented order, dumped by nlohmann.
std::string ReferenceLine(const Json& event, std::size_t step) {
  const Json env = DebeziumEnvelope(event, step);
  nlohmann::ordered_json out;
  for (const char* m : {"before", "after", "source", "op", "ts_ms"}) out[m] = env[m];
  nlohmann::ordered_json source;
  for (const char* m : {"version", "connector", "name", "ts_ms", "snapshot", "db", "table", "lsn"}) {
    source[m] = env["source"][m];
  }
  out["source"] = source;
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// Random histories of puts (keys and values with quotes, backslashes,
// control characters and multi-byte UTF-8), updates, deletes, syncs,
// crashes of both kinds and recoveries, some ending with the database
// down, each step taken by Apply or by Replay (no result built) at random:
// the exporter's lines, written as text, are byte for byte the reference's,
// line for line, in windows of any size.
TEST(Export, LinesAreTheOrderedDumpOfEachEnvelope) {
  const std::vector<std::string> keys = {"a", "k\"q", "back\\slash", "tab\tkey", "caf\xC3\xA9", "\xF0\x9F\x98\x80", "long-key-" + std::string(40, 'x')};
  const std::vector<Json> values = {
      Json::parse(R"({"a":1})"), Json::parse(R"({"s":"line\nbreak \"q\" \u0001 caf\u00e9"})"),
      Json::parse(R"({"n":-2.5,"list":[1,{"x":null}],"t":true})"), Json::parse(R"({"z":"","b":{"c":{"d":[]}}})")};
  for (unsigned seed = 1; seed <= 12; ++seed) {
    std::mt19937 rng(seed);
    std::mt19937 way(seed + 1000);  // Apply or Replay, apart from the history's choices
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    DebeziumExporter exporter;
    Simulator reference;
    std::vector<std::pair<Lsn, std::size_t>> heads;
    for (std::size_t i = 0; i < 150; ++i) {
      Json step;
      const std::size_t r = pick(20);
      if (r < 10) step = {{"op", "put"}, {"key", keys[pick(keys.size())]}, {"value", values[pick(values.size())]}};
      else if (r < 13) step = {{"op", "delete"}, {"key", keys[pick(keys.size())]}};
      else if (r < 16) step = {{"op", "sync"}};
      else if (r == 16) step = {{"op", "crash"}, {"kind", pick(2) ? "power" : "process"}};
      else step = {{"op", "recover"}};
      if (way() % 2) {
        exporter.Apply(i, step);
      } else {
        exporter.Replay(i, step);
      }
      reference.Apply(step);
      if (!reference.engine().down() && reference.engine().wal().head() > (heads.empty() ? 0 : heads.back().first)) {
        heads.emplace_back(reference.engine().wal().head(), i);
      }
    }
    if (seed % 3 == 0) {
      // Ending down after a power loss: the events whose records still read back.
      const Json crash = {{"op", "crash"}, {"kind", "power"}};
      exporter.Apply(150, crash);
      reference.Apply(crash);
      ASSERT_TRUE(reference.engine().down());
    }
    const Json events = reference.View(Json{{"wal", {{"count", 0}}}, {"storage", {{"count", 0}}},
                                            {"events", {{"start", 0}, {"count", Simulator::kMaxViewWindow}}}})["events"];
    ASSERT_EQ(exporter.EventCount(), events["total"].get<std::size_t>()) << "seed " << seed;
    std::vector<std::string> want;
    for (const auto& e : events["items"]) {
      auto it = std::lower_bound(heads.begin(), heads.end(), std::make_pair(e["lsn"].get<Lsn>(), std::size_t{0}));
      want.push_back(ReferenceLine(e, it == heads.end() ? 0 : it->second));
    }
    ASSERT_FALSE(want.empty()) << "seed " << seed;
    std::string all;
    ASSERT_TRUE(exporter.AppendLines(0, want.size(), &all).ok());
    std::string joined;
    for (const auto& w : want) joined += w;
    EXPECT_EQ(all, joined) << "seed " << seed;
    // In windows of 1, 2 and 7 events: the same text.
    for (std::size_t window : {1u, 2u, 7u}) {
      std::string parts;
      for (std::size_t start = 0; start < want.size(); start += window) {
        ASSERT_TRUE(exporter.AppendLines(start, window, &parts).ok());
      }
      EXPECT_EQ(parts, joined) << "seed " << seed << ", windows of " << window;
    }
  }
}

TEST(Export, MalformedScenarioIsAnErrorAndWritesNothing) {
  std::string ndjson = "untouched";
  Status s = ExportDebezium(R"({"title":"x","steps":[{"op":"putt"}]})", &ndjson);
  EXPECT_NE(s.message().find("steps[0].op: unknown op"), std::string::npos) << s.message();
  EXPECT_EQ(ndjson, "untouched");
}

}  // namespace
}  // namespace interop
}  // namespace unbundled
