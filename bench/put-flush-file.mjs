// Writes a scenario of N puts of new keys, each followed by a flush, with
// three consumers (a secondary index, a materialized view and a full-text
// index), to stdout: the kind of file issue #7 measured `unbundled run`'s
// peak memory on. Each document's name holds a token of its own ("user 17"),
// so the full-text index holds a posting list per document.
//
//   node bench/put-flush-file.mjs [N=80000] > /tmp/put80k.json
//   /usr/bin/time -f '%M KB' build/cli/unbundled run --compact /tmp/put80k.json > /dev/null
const n = Number(process.argv[2] ?? 80000);
if (!Number.isInteger(n) || n < 0) {
  process.stderr.write('usage: node bench/put-flush-file.mjs [N]\n');
  process.exit(2);
}
const cities = ['London', 'Paris', 'Berlin', 'Madrid'];
const out = process.stdout;
out.write('{"title": "80k put+flush", "consumers": [{"name": "by_city", "type": "secondary_index", "field": "city"}, '
  + '{"name": "city_stats", "type": "materialized_view", "group_by": "city", "sum": "age"}, '
  + '{"name": "search", "type": "full_text", "fields": ["name"]}], "steps": [');
const lines = [];
for (let i = 0; i < n; i++) {
  lines.push(JSON.stringify({ op: 'put', key: `user${i}`, value: { name: `user ${i}`, city: cities[i % 4], age: 20 + (i % 50) } }), '{"op":"flush"}');
}
out.write(lines.join(','));
out.write(']}\n');
