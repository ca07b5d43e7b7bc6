#include "core/derived_system.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "core/cow_map.h"
#include "core/json_writer.h"

namespace unbundled {

const std::vector<std::string> kDerivedSystemTypes = {"secondary_index", "materialized_view",
                                                      "full_text"};

void DerivedSystem::Apply(const ChangeEvent& event) {
  if (event.before) Remove(event.key, *event.before);
  if (event.after) Add(event.key, *event.after);
}

void DerivedSystem::Process(const ChangeEvent& event) {
  if (!upsert_) {
    Apply(event);
    return;
  }
  ChangeEvent own = event;
  const DocRef* last = store_.find(event.key);
  own.before = last != nullptr ? *last : nullptr;
  if (event.after) {
    store_.Set(event.key, event.after);
  } else {
    store_.erase(event.key);
  }
  Apply(own);
}

std::optional<std::string> IndexTerm(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return std::nullopt;
}

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  AppendTokens(text, &tokens);
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

void AppendTokens(std::string_view text, std::vector<std::string>* tokens) {
  auto in_token = [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c >= 0x80;
  };
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    while (i < n && !in_token(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < n && in_token(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) break;
    // Each run is copied once, then lower-cased in place.
    std::string& token = tokens->emplace_back(text.substr(start, i - start));
    for (char& c : token) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

namespace {

// GCC and Clang (including for wasm32) provide 128-bit integers as an extension.
__extension__ typedef __int128 Int128;

// Derived state lives in CowMaps: a consumer's copy (a checkpoint for time
// travel, its committed state) costs O(1) and shares what did not change.
using KeySet = CowSet<SharedKey>;
using Postings = CowMap<std::string, KeySet>;

// Whether two posting maps hold the same terms with the same keys: what
// comparing their PostingsToJson compares, without building either.
bool SamePostings(const Postings& a, const Postings& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i.key() != j.key()) return false;
    const KeySet& x = i.value();
    const KeySet& y = j.value();
    if (x.size() != y.size()) return false;
    for (auto k = x.begin(), l = y.begin(); k != x.end(); ++k, ++l) {
      if (!(k.key() == l.key())) return false;
    }
  }
  return true;
}

// The keys of a set, in order, as a JSON array.
Json KeysToJson(const KeySet& keys) {
  Json j = Json::array();
  for (auto it = keys.begin(); it != keys.end(); ++it) j.push_back(it.key());
  return j;
}

Json PostingsToJson(const Postings& postings) {
  Json j = Json::object();
  for (const auto& [term, keys] : postings) j[term] = KeysToJson(keys);
  return j;
}

// A posting list's row {"field" (when given), "key": term, "size" (when
// cut), "value": keys}, the keys cut to kRowItems.
void WritePostingRow(const std::string* field, const std::string& term, const KeySet& keys,
                     JsonText* out) {
  out->BeginObject();
  if (field != nullptr) out->Member("field", *field);
  out->Member("key", term);
  if (keys.size() > DerivedSystem::kRowItems) out->Member("size", keys.size());
  out->Key("value");
  out->BeginArray();
  keys.ForEach(0, DerivedSystem::kRowItems, [out](const SharedKey& key, const Nothing&) { out->String(key.view()); });
  out->EndArray();
  out->EndObject();
}

// Rows [start, start + count) of a map, each written by `row`, with *start
// and *count left for the next map in order. O(log n + count).
template <typename Map, typename WriteRow>
void WriteRowsOf(const Map& map, std::size_t* start, std::size_t* count, WriteRow row) {
  if (*start >= map.size()) {
    *start -= map.size();
    return;
  }
  const std::size_t n = std::min(*count, map.size() - *start);
  map.ForEach(*start, n, row);
  *start = 0;
  *count -= n;
}

void AddPosting(Postings* postings, std::string_view term, const SharedKey& key) {
  postings->Upsert(term, nullptr).Upsert(key, nullptr);
}

// AddPosting when the key is not there yet, changing nothing (and copying
// no shared node) when it is: an update's term that stays the same (the
// consumer's state may lack it, if the event that added it never reached
// this consumer: compacted away, or skipped by a recovery).
void KeepPosting(Postings* postings, std::string_view term, const SharedKey& key) {
  const KeySet* keys = postings->find(term);
  if (keys == nullptr || !keys->contains(key)) AddPosting(postings, term, key);
}

void RemovePosting(Postings* postings, std::string_view term, const SharedKey& key) {
  KeySet* keys = postings->FindMutable(term);
  if (keys == nullptr) return;
  keys->erase(key);
  if (keys->empty()) postings->erase(term);
}

// Checks that `object` has only `allowed` fields. `prefix` names the object.
Status CheckFields(const Json& object, const std::set<std::string>& allowed,
                   const std::string& prefix, const std::string& what) {
  for (const auto& [name, value] : object.items()) {
    if (!allowed.count(name)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Status::Invalid(prefix + name, "unknown field for " + what +
                                                (list.empty() ? "" : " (expected " + list + ")"));
    }
  }
  return Status::OK();
}

Status RequireNonEmptyString(const Json& object, const std::string& name,
                             const std::string& prefix, std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) return Status::Invalid(prefix + name, "is required");
  if (!it->is_string() || it->get<std::string>().empty()) {
    return Status::Invalid(prefix + name, "must be a non-empty string");
  }
  *out = it->get<std::string>();
  return Status::OK();
}

// Reads the query term `name` of a secondary index or view query.
Status QueryTerm(const Json& query, const std::string& name, std::string* term) {
  auto it = query.find(name);
  if (it == query.end()) return Status::Invalid(name, "is required");
  auto t = IndexTerm(*it);
  if (!t) return Status::Invalid(name, "must be a string, number or boolean");
  *term = *t;
  return Status::OK();
}

// One posting list per indexed field. The one-field form ({"field": F})
// keeps its state flat ({value: keys}); the several-field form
// ({"fields": [F, ...]}) shows {field: {value: keys}}.
class SecondaryIndex final : public DerivedSystem {
 public:
  SecondaryIndex(std::vector<std::string> fields, bool flat)
      : fields_(std::move(fields)), flat_(flat), postings_(fields_.size()) {}

  std::unique_ptr<DerivedSystem> Clone() const override {
    return std::make_unique<SecondaryIndex>(*this);
  }

  bool SameState(const DerivedSystem& other) const override {
    const auto* o = dynamic_cast<const SecondaryIndex*>(&other);
    if (o == nullptr || o->fields_ != fields_ || o->flat_ != flat_) {
      return DerivedSystem::SameState(other);
    }
    for (std::size_t i = 0; i < postings_.size(); ++i) {
      if (!SamePostings(postings_[i], o->postings_[i])) return false;
    }
    return true;
  }

  Json State() const override {
    if (flat_) return PostingsToJson(postings_[0]);
    Json j = Json::object();
    for (std::size_t i = 0; i < fields_.size(); ++i) j[fields_[i]] = PostingsToJson(postings_[i]);
    return j;
  }

  std::size_t RowCount() const override {
    std::size_t n = 0;
    for (const auto& p : postings_) n += p.size();
    return n;
  }

  void WriteRows(std::size_t start, std::size_t count, JsonText* out) const override {
    // In State()'s order: by field name.
    std::vector<std::size_t> order(fields_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [this](std::size_t a, std::size_t b) { return fields_[a] < fields_[b]; });
    for (std::size_t i : order) {
      if (count == 0) break;
      WriteRowsOf(postings_[i], &start, &count,
                  [this, i, out](const std::string& term, const KeySet& keys) {
                    WritePostingRow(flat_ ? nullptr : &fields_[i], term, keys, out);
                  });
    }
  }

  Status Query(const Json& query, Json* result) const override {
    Status s = CheckFields(query, {"field", "value"}, "", "secondary_index query");
    if (!s.ok()) return s;
    std::size_t which = 0;
    auto field = query.find("field");
    if (field != query.end()) {
      if (!field->is_string()) return Status::Invalid("field", "must be a string");
      which = fields_.size();
      for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (fields_[i] == field->get<std::string>()) which = i;
      }
      if (which == fields_.size()) {
        return Status::Invalid("field", "'" + field->get<std::string>() +
                                            "' is not indexed (indexed: " + FieldList() + ")");
      }
    } else if (fields_.size() > 1) {
      return Status::Invalid("field", "is required for an index over several fields (" +
                                          FieldList() + ")");
    }
    std::string term;
    if (!(s = QueryTerm(query, "value", &term)).ok()) return s;
    const KeySet* keys = postings_[which].find(term);
    *result = keys == nullptr ? Json::array() : KeysToJson(*keys);
    return Status::OK();
  }

  // The field a query asks about (for a fetch that checks storage).
  const std::string& FieldOf(const Json& query) const {
    auto field = query.find("field");
    if (field != query.end() && field->is_string()) {
      for (const auto& f : fields_) {
        if (f == field->get<std::string>()) return f;
      }
    }
    return fields_[0];
  }

 protected:
  // An update ends as a removal of the before document's terms and an
  // addition of the after document's would, but a term in both is only
  // looked up: removing and adding it again changed two paths of a posting
  // list that can hold every key.
  void Apply(const ChangeEvent& event) override {
    if (!event.before || !event.after) {
      DerivedSystem::Apply(event);
      return;
    }
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      auto before = TermOf(*event.before, fields_[i]), after = TermOf(*event.after, fields_[i]);
      if (before && before != after) RemovePosting(&postings_[i], *before, event.key);
      if (after) {
        if (before == after) {
          KeepPosting(&postings_[i], *after, event.key);
        } else {
          AddPosting(&postings_[i], *after, event.key);
        }
      }
    }
  }
  void Add(const SharedKey& key, const Doc& doc) override {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (auto term = TermOf(doc, fields_[i])) AddPosting(&postings_[i], *term, key);
    }
  }
  void Remove(const SharedKey& key, const Doc& doc) override {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (auto term = TermOf(doc, fields_[i])) RemovePosting(&postings_[i], *term, key);
    }
  }

 private:
  static std::optional<std::string> TermOf(const Doc& doc, const std::string& field) {
    DocValue value;
    return doc.Find(field, &value) ? IndexTerm(value) : std::nullopt;
  }
  std::string FieldList() const {
    std::string list;
    for (const auto& f : fields_) list += (list.empty() ? "" : ", ") + f;
    return list;
  }

  std::vector<std::string> fields_;
  bool flat_;
  std::vector<Postings> postings_;  // one per field, in fields_ order
};

