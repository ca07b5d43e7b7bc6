// Reads an imported scenario file off the page's thread: the file's text and
// its JSON, which for a long history take longer than a frame. The scenario
// comes back in parts (its fields, then its steps CHUNK at a time), so that
// taking each part in holds the page only briefly. The page checks it all
// (share.js, and Module.ScenarioCheck as it is replayed) as it does any scenario.
//
//   in:  {file: a File, maxDepth, valueDepth: the engine's nesting limits}
//   out: {error} | {header, count} then {steps} ... then {done: true}
//        (count null: the file is not an object with a steps array; the
//        page's check says what is wrong with `header`)
const CHUNK = 5000;

// The deepest nesting of brackets outside strings, stopping past `max`:
// a loop, so that text nested a million deep is measured, not recursed into
// (JSON.parse and structured cloning would then recurse over it).
function deeperThan(text, max) {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;  // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return false;
}

self.onmessage = async ({ data: { file, maxDepth, valueDepth } }) => {
  let data;
  try {
    const text = await file.text();
    if (deeperThan(text, maxDepth)) {
      self.postMessage({ error: `it is nested more than ${maxDepth} levels deep (the limit for JSON input; a value may nest ${valueDepth})` });
      return;
    }
    try {
      data = JSON.parse(text);
    } catch (e) {
      self.postMessage({ error: `not valid JSON (${e.message})` });
      return;
    }
  } catch (e) {
    self.postMessage({ error: `the file could not be read (${e?.message ?? e})` });
    return;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data) || !Array.isArray(data.steps)) {
    self.postMessage({ header: data, count: null });
    self.postMessage({ done: true });
    return;
  }
  const { steps, ...header } = data;
  self.postMessage({ header, count: steps.length });
  for (let i = 0; i < steps.length; i += CHUNK) self.postMessage({ steps: steps.slice(i, i + CHUNK) });
  self.postMessage({ done: true });
};
