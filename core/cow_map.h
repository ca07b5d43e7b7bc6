// CowMap: a sorted map whose copies share their nodes (copy on write), for
// state that time travel checkpoints: a copy costs O(1), and a change to
// either copy afterwards copies only the O(log n) nodes on its path.
//
// It is a B+-tree. Leaves hold up to kMaxEntries entries in key order; an
// inner node holds up to kMaxEntries children, the smallest key each child
// may hold, and the number of entries under it, so the n-th entry and the
// rank of a key are found in O(log n) (a page shows a window of rows at any
// offset without walking to it).
//
// A node is changed in place when this map is its only owner, and copied
// first otherwise (shared_ptr's use count, copied from the root down, so a
// node reached through a copied parent is always seen as shared). An erase
// never merges nodes: an emptied node is removed, and a tree keeps the
// height its largest size needed. Single-threaded, as the engine is.
//
// Iterators and pointers into a map are invalidated by any change to it.
#ifndef UNBUNDLED_CORE_COW_MAP_H_
#define UNBUNDLED_CORE_COW_MAP_H_

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace unbundled {

// The order of a CowMap's keys: operator<, except for strings, compared here
// inline eight bytes at a time (byte-wise, as std::string compares) instead
// of through a call to memcmp: key comparisons were a sixth of a put.
struct CowLess {
  template <typename K>
  bool operator()(const K& a, const K& b) const {
    return a < b;
  }
  bool operator()(const std::string& a, const std::string& b) const {
    const std::size_t n = std::min(a.size(), b.size());
    const char* pa = a.data();
    const char* pb = b.data();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x, y;
      std::memcpy(&x, pa + i, 8);
      std::memcpy(&y, pb + i, 8);
      if (x != y) return Swap(x) < Swap(y);
    }
    for (; i < n; ++i) {
      const auto x = static_cast<unsigned char>(pa[i]), y = static_cast<unsigned char>(pb[i]);
      if (x != y) return x < y;
    }
    return a.size() < b.size();
  }

 private:
  // Big-endian order of the bytes, so integer order is byte-wise order.
  static std::uint64_t Swap(std::uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap64(v);
#endif
  }
};

template <typename K, typename V>
class CowMap {
 private:
  struct Node {
    // Room for kMaxEntries + 1 entries (a node overflows by one, then
    // splits) is reserved at once, so an insert never regrows a vector;
    // except in a tree's first leaf, which starts with room for kFirstRoom
    // and doubles it as it fills (Grow): many trees hold a few entries (a
    // full-text index holds a posting list per distinct token, most of one
    // key), and full room would cost them 33 keys each.
    Node(bool is_leaf, std::size_t room = kMaxEntries + 1) : leaf(is_leaf) { Reserve(room); }
    Node(const Node& o) : leaf(o.leaf), size(o.size) {
      Reserve(leaf ? o.keys.capacity() : kMaxEntries + 1);
      keys.assign(o.keys.begin(), o.keys.end());
      if (leaf) {
        vals.assign(o.vals.begin(), o.vals.end());
      } else {
        kids.assign(o.kids.begin(), o.kids.end());
      }
    }
    Node& operator=(const Node&) = delete;
    void Reserve(std::size_t room) {
      keys.reserve(room);
      if (leaf) {
        vals.reserve(room);
      } else {
        kids.reserve(room);
      }
    }
    // A leaf with no room left for one more entry doubles its room, up to
    // the full room.
    void Grow() {
      if (keys.size() < keys.capacity()) return;
      Reserve(std::min(kMaxEntries + 1, std::max(kFirstRoom, 2 * keys.capacity())));
    }
    bool leaf;
    std::size_t size = 0;  // entries under this node
    // Leaf: the entries' keys. Inner: keys[i] <= every key under kids[i]
    // (keys[0] is not used for routing).
    std::vector<K> keys;
    std::vector<V> vals;                       // leaf only
    std::vector<std::shared_ptr<Node>> kids;   // inner only

    // The child that holds (or would hold) `key`.
    std::size_t Route(const K& key) const {
      auto it = std::upper_bound(keys.begin() + 1, keys.end(), key, CowLess());
      return static_cast<std::size_t>(it - keys.begin()) - 1;
    }
  };
  using NodePtr = std::shared_ptr<Node>;

 public:
  static constexpr std::size_t kMaxEntries = 32;
  static constexpr std::size_t kFirstRoom = 2;

  CowMap() = default;
  CowMap(const CowMap&) = default;             // O(1): shares every node
  CowMap& operator=(const CowMap&) = default;  // O(1)
  CowMap(CowMap&&) noexcept = default;
  CowMap& operator=(CowMap&&) noexcept = default;