// Per group: the count, optionally the sum of a numeric field, and
// optionally the list of keys in the group in the order they arrived.
class MaterializedView final : public DerivedSystem {
 public:
  MaterializedView(std::string group_by, std::optional<std::string> sum, bool list)
      : group_by_(std::move(group_by)), sum_(std::move(sum)), list_(list) {}

  // An update that keeps its key in the same group keeps its place in the
  // group's list; any other change is a removal and an addition.
  void Apply(const ChangeEvent& event) override {
    if (list_ && event.before && event.after) {
      auto before = GroupOf(*event.before), after = GroupOf(*event.after);
      if (before && after && *before == *after) {
        // Add first, so the group's count never passes through 0 (which
        // would drop the group and its list).
        Change(event.key, *event.after, +1, /*touch_list=*/false);
        Change(event.key, *event.before, -1, /*touch_list=*/false);
        return;
      }
    }
    DerivedSystem::Apply(event);
  }

  std::unique_ptr<DerivedSystem> Clone() const override {
    return std::make_unique<MaterializedView>(*this);
  }

  Json State() const override {
    Json j = Json::object();
    for (const auto& [name, group] : groups_) j[name] = GroupToJson(group);
    return j;
  }

  std::size_t RowCount() const override { return groups_.size(); }

  void WriteRows(std::size_t start, std::size_t count, JsonText* out) const override {
    WriteRowsOf(groups_, &start, &count, [this, out](const std::string& name, const Group& group) {
      Json row = {{"key", name}, {"value", GroupToJson(group)}};
      if (list_ && group.keys.size() > kRowItems) {
        Json list = Json::array();
        for (std::size_t k = 0; k < kRowItems; ++k) list.push_back(group.keys[k]);
        row["value"]["list"] = std::move(list);
        row["size"] = group.keys.size();
      }
      out->Value(row);
    });
  }

