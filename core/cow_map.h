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
// first otherwise (a count of owners kept in the node, copied from the root
// down, so a node reached through a copied parent is always seen as shared).
// An erase never merges nodes: an emptied node is removed, and a tree keeps
// the height its largest size needed. Single-threaded, as the engine is:
// the count is not atomic.
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
#include <new>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node_pool.h"

namespace unbundled {

// How a CowMap orders its keys, fast: each key's head (its first eight
// bytes, big-endian, so that integer order is byte-wise order, or an
// unsigned integer key itself) is kept in the node beside it, so a search
// compares integers and looks at a key only when two heads are equal.
template <typename K, typename Enable = void>
struct CowKey;

// Byte-wise order of strings, by heads.
struct StringCowKey {
  static std::uint64_t StringHead(std::string_view s) {
    std::uint64_t x = 0;
    std::memcpy(&x, s.data(), std::min<std::size_t>(8, s.size()));
    return BigEndian(x);
  }
  // a < b (byte-wise, as std::string compares), given equal heads: the
  // first eight bytes agree (a key shorter than eight is padded with
  // zeros), so a key of at most eight bytes is a prefix of the other.
  static bool StringLessTie(std::string_view a, std::string_view b) {
    if (a.size() <= 8 || b.size() <= 8) return a.size() < b.size();
    const std::size_t n = std::min(a.size(), b.size());
    const char* pa = a.data();
    const char* pb = b.data();
    std::size_t i = 8;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x, y;
      std::memcpy(&x, pa + i, 8);
      std::memcpy(&y, pb + i, 8);
      if (x != y) return BigEndian(x) < BigEndian(y);
    }
    for (; i < n; ++i) {
      const auto x = static_cast<unsigned char>(pa[i]), y = static_cast<unsigned char>(pb[i]);
      if (x != y) return x < y;
    }
    return a.size() < b.size();
  }
  // a == b, given equal heads.
  static bool StringEqualTie(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           (a.size() <= 8 || std::memcmp(a.data() + 8, b.data() + 8, a.size() - 8) == 0);
  }

 private:
  static std::uint64_t BigEndian(std::uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap64(v);
#endif
  }
};

// std::string keys, found by any string (a lookup by std::string_view
// builds no string).
template <>
struct CowKey<std::string> : StringCowKey {
  static std::uint64_t Head(std::string_view s) { return StringHead(s); }
  static bool LessTie(std::string_view a, std::string_view b) { return StringLessTie(a, b); }
  static bool EqualTie(std::string_view a, std::string_view b) { return StringEqualTie(a, b); }
};

// An unsigned integer key is its own head.
template <typename K>
struct CowKey<K, std::enable_if_t<std::is_integral<K>::value && std::is_unsigned<K>::value &&
                                  sizeof(K) <= 8>> {
  static std::uint64_t Head(K k) { return k; }
  static bool LessTie(K, K) { return false; }
  static bool EqualTie(K, K) { return true; }
};

template <typename K, typename V>
class CowMap {
 private:
  using Key = CowKey<K>;
  // Sets (V empty) keep no values.
  static constexpr bool kHasValues = !std::is_empty<V>::value;
  struct Node;

  // A node's owner: a count of owners kept in the node (the engine is
  // single-threaded, so it needs no atomic operations).
  class NodePtr {
   public:
    NodePtr() = default;
    explicit NodePtr(Node* node) : node_(node) {}  // takes the first owner
    NodePtr(const NodePtr& o) : node_(o.node_) {
      if (node_ != nullptr) ++node_->owners;
    }
    NodePtr(NodePtr&& o) noexcept : node_(o.node_) { o.node_ = nullptr; }
    NodePtr& operator=(const NodePtr& o) {
      NodePtr copy(o);
      swap(copy);
      return *this;
    }
    NodePtr& operator=(NodePtr&& o) noexcept {
      NodePtr moved(std::move(o));
      swap(moved);
      return *this;
    }
    ~NodePtr() { reset(); }
    void reset() {
      if (node_ != nullptr && --node_->owners == 0) Node::Free(node_);
      node_ = nullptr;
    }
    void swap(NodePtr& o) noexcept { std::swap(node_, o.node_); }
    Node* get() const { return node_; }
    Node* operator->() const { return node_; }
    Node& operator*() const { return *node_; }
    explicit operator bool() const { return node_ != nullptr; }
    bool shared() const { return node_->owners > 1; }