  std::size_t size() const { return root_ ? root_->size : 0; }
  bool empty() const { return size() == 0; }
  void clear() { root_.reset(); }

  // The value stored under `key`, or nullptr.
  const V* find(const K& key) const {
    const Node* node = root_.get();
    if (node == nullptr) return nullptr;
    while (!node->leaf) node = node->kids[node->Route(key)].get();
    auto it = std::lower_bound(node->keys.begin(), node->keys.end(), key, CowLess());
    if (it == node->keys.end() || CowLess()(key, *it)) return nullptr;
    return &node->vals[static_cast<std::size_t>(it - node->keys.begin())];
  }
  bool contains(const K& key) const { return find(key) != nullptr; }

  // The value under `key` for changing, inserted as V() when absent
  // (*inserted says which, if not null). Copies the shared nodes on its path.
  V& operator[](const K& key) { return Upsert(key, nullptr); }
  V& Upsert(const K& key, bool* inserted) {
    if (!root_) root_ = std::make_shared<Node>(true, kFirstRoom);
    Split split;
    bool added = false;
    V* value = Insert(&root_, key, &added, &split);
    if (split.node) {
      // The root split: a new root above the two halves.
      auto root = std::make_shared<Node>(false);
      root->size = root_->size + split.node->size;
      root->keys = {root_->keys.front(), std::move(split.key)};
      root->kids = {std::move(root_), std::move(split.node)};
      root_ = std::move(root);
    }
    if (inserted != nullptr) *inserted = added;
    return *value;
  }
  // Inserts or replaces.
  void Set(const K& key, V value) { Upsert(key, nullptr) = std::move(value); }
  // The value under `key` for changing, or nullptr (copying nothing) when
  // absent.
  V* FindMutable(const K& key) {
    if (find(key) == nullptr) return nullptr;
    return &Upsert(key, nullptr);
  }

  // Removes `key`; returns whether it was there. Copies nothing when absent.
  bool erase(const K& key) {
    if (find(key) == nullptr) return false;
    Erase(&root_, key);
    if (root_->size == 0) {
      root_.reset();
    } else {
      // A root left with one child hands over to it.
      while (!root_->leaf && root_->kids.size() == 1) root_ = root_->kids[0];
    }
    return true;
  }

  // The number of entries whose key is less than `key`.
  std::size_t Rank(const K& key) const {
    std::size_t rank = 0;
    const Node* node = root_.get();
    if (node == nullptr) return 0;
    while (!node->leaf) {
      std::size_t i = node->Route(key);
      for (std::size_t k = 0; k < i; ++k) rank += node->kids[k]->size;
      node = node->kids[i].get();
    }
    return rank + static_cast<std::size_t>(
                      std::lower_bound(node->keys.begin(), node->keys.end(), key, CowLess()) -
                      node->keys.begin());
  }

  class const_iterator;
  const_iterator begin() const { return At(0); }
  const_iterator end() const { return const_iterator(); }
  // The entry at index `n` in key order (end() when n >= size()). O(log n).
  const_iterator At(std::size_t n) const {
    const_iterator it;
    if (n >= size()) return it;
    const Node* node = root_.get();
    while (!node->leaf) {
      std::size_t i = 0;
      while (n >= node->kids[i]->size) n -= node->kids[i++]->size;
      it.Push(node, i);
      node = node->kids[i].get();
    }
    it.Push(node, n);
    return it;
  }
  // The first entry whose key is not less than `key`.
  const_iterator lower_bound(const K& key) const { return At(Rank(key)); }

  // Forward iteration in key order; *it gives {key, value} references.
  class const_iterator {
   public:
    const_iterator() = default;
    const K& key() const { return Leaf()->keys[index_[depth_ - 1]]; }
    const V& value() const { return Leaf()->vals[index_[depth_ - 1]]; }
    std::pair<const K&, const V&> operator*() const { return {key(), value()}; }
    const_iterator& operator++() {
      // Next entry in this leaf, or climb to the next child and go down its
      // leftmost path.
      std::size_t d = depth_ - 1;
      if (++index_[d] < Leaf()->keys.size()) return *this;
      while (d > 0) {
        --d;
        if (++index_[d] < path_[d]->kids.size()) {
          for (std::size_t e = d + 1; e < depth_; ++e) {
            path_[e] = path_[e - 1]->kids[index_[e - 1]].get();
            index_[e] = 0;
          }
          return *this;
        }
      }
      depth_ = 0;  // end
      return *this;
    }
    bool operator==(const const_iterator& o) const {
      if (depth_ == 0 || o.depth_ == 0) return depth_ == o.depth_;
      return Leaf() == o.Leaf() && index_[depth_ - 1] == o.index_[o.depth_ - 1];
    }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class CowMap;
    static constexpr std::size_t kMaxDepth = 16;  // 32^15 entries: never reached
    const Node* Leaf() const { return path_[depth_ - 1]; }
    void Push(const Node* node, std::size_t i) {
      path_[depth_] = node;
      index_[depth_] = static_cast<std::uint32_t>(i);
      ++depth_;
    }
    const Node* path_[kMaxDepth] = {};
    std::uint32_t index_[kMaxDepth] = {};
    std::size_t depth_ = 0;
  };

