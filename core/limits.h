// The limits on what a user may hand the engine: one table, enforced in the
// engine (so the native program and the WebAssembly module agree), exported
// to the page by the wasm module's limits() so that its live checks mirror
// these numbers instead of repeating them. README.md ("Limits") lists each
// with its reason. Every refusal names the field and the limit, and a
// refused input changes nothing.
#ifndef UNBUNDLED_CORE_LIMITS_H_
#define UNBUNDLED_CORE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace unbundled {

// A key: what the page shows on a log entry, a row and a posting list.
constexpr std::size_t kMaxKeyBytes = 256;
// An end-to-end request id (DDIA ch. 12): 1..kMaxRequestIdBytes bytes.
constexpr std::size_t kMaxRequestIdBytes = 64;
// A value's compact serialization: one log record holds it, and every
// change event and snapshot copies it.
constexpr std::size_t kMaxValueBytes = 64 * 1024;
// A consumer's name: a card's title, and a key of every positions map.
constexpr std::size_t kMaxConsumerNameBytes = 64;
// A field name inside a value (and a field a consumer indexes): it is drawn
// on cards and index rows, and a real schema's names are short.
constexpr std::size_t kMaxFieldNameBytes = 64;
// Levels of nesting inside a value ({"a": {"b": 1}} is 2). Serializing,
// comparing and copying a document recurse once per level, so depth is
// what stands between a hostile value and a stack overflow.
constexpr std::size_t kMaxValueDepth = 32;
// Levels of nesting in any JSON text the engine reads (a step, a scenario
// file, a share link): a value's levels plus the ones around it (file,
// steps, step, an expect's storage, a key). Checked while parsing, before
// anything recurses.
constexpr std::size_t kMaxJsonDepth = kMaxValueDepth + 16;
// Bytes of JSON text read at once: a scenario file, or a share link once
// inflated (a decompression bomb stops here). A 100,000-step file of small
// puts is about 8 MB.
constexpr std::size_t kMaxJsonBytes = 16 * 1024 * 1024;
// Bytes of a share link's JSON once inflated. A link is inflated on the
// page's thread before it can say anything, so it is kept to what inflates
// in a few tens of milliseconds (about 50,000 small steps); a longer session
// travels as a file. A decompression bomb stops here.
constexpr std::size_t kMaxLinkBytes = 4 * 1024 * 1024;
// Steps in one session (a file, a link, or a session built by hand),
// counting the add_consumer steps of a scenario's consumers: room for the
// largest scenarios the project runs, a 100,000-step import on the page
// and an 80,000 put + flush file (160,000 steps) for `unbundled run`, and
// the student's own steps after them.
constexpr std::size_t kMaxSessionSteps = 200000;
// Work of one session, in rows copied: snapshots, rebuilds, replays and
// recoveries each re-read what storage (or the log) can hold by then, each
// row counted as 1 + its bytes / 1 KiB (a checkpoint shares storage's
// tree, so it is not counted). Writes are not
// counted here (the step limit and memory bound them); the quadratic cases
// (thousands of rebuilds of thousands of rows) are. Counted from the steps
// alone, so a file or link is refused before any step runs.
constexpr std::uint64_t kMaxSessionWork = 1000000;
// Documents one bulk step (put_random) writes. It is one step of the
// history however large, and the page takes it in parts of a few thousand
// documents so that input is never blocked: 100,000 is the size of the
// experiments the page is made for (a 100,000-entry log).
constexpr std::size_t kMaxBulkDocuments = 100000;
// The keys a bulk step writes to, r0..r<keys-1>: fewer keys than documents
// make updates; more make inserts of scattered keys. Keys are drawn from
// the step's own sequence, so this bounds only the keys' length.
constexpr std::size_t kMaxBulkKeys = 1000000;
// A bulk step's `from`: how much of its sequence it skips (the page writes
// a big step in parts, each starting where the one before ended). Bounded
// so that `from` + count stays far from any integer's end.
constexpr std::uint64_t kMaxBulkFrom = 1000000000;
// Consumers at once: each is a card on the page and a pass of every flush.
constexpr std::size_t kMaxConsumers = 16;
// A scenario's title (the page's heading and document.title) and a
// source's name.
constexpr std::size_t kMaxTitleBytes = 200;
// A note, a description, a prediction's text: narration a student reads.
constexpr std::size_t kMaxNoteBytes = 4096;
// Integers are kept exactly up to 2^53 - 1 in magnitude (JavaScript's
// Number.MAX_SAFE_INTEGER): beyond it a page's JSON.parse rounds them, so
// the engine refuses them rather than let the two sides disagree.
constexpr std::int64_t kMaxExactInteger = 9007199254740991;

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_LIMITS_H_