  Status Query(const Json& query, Json* result) const override {
    Status s = CheckFields(query, {"group"}, "", "materialized_view query");
    if (!s.ok()) return s;
    std::string term;
    if (!(s = QueryTerm(query, "group", &term)).ok()) return s;
    const Group* group = groups_.find(term);
    *result = group == nullptr ? Json(nullptr) : GroupToJson(*group);
    return Status::OK();
  }

 protected:
  void Add(const SharedKey& key, const Doc& doc) override { Change(key, doc, +1, true); }
  void Remove(const SharedKey& key, const Doc& doc) override {
    Change(key, doc, -1, true);
  }

 private:
  // Integers are summed exactly; other numbers as doubles. Keeping them apart
  // means a view of integer fields equals a fresh rebuild bit for bit, however
  // many updates it has seen.
  struct Group {
    std::int64_t count = 0;
    Int128 integer_sum = 0;
    double fractional_sum = 0;
    std::int64_t fractional_terms = 0;
    std::vector<SharedKey> keys;  // list: in arrival order
  };

  std::optional<std::string> GroupOf(const Doc& doc) const {
    DocValue value;
    return doc.Find(group_by_, &value) ? IndexTerm(value) : std::nullopt;
  }

  static bool IsExactInteger(const Json& v) {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= (1ULL << 62);
      return true;
    }
    return false;
  }

  void Change(const SharedKey& key, const Doc& doc, int sign, bool touch_list) {
    auto term = GroupOf(doc);
    if (!term) return;
    Group& group = groups_[*term];
    group.count += sign;
    if (list_ && touch_list) {
      if (sign > 0) {
        group.keys.push_back(key);
      } else {
        auto k = std::find(group.keys.begin(), group.keys.end(), key);
        if (k != group.keys.end()) group.keys.erase(k);
      }
    }
    if (sum_) {
      DocValue value;
      std::int64_t integer;
      if (doc.Find(*sum_, &value) && value.is_number()) {
        if (value.Integer(&integer)) {
          group.integer_sum += sign * static_cast<Int128>(integer);
        } else if (const Json v = value.ToJson(); IsExactInteger(v)) {
          group.integer_sum += sign * static_cast<Int128>(v.get<std::int64_t>());
        } else {
          group.fractional_sum += sign * v.get<double>();
          group.fractional_terms += sign;
          if (group.fractional_terms == 0) group.fractional_sum = 0;
        }
      }
    }
    if (group.count == 0) groups_.erase(*term);
  }

  Json GroupToJson(const Group& group) const {
    Json j = {{"count", group.count}};
    if (sum_) {
      const Int128 kMax = std::numeric_limits<std::int64_t>::max();
      bool fits = group.integer_sum <= kMax && group.integer_sum >= -kMax;
      if (group.fractional_terms == 0 && fits) {
        j["sum"] = static_cast<std::int64_t>(group.integer_sum);
      } else {
        j["sum"] = static_cast<double>(group.integer_sum) + group.fractional_sum;
      }
    }
    if (list_) j["list"] = group.keys;
    return j;
  }

  std::string group_by_;
  std::optional<std::string> sum_;
  bool list_;
  CowMap<std::string, Group> groups_;
};

