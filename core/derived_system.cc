#include "core/derived_system.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace unbundled {

const std::vector<std::string> kDerivedSystemTypes = {"secondary_index", "materialized_view",
                                                      "full_text"};

void DerivedSystem::Apply(const ChangeEvent& event) {
  if (!event.before.is_null()) Remove(event.key, event.before);
  if (!event.after.is_null()) Add(event.key, event.after);
}

std::optional<std::string> IndexTerm(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return std::nullopt;
}

std::vector<std::string> Tokenize(const std::string& text) {
  std::set<std::string> tokens;
  std::string current;
  for (unsigned char c : text) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c >= 0x80) {
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                             : static_cast<char>(c));
    } else if (!current.empty()) {
      tokens.insert(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.insert(std::move(current));
  return {tokens.begin(), tokens.end()};
}

namespace {

// GCC and Clang (including for wasm32) provide 128-bit integers as an extension.
__extension__ typedef __int128 Int128;

using Postings = std::map<std::string, std::set<std::string>>;

Json PostingsToJson(const Postings& postings) {
  Json j = Json::object();
  for (const auto& [term, keys] : postings) j[term] = Json(keys);
  return j;
}

void AddPosting(Postings* postings, const std::string& term, const std::string& key) {
  (*postings)[term].insert(key);
}

void RemovePosting(Postings* postings, const std::string& term, const std::string& key) {
  auto it = postings->find(term);
  if (it == postings->end()) return;
  it->second.erase(key);
  if (it->second.empty()) postings->erase(it);
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

// Reads the single query term of a secondary index or view query.
Status QueryTerm(const Json& query, const std::string& name, const std::string& what,
                 std::string* term) {
  Status s = CheckFields(query, {name}, "", what + " query");
  if (!s.ok()) return s;
  auto it = query.find(name);
  if (it == query.end()) return Status::Invalid(name, "is required");
  auto t = IndexTerm(*it);
  if (!t) return Status::Invalid(name, "must be a string, number or boolean");
  *term = *t;
  return Status::OK();
}

class SecondaryIndex final : public DerivedSystem {
 public:
  explicit SecondaryIndex(std::string field) : field_(std::move(field)) {}

  std::unique_ptr<DerivedSystem> Clone() const override {
    return std::make_unique<SecondaryIndex>(*this);
  }

  Json State() const override { return PostingsToJson(postings_); }

  Status Query(const Json& query, Json* result) const override {
    std::string term;
    Status s = QueryTerm(query, "value", "secondary_index", &term);
    if (!s.ok()) return s;
    auto it = postings_.find(term);
    *result = it == postings_.end() ? Json::array() : Json(it->second);
    return Status::OK();
  }

 protected:
  void Add(const std::string& key, const Document& doc) override {
    if (auto term = TermOf(doc)) AddPosting(&postings_, *term, key);
  }
  void Remove(const std::string& key, const Document& doc) override {
    if (auto term = TermOf(doc)) RemovePosting(&postings_, *term, key);
  }

 private:
  std::optional<std::string> TermOf(const Document& doc) const {
    auto it = doc.find(field_);
    return it == doc.end() ? std::nullopt : IndexTerm(*it);
  }

  std::string field_;
  Postings postings_;
};

class MaterializedView final : public DerivedSystem {
 public:
  MaterializedView(std::string group_by, std::optional<std::string> sum)
      : group_by_(std::move(group_by)), sum_(std::move(sum)) {}

  std::unique_ptr<DerivedSystem> Clone() const override {
    return std::make_unique<MaterializedView>(*this);
  }

  Json State() const override {
    Json j = Json::object();
    for (const auto& [name, group] : groups_) j[name] = GroupToJson(group);
    return j;
  }

  Status Query(const Json& query, Json* result) const override {
    std::string term;
    Status s = QueryTerm(query, "group", "materialized_view", &term);
    if (!s.ok()) return s;
    auto it = groups_.find(term);
    *result = it == groups_.end() ? Json(nullptr) : GroupToJson(it->second);
    return Status::OK();
  }

 protected:
  void Add(const std::string&, const Document& doc) override { Change(doc, +1); }
  void Remove(const std::string&, const Document& doc) override { Change(doc, -1); }

 private:
  // Integers are summed exactly; other numbers as doubles. Keeping them apart
  // means a view of integer fields equals a fresh rebuild bit for bit, however
  // many updates it has seen.
  struct Group {
    std::int64_t count = 0;
    Int128 integer_sum = 0;
    double fractional_sum = 0;
    std::int64_t fractional_terms = 0;
  };

  static bool IsExactInteger(const Json& v) {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= (1ULL << 62);
      return true;
    }
    return false;
  }

  void Change(const Document& doc, int sign) {
    auto it = doc.find(group_by_);
    if (it == doc.end()) return;
    auto term = IndexTerm(*it);
    if (!term) return;
    Group& group = groups_[*term];
    group.count += sign;
    if (sum_) {
      auto v = doc.find(*sum_);
      if (v != doc.end() && v->is_number()) {
        if (IsExactInteger(*v)) {
          group.integer_sum += sign * static_cast<Int128>(v->get<std::int64_t>());
        } else {
          group.fractional_sum += sign * v->get<double>();
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
    return j;
  }

  std::string group_by_;
  std::optional<std::string> sum_;
  std::map<std::string, Group> groups_;
};

class FullTextIndex final : public DerivedSystem {
 public:
  // An empty `fields` means every top-level string field.
  explicit FullTextIndex(std::vector<std::string> fields) : fields_(std::move(fields)) {}

  std::unique_ptr<DerivedSystem> Clone() const override {
    return std::make_unique<FullTextIndex>(*this);
  }

  Json State() const override { return PostingsToJson(postings_); }

  Status Query(const Json& query, Json* result) const override {
    Status s = CheckFields(query, {"text"}, "", "full_text query");
    if (!s.ok()) return s;
    auto it = query.find("text");
    if (it == query.end()) return Status::Invalid("text", "is required");
    if (!it->is_string()) return Status::Invalid("text", "must be a string");
    std::vector<std::string> tokens = Tokenize(it->get<std::string>());
    std::set<std::string> keys;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      auto p = postings_.find(tokens[i]);
      if (p == postings_.end()) {
        keys.clear();
        break;
      }
      if (i == 0) {
        keys = p->second;
      } else {
        std::set<std::string> both;
        std::set_intersection(keys.begin(), keys.end(), p->second.begin(), p->second.end(),
                              std::inserter(both, both.end()));
        keys.swap(both);
      }
    }
    *result = Json(keys);
    return Status::OK();
  }

 protected:
  void Add(const std::string& key, const Document& doc) override {
    for (const auto& token : TokensOf(doc)) AddPosting(&postings_, token, key);
  }
  void Remove(const std::string& key, const Document& doc) override {
    for (const auto& token : TokensOf(doc)) RemovePosting(&postings_, token, key);
  }

 private:
  std::set<std::string> TokensOf(const Document& doc) const {
    std::set<std::string> tokens;
    auto add = [&tokens](const Json& v) {
      if (!v.is_string()) return;
      for (auto& t : Tokenize(v.get<std::string>())) tokens.insert(std::move(t));
    };
    if (fields_.empty()) {
      for (const auto& [name, value] : doc.items()) add(value);
    } else {
      for (const auto& f : fields_) {
        auto it = doc.find(f);
        if (it != doc.end()) add(*it);
      }
    }
    return tokens;
  }

  std::vector<std::string> fields_;
  Postings postings_;
};

}  // namespace

Status CreateDerivedSystem(const std::string& type, const Json& config,
                           const std::string& field_prefix,
                           std::unique_ptr<DerivedSystem>* out) {
  const std::string p = field_prefix.empty() ? "" : field_prefix + ".";
  if (!config.is_object()) return Status::Invalid(field_prefix, "config must be an object");
  Status s;
  if (type == "secondary_index") {
    if (!(s = CheckFields(config, {"field"}, p, type)).ok()) return s;
    std::string field;
    if (!(s = RequireNonEmptyString(config, "field", p, &field)).ok()) return s;
    *out = std::make_unique<SecondaryIndex>(field);
  } else if (type == "materialized_view") {
    if (!(s = CheckFields(config, {"group_by", "sum"}, p, type)).ok()) return s;
    std::string group_by;
    if (!(s = RequireNonEmptyString(config, "group_by", p, &group_by)).ok()) return s;
    std::optional<std::string> sum;
    if (config.contains("sum")) {
      std::string f;
      if (!(s = RequireNonEmptyString(config, "sum", p, &f)).ok()) return s;
      sum = f;
    }
    *out = std::make_unique<MaterializedView>(group_by, sum);
  } else if (type == "full_text") {
    if (!(s = CheckFields(config, {"fields"}, p, type)).ok()) return s;
    std::vector<std::string> fields;
    if (config.contains("fields")) {
      const Json& f = config["fields"];
      if (!f.is_array() || f.empty()) {
        return Status::Invalid(p + "fields", "must be a non-empty array of field names");
      }
      for (const auto& name : f) {
        if (!name.is_string() || name.get<std::string>().empty()) {
          return Status::Invalid(p + "fields", "must contain only non-empty strings");
        }
        fields.push_back(name.get<std::string>());
      }
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