   private:
    Node* node_ = nullptr;
  };

  // A node is one allocation: this header, then the heads of its entries
  // by sorted position, their keys and their values (a leaf of a map) or
  // children (an inner node) in slots, and the order of its slots. Entries
  // keep the slot they arrived in: an insert appends to the slots and moves
  // only the bytes of `heads` and `order` up by one (moving a string was a
  // call to memcpy, and half a leaf moved on every insert), and a search
  // compares heads, looking at a key only when two are equal.
  //
  // Room for kMaxEntries + 1 entries (a node overflows by one, then splits)
  // is made at once, except in a tree's first leaf, which starts with room
  // for kFirstRoom and doubles it as it fills (Grow): many trees hold a few
  // entries (a full-text index holds a posting list per distinct token,
  // most of one key), and full room would cost them 33 keys each.
  struct Node {
    std::uint32_t owners = 1;
    std::uint8_t count = 0;  // entries (leaf) or children (inner)
    std::uint8_t room = 0;
    bool leaf = true;
    // Where the keys, the values or children, and the order lie (bytes
    // from the node's start; the heads lie right after this header).
    std::uint16_t keys_at = 0, slots_at = 0, order_at = 0;
    std::size_t size = 0;  // entries under this node

    // Where each array lies for a node of `room` entries.
    struct Layout {
      std::size_t heads, keys, slots, order, bytes;
    };
    static std::size_t Up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
    static Layout LayoutOf(bool leaf, std::size_t room) {
      Layout l;
      l.heads = Up(sizeof(Node), alignof(std::uint64_t));
      l.keys = Up(l.heads + room * sizeof(std::uint64_t), alignof(K));
      std::size_t end = l.keys + room * sizeof(K);
      if (!leaf) {
        l.slots = Up(end, alignof(NodePtr));
        end = l.slots + room * sizeof(NodePtr);
      } else if (kHasValues) {
        l.slots = Up(end, alignof(V));
        end = l.slots + room * sizeof(V);
      } else {
        l.slots = end;
      }
      l.order = end;
      l.bytes = Up(l.order + room, alignof(std::max_align_t));
      return l;
    }

    static Node* Make(bool leaf, std::size_t room) {
      void* bytes = node_pool::Allocate(LayoutOf(leaf, room).bytes);
      Node* node = new (bytes) Node();
      node->leaf = leaf;
      node->room = static_cast<std::uint8_t>(room);
      const Layout l = LayoutOf(leaf, room);
      node->keys_at = static_cast<std::uint16_t>(l.keys);
      node->slots_at = static_cast<std::uint16_t>(l.slots);
      node->order_at = static_cast<std::uint16_t>(l.order);
      return node;
    }
    // A copy of `o` with room for `room` entries (its entries moved when
    // `move` is set, else copied).
    static Node* Remake(Node* o, std::size_t room, bool move) {
      Node* node = Make(o->leaf, room);
      node->size = o->size;
      try {
        Fill(node, o, move);
      } catch (...) {
        Free(node);  // what was built so far
        throw;
      }
      std::memcpy(node->Heads(), o->Heads(), o->count * sizeof(std::uint64_t));
      std::memcpy(node->Order(), o->Order(), o->count);
      return node;
    }
    static void Fill(Node* node, Node* o, bool move) {
      for (std::size_t s = 0; s < o->count; ++s) {
        if (move) {
          new (node->KeySlot(s)) K(std::move(*o->KeySlot(s)));
        } else {
          new (node->KeySlot(s)) K(*o->KeySlot(s));
        }
        if (!o->leaf) {
          if (move) {
            new (node->KidSlot(s)) NodePtr(std::move(*o->KidSlot(s)));
          } else {
            new (node->KidSlot(s)) NodePtr(*o->KidSlot(s));
          }
        } else if (kHasValues) {
          try {
            if (move) {
              new (node->ValSlot(s)) V(std::move(*o->ValSlot(s)));
            } else {
              new (node->ValSlot(s)) V(*o->ValSlot(s));
            }
          } catch (...) {
            node->KeySlot(s)->~K();
            throw;
          }
        }
        // Counted as it goes, so an exception frees what was built.
        node->count = static_cast<std::uint8_t>(s + 1);
      }
    }
    static void Free(Node* node) {
      for (std::size_t s = 0; s < node->count; ++s) node->DestroySlot(s);
      const std::size_t bytes = LayoutOf(node->leaf, node->room).bytes;
      node->~Node();
      node_pool::Free(node, bytes);
    }

