// The bytes view of one log record: its header fields, its payload, whether
// its checksum still holds, and every byte as a button that flips it on disk.
// The layout is the record format of core/log_format.h (README, "The log as bytes").
import { h, fill } from './dom.js';

const HEADER = 17;
const FIELDS = [
  { name: 'checksum', from: 0, to: 4, what: 'masked CRC-32C over type, LSN and payload' },
  { name: 'length', from: 4, to: 8, what: 'payload length in bytes' },
  { name: 'type', from: 8, to: 9, what: '1 put, 2 delete' },
  { name: 'lsn', from: 9, to: 17, what: 'log sequence number' },
];

function bytesOf(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Which part of the record byte i belongs to. */
function partOf(i, keyLen) {
  const f = FIELDS.find((x) => i >= x.from && i < x.to);
  if (f) return f.name;
  if (i < HEADER + 4) return 'key_len';
  if (i < HEADER + 4 + keyLen) return 'key';
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
  const keyLen = Math.min(record.fields.key_len, Math.max(0, bytes.length - HEADER - 4));
  const text = new TextDecoder('utf-8', { fatal: false });
  const key = text.decode(bytes.slice(HEADER + 4, HEADER + 4 + keyLen));
  const value = text.decode(bytes.slice(HEADER + 4 + keyLen));
  const hexOf = (from, to) => Array.from(bytes.slice(from, to), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const rows = [
    ...FIELDS.map((f) => h('tr', { class: `part-${f.name}` }, h('th', { scope: 'row' }, f.name), h('td', {}, `${f.from}–${f.to - 1}`),
      h('td', { class: 'hex' }, hexOf(f.from, f.to)),
      h('td', {}, f.name === 'checksum' ? record.fields.checksum : f.name === 'type' ? `${record.fields.type} (${record.fields.type === 1 ? 'put' : record.fields.type === 2 ? 'delete' : 'unknown'})` : String(record.fields[f.name])),
      h('td', { class: 'what' }, f.what))),
    h('tr', { class: 'part-key_len' }, h('th', { scope: 'row' }, 'key_len'), h('td', {}, `${HEADER}–${HEADER + 3}`), h('td', { class: 'hex' }, hexOf(HEADER, HEADER + 4)), h('td', {}, String(record.fields.key_len)), h('td', { class: 'what' }, 'payload: key length')),
    h('tr', { class: 'part-key' }, h('th', { scope: 'row' }, 'key'), h('td', {}, `${HEADER + 4}–${HEADER + 3 + keyLen}`), h('td', { class: 'hex' }, hexOf(HEADER + 4, HEADER + 4 + keyLen)), h('td', {}, key), h('td', { class: 'what' }, 'payload: the key')),
    h('tr', { class: 'part-value' }, h('th', { scope: 'row' }, 'value'), h('td', {}, `${HEADER + 4 + keyLen}–${bytes.length - 1}`), h('td', { class: 'hex' }, `${bytes.length - HEADER - 4 - keyLen} bytes`), h('td', { class: 'value-text' }, value || '(none: a delete)'), h('td', { class: 'what' }, 'payload: the value as compact JSON')),
  ];
  const grid = h('div', { class: 'byte-grid', role: 'group', 'aria-label': `The ${bytes.length} bytes of LSN ${lsn}'s record` },
    Array.from(bytes, (b, i) => h('button', {
      type: 'button', class: `byte part-${partOf(i, keyLen)}${i === flipped ? ' flipped' : ''}`, dataset: { byte: i },
      title: `byte ${i} (${partOf(i, keyLen)}), file offset ${record.offset + i}: 0x${b.toString(16).padStart(2, '0')}. Click to flip it on disk (bit rot).`,
      onclick: () => actions.flip(i),
    }, b.toString(16).padStart(2, '0'))));
  fill(el,
    h('p', {}, h('strong', {}, `LSN ${record.lsn}`), `: bytes ${record.offset}–${record.offset + record.size - 1} of the log file, ${record.size} bytes, `,
      record.synced ? 'on disk (synced).' : 'written but not synced yet.'),
    h('p', { class: `checksum ${record.checksum_ok ? 'ok' : 'bad'}`, id: 'checksum-verdict' },
      record.checksum_ok
        ? `✓ Checksum holds: stored ${record.fields.checksum}, computed ${record.computed_checksum}.`
        : `✗ Checksum mismatch: stored ${record.fields.checksum}, but the bytes now give ${record.computed_checksum}. The next recovery will find this record corrupt.`),
    h('table', { class: 'record-fields' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'field'), h('th', { scope: 'col' }, 'bytes'), h('th', { scope: 'col' }, 'hex'), h('th', { scope: 'col' }, 'value'), h('th', { scope: 'col' }, ''))), h('tbody', {}, rows)),
    h('p', { class: 'hint' }, 'Flip a byte: click any byte below. It changes on disk only (bit rot); storage and consumers do not notice until the next recovery reads the file.'),
    grid);
}