class FullTextIndex final : public DerivedSystem {
 public:
  // An empty `fields` means every top-level string field.
  explicit FullTextIndex(std::vector<std::string> fields) : fields_(std::move(fields)) {}

  std::unique_ptr<DerivedSystem> Clone() const override {
    return std::make_unique<FullTextIndex>(*this);
  }

  Json State() const override { return PostingsToJson(postings_); }

  bool SameState(const DerivedSystem& other) const override {
    const auto* o = dynamic_cast<const FullTextIndex*>(&other);
    if (o == nullptr) return DerivedSystem::SameState(other);
    return SamePostings(postings_, o->postings_);
  }

  std::size_t RowCount() const override { return postings_.size(); }

  void WriteRows(std::size_t start, std::size_t count, JsonText* out) const override {
    WriteRowsOf(postings_, &start, &count, [out](const std::string& term, const KeySet& keys) {
      WritePostingRow(nullptr, term, keys, out);
    });
  }

  Status Query(const Json& query, Json* result) const override {
    Status s = CheckFields(query, {"text"}, "", "full_text query");
    if (!s.ok()) return s;
    auto it = query.find("text");
    if (it == query.end()) return Status::Invalid("text", "is required");
    if (!it->is_string()) return Status::Invalid("text", "must be a string");
    std::vector<std::string> tokens = Tokenize(it->get<std::string>());
    // The keys of the first token's posting list that every other token's
    // list holds too (in key order).
    Json keys = Json::array();
    std::vector<const KeySet*> lists;
    for (const auto& token : tokens) {
      const KeySet* list = postings_.find(token);
      if (list == nullptr) {
        lists.clear();
        break;
      }
      lists.push_back(list);
    }
    if (!lists.empty()) {
      for (const auto& [key, nothing] : *lists[0]) {
        bool everywhere = true;
        for (std::size_t i = 1; i < lists.size() && everywhere; ++i) {
          everywhere = lists[i]->contains(key);
        }
        if (everywhere) keys.push_back(key);
      }
    }
    *result = std::move(keys);
    return Status::OK();
  }