    unsigned char* Bytes() { return reinterpret_cast<unsigned char*>(this); }
    const unsigned char* Bytes() const { return reinterpret_cast<const unsigned char*>(this); }
    static constexpr std::size_t kHeadsAt = (sizeof(Node) + 7) / 8 * 8;
    std::uint64_t* Heads() { return reinterpret_cast<std::uint64_t*>(Bytes() + kHeadsAt); }
    const std::uint64_t* Heads() const {
      return reinterpret_cast<const std::uint64_t*>(Bytes() + kHeadsAt);
    }
    std::uint8_t* Order() { return Bytes() + order_at; }
    const std::uint8_t* Order() const { return Bytes() + order_at; }
    K* KeySlot(std::size_t s) {
      return reinterpret_cast<K*>(Bytes() + keys_at) + s;
    }
    const K* KeySlot(std::size_t s) const {
      return reinterpret_cast<const K*>(Bytes() + keys_at) + s;
    }
    V* ValSlot(std::size_t s) {
      return reinterpret_cast<V*>(Bytes() + slots_at) + s;
    }
    const V* ValSlot(std::size_t s) const {
      return reinterpret_cast<const V*>(Bytes() + slots_at) + s;
    }
    NodePtr* KidSlot(std::size_t s) {
      return reinterpret_cast<NodePtr*>(Bytes() + slots_at) + s;
    }
    NodePtr* const_kid(std::size_t s) const {
      return reinterpret_cast<NodePtr*>(const_cast<unsigned char*>(Bytes()) +
                                        slots_at) + s;
    }
    void DestroySlot(std::size_t s) {
      KeySlot(s)->~K();
      if (!leaf) {
        KidSlot(s)->~NodePtr();
      } else if (kHasValues) {
        ValSlot(s)->~V();
      }
    }

    const K& KeyAt(std::size_t p) const { return *KeySlot(Order()[p]); }
    V& ValAt(std::size_t p) { return kHasValues ? *ValSlot(Order()[p]) : Empty(); }
    const V& ValAt(std::size_t p) const { return kHasValues ? *ValSlot(Order()[p]) : Empty(); }
    NodePtr* KidPtrAt(std::size_t p) { return KidSlot(Order()[p]); }
    Node* KidAt(std::size_t p) const { return const_kid(Order()[p])->get(); }

    // key < the key at position p.
    template <typename A>
    bool Below(const A& key, std::uint64_t head, const std::uint64_t* heads, std::size_t p) const {
      return head != heads[p] ? head < heads[p] : Key::LessTie(key, KeyAt(p));
    }
    // The key at position p < key.
    template <typename A>
    bool Above(const A& key, std::uint64_t head, const std::uint64_t* heads, std::size_t p) const {
      return heads[p] != head ? heads[p] < head : Key::LessTie(KeyAt(p), key);
    }
    // The first position whose key is not less than `key`.
    template <typename A>
    std::size_t LowerBound(const A& key, std::uint64_t head) const {
      const std::uint64_t* heads = Heads();
      std::size_t lo = 0, hi = count;
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (Above(key, head, heads, mid)) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }
    template <typename A>
    bool Holds(const A& key, std::uint64_t head, std::size_t p) const {
      return p < count && Heads()[p] == head && Key::EqualTie(key, KeyAt(p));
    }
    // The position of the child that holds (or would hold) `key`: the last
    // whose smallest key is not greater than it (position 0's key is not
    // used for routing).
    template <typename A>
    std::size_t Route(const A& key, std::uint64_t head) const {
      const std::uint64_t* heads = Heads();
      std::size_t lo = 1, hi = count;
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (Below(key, head, heads, mid)) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo - 1;
    }

