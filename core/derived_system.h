// DerivedSystem: state derived from the change stream (an index, a view, a
// search index). It knows nothing of positions or the log; a Consumer feeds it
// change events in LSN order and records how far it got.
//
// Types and their configuration (see README.md, "Consumer specs"):
//   secondary_index   {"field": F} or {"fields": [F...]}  value of F -> sorted keys
//   materialized_view {"group_by": G, "sum"?: S, "list"?: bool}
//                                                     group -> {count, sum?, list?}
//   full_text         {"fields"?: [F...]}             token -> sorted keys
#ifndef UNBUNDLED_CORE_DERIVED_SYSTEM_H_
#define UNBUNDLED_CORE_DERIVED_SYSTEM_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cow_map.h"
#include "core/shared_key.h"
#include "core/status.h"
#include "core/types.h"

namespace unbundled {

class DerivedSystem {
 public:
  virtual ~DerivedSystem() = default;
  DerivedSystem& operator=(const DerivedSystem&) = delete;

  // A deep copy: the state a consumer commits together with its position.
  virtual std::unique_ptr<DerivedSystem> Clone() const = 0;

  // Processes one change event as the system's apply mode says: a delta
  // system applies it as it comes (Apply); an upsert system replaces the
  // event's `before` with its own copy of the key's last applied row first.
  void Process(const ChangeEvent& event);

  // Upsert mode (a consumer spec's "apply": "upsert"): the system keeps its
  // own copy of the last row it applied for each key, a state store as a
  // Kafka Streams KTable keeps, and subtracts that instead of the event's
  // `before`. Correct when events are missing (a compacted log) or repeated
  // (redelivery); costs one entry per key (shared documents).
  void SetUpsert(bool upsert) { upsert_ = upsert; }
  bool upsert() const { return upsert_; }
  std::size_t state_store_rows() const { return store_.size(); }
  // Whether the state store holds a row for `key` (upsert mode only).
  bool StoreHas(std::string_view key) const { return store_.find(key) != nullptr; }

  // The whole derived state, deterministic and sorted.
  virtual Json State() const = 0;
  // Whether `other` holds the same state: State() == other.State(). An
  // index answers from its trees, without building either state (verify
  // compares every consumer with a fresh one, at 100,000 entries).
  virtual bool SameState(const DerivedSystem& other) const { return State() == other.State(); }

  // The same state as rows, in State()'s order, for a page that draws a
  // window of them: {"key": K, "value": V} (plus "field": F for an index
  // over several fields). A list value longer than kRowItems is cut to its
  // first kRowItems, and "size" gives its full length. Cost O(start + count).
  // WriteRows writes rows [start, start + count) as the items of a JSON
  // array the caller opened.
  virtual std::size_t RowCount() const = 0;
  virtual void WriteRows(std::size_t start, std::size_t count, JsonText* out) const = 0;
  static constexpr std::size_t kRowItems = 50;

  // Answers a query from the state as it is now (stale if the consumer lags).
  // `query` holds the type's query fields, e.g. {"value": "London"}.
  virtual Status Query(const Json& query, Json* result) const = 0;

 protected:
  DerivedSystem() = default;
  DerivedSystem(const DerivedSystem&) = default;
  // Applies one change event: removes the `before` document's contribution
  // (if any) and adds the `after` document's (if any). Cannot fail: documents
  // were validated when they were written.
  virtual void Apply(const ChangeEvent& event);
  virtual void Add(const SharedKey& key, const Doc& doc) = 0;
  virtual void Remove(const SharedKey& key, const Doc& doc) = 0;

 private:
  bool upsert_ = false;
  CowMap<SharedKey, DocRef> store_;  // upsert: key -> the last row applied
};

extern const std::vector<std::string> kDerivedSystemTypes;

// Creates an empty derived system of `type` with `config` (an object of the
// type's fields). Errors name fields under `field_prefix`, e.g. "consumer.field".
Status CreateDerivedSystem(const std::string& type, const Json& config,
                           const std::string& field_prefix,
                           std::unique_ptr<DerivedSystem>* out);

// The text a JSON value is indexed and grouped under: a string as itself,
// a number or boolean as its JSON text; nullopt for null, arrays and objects.
// (IndexTerm(const DocValue&), core/doc.h, is the same for a stored field.)
std::optional<std::string> IndexTerm(const Json& value);

// Full-text tokens of `text`: maximal runs of ASCII letters, digits and bytes
// >= 0x80, ASCII letters lowercased. Sorted and unique.
std::vector<std::string> Tokenize(std::string_view text);
// Appends the tokens of `text` as they occur (repeats included, unsorted).
void AppendTokens(std::string_view text, std::vector<std::string>* tokens);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_DERIVED_SYSTEM_H_