 private:

  // The right half of a node that overflowed, and its smallest key.
  struct Split {
    NodePtr node;
    K key{};
  };

  // Makes *node this map's own, copying it when another map shares it.
  static Node* Own(NodePtr* node) {
    if (node->use_count() > 1) *node = std::make_shared<Node>(**node);
    return node->get();
  }

  static V* Insert(NodePtr* ptr, const K& key, bool* added, Split* split) {
    Node* node = Own(ptr);
    if (node->leaf) {
      auto it = std::lower_bound(node->keys.begin(), node->keys.end(), key, CowLess());
      std::size_t i = static_cast<std::size_t>(it - node->keys.begin());
      if (it != node->keys.end() && !(CowLess()(key, *it))) return &node->vals[i];
      node->Grow();
      node->keys.insert(node->keys.begin() + static_cast<std::ptrdiff_t>(i), key);
      node->vals.insert(node->vals.begin() + static_cast<std::ptrdiff_t>(i), V());
      *added = true;
      ++node->size;
      if (node->keys.size() <= kMaxEntries) return &node->vals[i];
      // Split in halves; the new entry is in one of them.
      const std::size_t half = SplitOff(node, split);
      return i < half ? &node->vals[i] : &split->node->vals[i - half];
    }
    std::size_t i = node->Route(key);
    Split below;
    bool added_below = false;
    V* value = Insert(&node->kids[i], key, &added_below, &below);
    if (added_below) {
      *added = true;
      ++node->size;
    }
    if (!below.node) return value;
    node->keys.insert(node->keys.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                      std::move(below.key));
    node->kids.insert(node->kids.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                      std::move(below.node));
    if (node->kids.size() <= kMaxEntries) return value;
    SplitOff(node, split);
    return value;
  }

  // Moves the upper half of a node's entries (or children) into a new right
  // sibling, named in *split with its smallest key. Returns where it cut.
  static std::size_t SplitOff(Node* node, Split* split) {
    auto right = std::make_shared<Node>(node->leaf);
    const std::size_t half = node->keys.size() / 2;
    MoveTail(&node->keys, &right->keys, half);
    if (node->leaf) {
      MoveTail(&node->vals, &right->vals, half);
      node->size = node->keys.size();
      right->size = right->keys.size();
    } else {
      MoveTail(&node->kids, &right->kids, half);
      node->size = right->size = 0;
      for (const auto& kid : node->kids) node->size += kid->size;
      for (const auto& kid : right->kids) right->size += kid->size;
    }
    split->key = right->keys.front();
    split->node = std::move(right);
    return half;
  }

  template <typename T>
  static void MoveTail(std::vector<T>* from, std::vector<T>* to, std::size_t at) {
    to->assign(std::make_move_iterator(from->begin() + static_cast<std::ptrdiff_t>(at)),
               std::make_move_iterator(from->end()));
    from->erase(from->begin() + static_cast<std::ptrdiff_t>(at), from->end());
  }

  // Removes `key`, which is present under *ptr.
  static void Erase(NodePtr* ptr, const K& key) {
    Node* node = Own(ptr);
    --node->size;
    if (node->leaf) {
      auto it = std::lower_bound(node->keys.begin(), node->keys.end(), key, CowLess());
      assert(it != node->keys.end() && !(CowLess()(key, *it)));
      const auto i = it - node->keys.begin();
      node->keys.erase(it);
      node->vals.erase(node->vals.begin() + i);
      return;
    }
    const std::size_t i = node->Route(key);
    Erase(&node->kids[i], key);
    if (node->kids[i]->size == 0) {
      node->kids.erase(node->kids.begin() + static_cast<std::ptrdiff_t>(i));
      node->keys.erase(node->keys.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  NodePtr root_;
};

// A sorted set with the same sharing: a CowMap of keys to nothing.
struct Nothing {};
template <typename K>
using CowSet = CowMap<K, Nothing>;

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_COW_MAP_H_