    // Puts `key` (with a value-initialized value, or `kid`) in the next
    // slot, at sorted position p. There must be room.
    template <typename KeyArg>
    void Add(std::size_t p, std::uint64_t head, KeyArg&& key, NodePtr kid = NodePtr()) {
      const std::size_t slot = count;
      new (KeySlot(slot)) K(std::forward<KeyArg>(key));
      if (!leaf) {
        new (KidSlot(slot)) NodePtr(std::move(kid));
      } else if (kHasValues) {
        try {
          new (ValSlot(slot)) V();
        } catch (...) {
          KeySlot(slot)->~K();
          throw;
        }
      }
      std::uint64_t* heads = Heads();
      std::uint8_t* order = Order();
      std::memmove(heads + p + 1, heads + p, (count - p) * sizeof(std::uint64_t));
      std::memmove(order + p + 1, order + p, count - p);
      heads[p] = head;
      order[p] = static_cast<std::uint8_t>(slot);
      ++count;
    }
    // Removes the entry at sorted position p; the last slot moves into its
    // slot, so the slots stay dense.
    void Remove(std::size_t p) {
      std::uint64_t* heads = Heads();
      std::uint8_t* order = Order();
      const std::uint8_t slot = order[p];
      const std::uint8_t last = static_cast<std::uint8_t>(count - 1);
      std::memmove(heads + p, heads + p + 1, (count - 1 - p) * sizeof(std::uint64_t));
      std::memmove(order + p, order + p + 1, count - 1 - p);
      if (slot != last) {
        MoveSlot(last, slot);
        *std::find(order, order + count - 1, last) = slot;
      }
      DestroySlot(last);
      --count;
    }
    void MoveSlot(std::size_t from, std::size_t to) {
      *KeySlot(to) = std::move(*KeySlot(from));
      if (!leaf) {
        *KidSlot(to) = std::move(*KidSlot(from));
      } else if (kHasValues) {
        *ValSlot(to) = std::move(*ValSlot(from));
      }
    }
  };

  static V& Empty() {
    static V nothing{};
    return nothing;
  }

 public:
  static constexpr std::size_t kMaxEntries = 32;
  static constexpr std::size_t kFirstRoom = 2;
  static_assert(kMaxEntries + 1 <= 255, "slots are numbered in a byte");

  CowMap() = default;
  CowMap(const CowMap&) = default;             // O(1): shares every node
  CowMap& operator=(const CowMap&) = default;  // O(1)
  CowMap(CowMap&&) noexcept = default;
  CowMap& operator=(CowMap&&) noexcept = default;

  std::size_t size() const { return root_ ? root_->size : 0; }
  bool empty() const { return size() == 0; }
  void clear() { root_.reset(); }

  // The value stored under `key`, or nullptr.
  template <typename A>
  const V* find(const A& key) const {
    const Node* node = root_.get();
    if (node == nullptr) return nullptr;
    const std::uint64_t head = Key::Head(key);
    while (!node->leaf) node = node->KidAt(node->Route(key, head));
    const std::size_t p = node->LowerBound(key, head);
    if (!node->Holds(key, head, p)) return nullptr;
    return &node->ValAt(p);
  }
  template <typename A>
  bool contains(const A& key) const { return find(key) != nullptr; }

  // The value under `key` for changing, inserted as V() when absent
  // (*inserted says which, if not null). Copies the shared nodes on its path.
  template <typename A>
  V& operator[](const A& key) { return Upsert(key, nullptr); }
  // *stored (if not null) receives the key as the map holds it (a
  // SharedKey's copy shares its bytes).
  template <typename A>
  V& Upsert(const A& key, bool* inserted, const K** stored = nullptr) {
    if (!root_) root_ = NodePtr(Node::Make(true, kFirstRoom));
    Split split;
    bool added = false;
    V* value = Insert(&root_, key, Key::Head(key), &added, &split, stored);
    if (split.node) {
      // The root split: a new root above the two halves.
      NodePtr root(Node::Make(false, kMaxEntries + 1));
      root->size = root_->size + split.node->size;
      const std::uint64_t first_head = root_->Heads()[0];
      const K first = root_->KeyAt(0);
      const std::uint64_t split_head = Key::Head(split.key);
      root->Add(0, first_head, first, std::move(root_));
      root->Add(1, split_head, std::move(split.key), std::move(split.node));
      root_ = std::move(root);
    }
    if (inserted != nullptr) *inserted = added;
    return *value;
  }
  // Inserts or replaces.
  template <typename A>
  void Set(const A& key, V value) { Upsert(key, nullptr) = std::move(value); }
  // The value under `key` for changing, or nullptr (copying nothing) when
  // absent.
  template <typename A>
  V* FindMutable(const A& key) {
    if (find(key) == nullptr) return nullptr;
    return &Upsert(key, nullptr);
  }

