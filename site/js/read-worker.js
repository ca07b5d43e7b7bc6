// Reads an imported scenario file off the page's thread: the file's text and
// its JSON, which for a long history take longer than a frame. The scenario
// comes back in parts (its fields, then its steps CHUNK at a time), so that
// taking each part in holds the page only briefly. The page checks it all
// (share.js, Module.validateSteps) as it does any scenario.
//
//   in:  a File
//   out: {error} | {header, count} then {steps} ... then {done: true}
//        (count null: the file is not an object with a steps array; the
//        page's check says what is wrong with `header`)
const CHUNK = 5000;

self.onmessage = async ({ data: file }) => {
  let data;
  try {
    const text = await file.text();
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
