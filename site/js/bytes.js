// The bytes view of one log record: its header fields, its payload, whether
// its checksum still holds, and every byte as a button that flips it on disk.
// The layout is the record format of core/log_format.h (README, "The log as bytes").
import { h, fill } from './dom.js';

const HEADER = 17;
const FIELDS = [
  { name: 'checksum', from: 0, to: 4, what: 'masked CRC-32C over type, LSN and payload' },
  { name: 'length', from: 4, to: 8, what: 'payload length in bytes' },
  { name: 'type', from: 8, to: 9, what: '1 put, 2 delete, 3 put with request id, 4 delete with request id' },
  { name: 'lsn', from: 9, to: 17, what: 'log sequence number' },
];

function bytesOf(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const TYPE_NAMES = { 1: 'put', 2: 'delete', 3: 'put with request id', 4: 'delete with request id' };

function u32(bytes, at) {
  if (at + 4 > bytes.length) return 0;
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/**
 * Where the payload's parts lie, read from the bytes themselves (they may
 * have rotted, so every length is clamped to the record). Types 3 and 4 start
 * the payload with request_id_len and the request id; then, for every type,
 * key_len, the key and the value.
 */
function layoutOf(bytes) {
  const type = bytes.length > 8 ? bytes[8] : 0;
  const withId = type === 3 || type === 4;
  const room = (at) => Math.max(0, bytes.length - at);
  const idLen = withId ? Math.min(u32(bytes, HEADER), room(HEADER + 4)) : 0;
  const keyLenAt = withId ? HEADER + 4 + idLen : HEADER;
  const keyLen = Math.min(u32(bytes, keyLenAt), room(keyLenAt + 4));
  const keyAt = Math.min(keyLenAt + 4, bytes.length);
  return { type, withId, idLen, keyLenAt, keyAt, keyLen, valueAt: keyAt + keyLen };
}

/** Which part of the record byte i belongs to. */
function partOf(i, layout) {
  const f = FIELDS.find((x) => i >= x.from && i < x.to);
  if (f) return f.name;
  if (layout.withId) {
    if (i < HEADER + 4) return 'request_id_len';
    if (i < HEADER + 4 + layout.idLen) return 'request_id';
  }
  if (i < layout.keyAt) return 'key_len';
  if (i < layout.valueAt) return 'key';
  return 'value';
}

/**
 * Draws `record` (sim.record(lsn)) into `el`. `actions.flip(byte)` flips a
 * byte on disk; `actions.close()` closes the view. `flipped` is the index of
 * the byte the current step flipped, if any, which is marked.
 */
export function renderRecord(el, record, lsn, actions, flipped = null) {
  if (!record || !record.ok) {
    fill(el, h('p', { class: 'empty' }, `LSN ${lsn} is not in the log file any more.`),
      h('button', { type: 'button', onclick: actions.close }, 'Close'));
    return;
  }
  const bytes = bytesOf(record.hex);
  const layout = layoutOf(bytes);
  const { keyAt, keyLen, valueAt } = layout;
  const text = new TextDecoder('utf-8', { fatal: false });
  const key = text.decode(bytes.slice(keyAt, valueAt));
  const value = text.decode(bytes.slice(valueAt));
  const hexOf = (from, to) => Array.from(bytes.slice(from, to), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const typeName = (t) => `${t} (${TYPE_NAMES[t] || 'unknown'})`;
  const row = (name, from, to, hex, shown, what, valueClass) => h('tr', { class: `part-${name}` },
    h('th', { scope: 'row' }, name), h('td', {}, `${from}–${to - 1}`), h('td', { class: 'hex' }, hex),
    h('td', valueClass ? { class: valueClass } : {}, shown), h('td', { class: 'what' }, what));
  const rows = [
    ...FIELDS.map((f) => row(f.name, f.from, f.to, hexOf(f.from, f.to),
      f.name === 'checksum' ? record.fields.checksum : f.name === 'type' ? typeName(record.fields.type) : String(record.fields[f.name]),
      f.what)),
    ...(layout.withId ? [
      row('request_id_len', HEADER, HEADER + 4, hexOf(HEADER, HEADER + 4), String(u32(bytes, HEADER)), 'payload: request id length'),
      row('request_id', HEADER + 4, HEADER + 4 + layout.idLen, hexOf(HEADER + 4, HEADER + 4 + layout.idLen),
        text.decode(bytes.slice(HEADER + 4, HEADER + 4 + layout.idLen)), 'payload: the client\'s end-to-end request id'),
    ] : []),
    row('key_len', layout.keyLenAt, keyAt, hexOf(layout.keyLenAt, keyAt), String(u32(bytes, layout.keyLenAt)), 'payload: key length'),
    row('key', keyAt, valueAt, hexOf(keyAt, valueAt), key, 'payload: the key'),
    row('value', valueAt, bytes.length, `${Math.max(0, bytes.length - valueAt)} bytes`, value || '(none: a delete)', 'payload: the value as compact JSON', 'value-text'),
  ];
  const grid = h('div', { class: 'byte-grid', role: 'group', 'aria-label': `The ${bytes.length} bytes of LSN ${lsn}'s record` },
    Array.from(bytes, (b, i) => h('button', {
      type: 'button', class: `byte part-${partOf(i, layout)}${i === flipped ? ' flipped' : ''}`, dataset: { byte: i },
      title: `byte ${i} (${partOf(i, layout)}), file offset ${record.offset + i}: 0x${b.toString(16).padStart(2, '0')}. Click to flip it on disk (bit rot).`,
      onclick: () => actions.flip(i),
    }, b.toString(16).padStart(2, '0'))));
  // The length field against the record's own payload (the index knows
  // where each record ends; a reader has only the field).
  const payload = record.size - HEADER;
  const lengthOk = record.fields.length === payload;
  fill(el,
    h('p', {}, h('strong', {}, `LSN ${record.lsn}`), `: bytes ${record.offset}–${record.offset + record.size - 1} of the log file, ${record.size} bytes, `,
      record.synced ? 'on disk (synced).' : 'written but not synced yet.'),
    h('p', { class: `checksum ${record.checksum_ok && lengthOk ? 'ok' : 'bad'}`, id: 'checksum-verdict' },
      !record.checksum_ok
        ? `✗ Checksum mismatch: stored ${record.fields.checksum}, but the bytes now give ${record.computed_checksum}. The next recovery will find this record corrupt.`
        : lengthOk
          ? `✓ Checksum holds: stored ${record.fields.checksum}, computed ${record.computed_checksum}.`
          // The checksum does not cover the length field: a flipped length
          // byte leaves it holding over the record's own bytes, while a
          // reader, which finds a record's end by its length, reads others.
          : `✗ Length field damaged: it says ${record.fields.length} payload bytes, but this record has ${payload}. The checksum still holds over this record's bytes (it covers type, LSN and payload, not the length), but a reader finds where a record ends by its length field: the next recovery will check the wrong bytes against it and find the record corrupt (or, if they run past the end of the file, take them for a torn tail).`),
    h('table', { class: 'record-fields' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'field'), h('th', { scope: 'col' }, 'bytes'), h('th', { scope: 'col' }, 'hex'), h('th', { scope: 'col' }, 'value'), h('th', { scope: 'col' }, ''))), h('tbody', {}, rows)),
    h('p', { class: 'hint' }, 'Flip a byte: click any byte below. It changes on disk only (bit rot); storage and consumers do not notice until the next recovery reads the file (crash the database, then Recover).'),
    grid);
}