  // Removes `key`; returns whether it was there. Copies nothing when absent.
  template <typename A>
  bool erase(const A& key) {
    if (find(key) == nullptr) return false;
    Erase(&root_, key, Key::Head(key));
    if (root_->size == 0) {
      root_.reset();
    } else {
      // A root left with one child hands over to it.
      while (!root_->leaf && root_->count == 1) {
        NodePtr only = *root_->KidPtrAt(0);
        root_ = std::move(only);
      }
    }
    return true;
  }

  // The number of entries whose key is less than `key`.
  template <typename A>
  std::size_t Rank(const A& key) const {
    std::size_t rank = 0;
    const Node* node = root_.get();
    if (node == nullptr) return 0;
    const std::uint64_t head = Key::Head(key);
    while (!node->leaf) {
      std::size_t i = node->Route(key, head);
      for (std::size_t k = 0; k < i; ++k) rank += node->KidAt(k)->size;
      node = node->KidAt(i);
    }
    return rank + node->LowerBound(key, head);
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
      while (n >= node->KidAt(i)->size) n -= node->KidAt(i++)->size;
      it.Push(node, i);
      node = node->KidAt(i);
    }
    it.Push(node, n);
    return it;
  }
  // The first entry whose key is not less than `key`.
  template <typename A>
  const_iterator lower_bound(const A& key) const { return At(Rank(key)); }

  // Calls fn(key, value) for the `count` entries from index `n` in key order
  // (fewer at the end), a leaf at a time: as ++ on an iterator would, with
  // the leaf and the index in hand rather than read back from its path.
  template <typename F>
  void ForEach(std::size_t n, std::size_t count, F fn) const {
    const_iterator it = At(n);
    while (count > 0 && it.depth_ > 0) {
      const Node* leaf = it.Leaf();
      std::uint32_t& at = it.index_[it.depth_ - 1];
      const std::size_t first = at;
      const std::size_t stop = std::min<std::size_t>(leaf->count, first + count);
      for (std::size_t i = first; i < stop; ++i) fn(leaf->KeyAt(i), leaf->ValAt(i));
      count -= stop - first;
      at = static_cast<std::uint32_t>(stop - 1);  // the leaf's last entry visited:
      ++it;                                        // ++ goes on to the next leaf
    }
  }

  // Forward iteration in key order; *it gives {key, value} references.
  class const_iterator {
   public:
    const_iterator() = default;
    const K& key() const { return Leaf()->KeyAt(index_[depth_ - 1]); }
    const V& value() const { return Leaf()->ValAt(index_[depth_ - 1]); }
    std::pair<const K&, const V&> operator*() const { return {key(), value()}; }
    const_iterator& operator++() {
      // Next entry in this leaf, or climb to the next child and go down its
      // leftmost path.
      std::size_t d = depth_ - 1;
      if (++index_[d] < Leaf()->count) return *this;
      while (d > 0) {
        --d;
        if (++index_[d] < path_[d]->count) {
          for (std::size_t e = d + 1; e < depth_; ++e) {
            path_[e] = path_[e - 1]->KidAt(index_[e - 1]);
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

  // The right part of a node that overflowed, and its smallest key.
  struct Split {
    NodePtr node;
    K key{};
  };

  // Makes *node this map's own, copying it when another map shares it.
  static Node* Own(NodePtr* node) {
    if (node->shared()) *node = NodePtr(Node::Remake(node->get(), (*node)->room, false));
    return node->get();
  }

  template <typename A>
  static V* Insert(NodePtr* ptr, const A& key, std::uint64_t head, bool* added, Split* split,
                   const K** stored) {
    Node* node = Own(ptr);
    if (node->leaf) {
      const std::size_t i = node->LowerBound(key, head);
      if (node->Holds(key, head, i)) {
        if (stored != nullptr) *stored = &node->KeyAt(i);
        return &node->ValAt(i);
      }
      if (node->count == node->room) {
        // Room doubles, up to the full room.
        const std::size_t room = std::min(kMaxEntries + 1, std::max<std::size_t>(kFirstRoom, std::size_t{2} * node->room));
        *ptr = NodePtr(Node::Remake(node, room, true));
        node = ptr->get();
      }
      node->Add(i, head, key);
      *added = true;
      ++node->size;
      Node* part = node;
      std::size_t at = i;
      if (node->count > kMaxEntries) {
        // Split; the new entry is in one of the parts.
        const std::size_t cut = SplitOff(node, Cut(node, i), split);
        if (i >= cut) {
          part = split->node.get();
          at = i - cut;
        }
      }
      if (stored != nullptr) *stored = &part->KeyAt(at);
      return &part->ValAt(at);
    }
    const std::size_t i = node->Route(key, head);
    Split below;
    bool added_below = false;
    V* value = Insert(node->KidPtrAt(i), key, head, &added_below, &below, stored);
    if (added_below) {
      *added = true;
      ++node->size;
    }
    if (!below.node) return value;
    const std::uint64_t below_head = Key::Head(below.key);
    node->Add(i + 1, below_head, std::move(below.key), std::move(below.node));
    if (node->count <= kMaxEntries) return value;
    SplitOff(node, Cut(node, i + 1), split);
    return value;
  }

  // Moves the upper part of a node's entries (or children), from sorted
  // position `cut` on, into a new right sibling, named in *split with its
  // smallest key. The left part keeps its slots, except those past the cut,
  // which move down into the slots freed. Returns `cut`.
  static std::size_t SplitOff(Node* node, std::size_t cut, Split* split) {
    NodePtr right(Node::Make(node->leaf, kMaxEntries + 1));
    const std::size_t n = node->count;
    const std::uint64_t* heads = node->Heads();
    std::uint8_t* order = node->Order();
    for (std::size_t p = cut; p < n; ++p) {
      const std::size_t slot = order[p];
      if (node->leaf) {
        right->Add(p - cut, heads[p], std::move(*node->KeySlot(slot)));
        if (kHasValues) *right->ValSlot(p - cut) = std::move(*node->ValSlot(slot));
      } else {
        right->Add(p - cut, heads[p], std::move(*node->KeySlot(slot)),
                   std::move(*node->KidSlot(slot)));
      }
    }
    // Slots below `cut` that the right part took are free; fill them from
    // the left part's slots at or past `cut`.
    bool kept[kMaxEntries + 1] = {};
    for (std::size_t p = 0; p < cut; ++p) kept[order[p]] = true;
    std::size_t hole = 0;
    for (std::size_t p = 0; p < cut; ++p) {
      const std::size_t slot = order[p];
      if (slot < cut) continue;
      while (kept[hole]) ++hole;
      node->MoveSlot(slot, hole);
      order[p] = static_cast<std::uint8_t>(hole++);
    }
    for (std::size_t s = cut; s < n; ++s) node->DestroySlot(s);
    node->count = static_cast<std::uint8_t>(cut);
    if (!node->leaf) {
      node->size = right->size = 0;
      for (std::size_t p = 0; p < node->count; ++p) node->size += node->KidAt(p)->size;
      for (std::size_t p = 0; p < right->count; ++p) right->size += right->KidAt(p)->size;
    } else {
      node->size = node->count;
      right->size = right->count;
    }
    split->key = right->KeyAt(0);
    split->node = std::move(right);
    return cut;
  }

  // Where an overflowing node is cut, `added` being the sorted position of
  // the entry just added. Keys that arrive in order (LSNs, and numbered
  // keys such as user1, user2, ..., which arrive in order in the middle of
  // a tree) would leave every node half full if cut in halves: the part
  // before the new entry never gets another. So when the entry went in last,
  // or right after the entry that arrived before it (slots are numbered in
  // order of arrival), the node is cut just before it, or in halves if that
  // is later.
  static std::size_t Cut(const Node* node, std::size_t added) {
    const std::size_t half = node->count / 2;
    const bool run = added + 1 == node->count ||
                     (added > 0 && node->Order()[added - 1] + 2 == node->count);
    return run ? std::max(added, half) : half;
  }

  // Removes `key`, which is present under *ptr.
  template <typename A>
  static void Erase(NodePtr* ptr, const A& key, std::uint64_t head) {
    Node* node = Own(ptr);
    --node->size;
    if (node->leaf) {
      const std::size_t p = node->LowerBound(key, head);
      assert(node->Holds(key, head, p));
      node->Remove(p);
      return;
    }
    const std::size_t i = node->Route(key, head);
    NodePtr* kid = node->KidPtrAt(i);
    Erase(kid, key, head);
    if ((*kid)->size == 0) node->Remove(i);
  }

  NodePtr root_;
};

// A sorted set with the same sharing: a CowMap of keys to nothing.
struct Nothing {};
template <typename K>
using CowSet = CowMap<K, Nothing>;

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_COW_MAP_H_