 protected:
  // An update ends as a removal of the before document's tokens and an
  // addition of the after document's would, but a token in both is only
  // looked up: a word every document has, removed and added again, changed
  // two paths of a posting list of every key.
  void Apply(const ChangeEvent& event) override {
    if (!event.before || !event.after) {
      DerivedSystem::Apply(event);
      return;
    }
    const std::vector<std::string>& before = TokensOf(*event.before, &scratch_before_);
    const std::vector<std::string>& after = TokensOf(*event.after, &scratch_);
    for (const auto& token : before) {
      if (!Has(after, token)) RemovePosting(&postings_, token, event.key);
    }
    for (const auto& token : after) {
      if (Has(before, token)) {
        KeepPosting(&postings_, token, event.key);
      } else {
        AddPosting(&postings_, token, event.key);
      }
    }
  }
  void Add(const SharedKey& key, const Doc& doc) override {
    for (const auto& token : TokensOf(doc, &scratch_)) AddPosting(&postings_, token, key);
  }
  void Remove(const SharedKey& key, const Doc& doc) override {
    for (const auto& token : TokensOf(doc, &scratch_)) RemovePosting(&postings_, token, key);
  }

 private:
  // The document's tokens, each once, into `*tokens` (a vector reused from
  // one document to the next): in no particular order when there are at
  // most kFewTokens, else sorted.
  const std::vector<std::string>& TokensOf(const Doc& doc, std::vector<std::string>* out) {
    std::vector<std::string>& tokens = *out;
    tokens.clear();
    // A string without escapes is tokenized where it lies in the text.
    auto add = [&tokens](const DocValue& v) {
      std::string_view plain;
      if (v.PlainString(&plain)) {
        AppendTokens(plain, &tokens);
      } else if (v.is_string()) {
        AppendTokens(v.String(), &tokens);
      }
    };
    if (fields_.empty()) {
      doc.ForEachField([&add](std::string_view, const DocValue& value) { add(value); });
    } else {
      DocValue value;
      for (const auto& f : fields_) {
        if (doc.Find(f, &value)) add(value);
      }
    }
    if (tokens.size() <= kFewTokens) {
      // A document's few tokens are made unique by comparing each with
      // those kept before it, cheaper than sorting them.
      std::size_t kept = 0;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        bool seen = false;
        for (std::size_t j = 0; j < kept && !seen; ++j) seen = tokens[j] == tokens[i];
        if (seen) continue;
        if (kept != i) tokens[kept] = std::move(tokens[i]);
        ++kept;
      }
      tokens.resize(kept);
    } else {
      std::sort(tokens.begin(), tokens.end());
      tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    }
    return tokens;
  }
  // Whether TokensOf's `tokens` hold `token`.
  static bool Has(const std::vector<std::string>& tokens, const std::string& token) {
    if (tokens.size() <= kFewTokens) return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
    return std::binary_search(tokens.begin(), tokens.end(), token);
  }
  static constexpr std::size_t kFewTokens = 8;

  std::vector<std::string> fields_;
  Postings postings_;
  std::vector<std::string> scratch_, scratch_before_;  // TokensOf's
};

// A non-empty list of distinct, non-empty field names.
Status FieldNames(const Json& f, const std::string& field, std::vector<std::string>* out) {
  if (!f.is_array() || f.empty()) {
    return Status::Invalid(field, "must be a non-empty array of field names");
  }
  std::set<std::string> seen;
  for (const auto& name : f) {
    if (!name.is_string() || name.get<std::string>().empty()) {
      return Status::Invalid(field, "must contain only non-empty strings");
    }
    if (!seen.insert(name.get<std::string>()).second) {
      return Status::Invalid(field, "names '" + name.get<std::string>() + "' twice");
    }
    out->push_back(name.get<std::string>());
  }
  return Status::OK();
}

}  // namespace

Status CreateDerivedSystem(const std::string& type, const Json& config,
                           const std::string& field_prefix,
                           std::unique_ptr<DerivedSystem>* out) {
  const std::string p = field_prefix.empty() ? "" : field_prefix + ".";
  if (!config.is_object()) return Status::Invalid(field_prefix, "config must be an object");
  Status s;
  if (type == "secondary_index") {
    if (!(s = CheckFields(config, {"field", "fields"}, p, type)).ok()) return s;
    if (config.contains("field") && config.contains("fields")) {
      return Status::Invalid(p + "fields", "give either \"field\" (one field) or \"fields\" "
                                           "(a list of fields), not both");
    }
    if (!config.contains("fields")) {
      std::string field;
      if (!(s = RequireNonEmptyString(config, "field", p, &field)).ok()) return s;
      *out = std::make_unique<SecondaryIndex>(std::vector<std::string>{field}, true);
    } else {
      std::vector<std::string> fields;
      if (!(s = FieldNames(config["fields"], p + "fields", &fields)).ok()) return s;
      *out = std::make_unique<SecondaryIndex>(std::move(fields), false);
    }
  } else if (type == "materialized_view") {
    if (!(s = CheckFields(config, {"group_by", "sum", "list"}, p, type)).ok()) return s;
    std::string group_by;
    if (!(s = RequireNonEmptyString(config, "group_by", p, &group_by)).ok()) return s;
    std::optional<std::string> sum;
    if (config.contains("sum")) {
      std::string f;
      if (!(s = RequireNonEmptyString(config, "sum", p, &f)).ok()) return s;
      sum = f;
    }
    bool list = false;
    if (config.contains("list")) {
      if (!config["list"].is_boolean()) return Status::Invalid(p + "list", "must be true or false");
      list = config["list"].get<bool>();
    }
    *out = std::make_unique<MaterializedView>(group_by, sum, list);
  } else if (type == "full_text") {
    if (!(s = CheckFields(config, {"fields"}, p, type)).ok()) return s;
    std::vector<std::string> fields;
    if (config.contains("fields")) {
      if (!(s = FieldNames(config["fields"], p + "fields", &fields)).ok()) return s;
    }
    *out = std::make_unique<FullTextIndex>(fields);
  } else {
    return Status::Invalid(p + "type", "unknown type '" + type +
                                           "' (expected secondary_index, materialized_view "
                                           "or full_text)");
  }
  return Status::OK();
}

}  // namespace unbundled
