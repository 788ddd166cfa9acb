// Emo3D Book face viewer (anywidget ESM): a current three.js head whose 52 blendshapes all act at
// once (three r1xx blends every morph target through a morph texture), grouped sliders, emotion
// presets, orbit, reset, PNG snapshot, and a text box turning a description into the face.
//
// Two homes, one file: in a live kernel three.js arrives as a custom message from Python and the
// text box asks the kernel's model; in the static book (no kernel) three.js, onnxruntime-web and
// the exported text model are the book's own static files, found next to the widget manager.

const EMBED = 'script[src*="widgets/html-manager/embed-amd.js"]';

/** The static book's _static/ URL, or null in a live kernel (no embedded widget manager). */
function staticBase() {
  const s = document.querySelector(EMBED);
  return s ? s.src.replace(/widgets\/html-manager\/embed-amd\.js.*$/, "") : null;
}

function bytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function half(b64) {
  const h = new Uint16Array(bytes(b64).buffer);
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i], s = v & 0x8000 ? -1 : 1, e = (v >> 10) & 31, f = v & 1023;
    out[i] = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity)
      : s * (1 + f / 1024) * 2 ** (e - 15);
  }
  return out;
}

const pending = new Map();  // kind -> resolve, for replies from the kernel

function ask(model, content) {
  return new Promise((resolve, reject) => {
    pending.set(content.kind, resolve);
    try { model.send(content); } catch (e) { pending.delete(content.kind); reject(e); }
  });
}

async function loadThree(model, base) {
  if (base) return import(base + "three/three.module.js");
  const reply = await ask(model, { kind: "three" });  // live kernel: the source comes by message
  const blob = (src) => URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
  const core = blob(reply.core);
  return import(blob(reply.module.split("'./three.core.js'").join(JSON.stringify(core))));
}

/** Sparse float16 deltas (per target: count, vertex indices, xyz) -> dense BufferAttributes. */
function denseTargets(THREE, sparse, n) {
  const raw = bytes(sparse.index).buffer;
  const index = n < 65536 ? new Uint16Array(raw) : new Uint32Array(raw);
  const delta = half(sparse.delta);
  const targets = [];
  let at = 0;
  for (const count of sparse.counts) {
    const t = new Float32Array(n * 3);
    for (let k = 0; k < count; k++, at++) {
      const v = index[at] * 3;
      t[v] = delta[at * 3]; t[v + 1] = delta[at * 3 + 1]; t[v + 2] = delta[at * 3 + 2];
    }
    targets.push(new THREE.BufferAttribute(t, 3));
  }
  return targets;
}

const srgbToLinear = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

function buildPart(THREE, p) {
  const g = new THREE.BufferGeometry();
  const pos = new Float32Array(bytes(p.vertices).buffer);
  const n = pos.length / 3;
  g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  g.setAttribute("normal", new THREE.BufferAttribute(half(p.normals), 3));
  const idx = bytes(p.faces);
  g.setIndex(new THREE.BufferAttribute(n < 65536 ? new Uint16Array(idx.buffer)
    : new Uint32Array(idx.buffer), 1));
  const mat = { roughness: 0.75, metalness: 0.0, side: THREE.DoubleSide };
  if (p.uv && p.texture) {
    g.setAttribute("uv", new THREE.BufferAttribute(half(p.uv), 2));
    const img = new Image();
    const tex = new THREE.Texture(img);
    tex.colorSpace = THREE.SRGBColorSpace;
    tex.flipY = false;  // glTF uv: (0, 0) is the image's top-left
    img.src = "data:image/png;base64," + p.texture;
    mat.map = tex;
  } else if (p.colors) {
    const c = bytes(p.colors), lin = new Float32Array(c.length);
    for (let i = 0; i < c.length; i++) lin[i] = srgbToLinear(c[i] / 255);
    g.setAttribute("color", new THREE.BufferAttribute(lin, 3));
    mat.vertexColors = true;
  } else {
    mat.color = new THREE.Color(p.color || "#e0ac8f");
  }
  if (p.morph) {  // 52 relative targets: position and normal deltas, sparse in the page
    g.morphAttributes.position = denseTargets(THREE, p.morph.position, n);
    g.morphAttributes.normal = denseTargets(THREE, p.morph.normal, n);
    g.morphTargetsRelative = true;
  }
  const mesh = new THREE.Mesh(g, new THREE.MeshStandardMaterial(mat));
  mesh.name = p.name;
  return mesh;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

// ---- BERT WordPiece (uncased), as the Hugging Face BertTokenizer does it -------------------
const PUNCT = /[\p{P}$+<=>^`|~]/u;
function basicTokens(text) {
  text = text.replace(/[\u0000\ufffd]|[\p{Cc}\p{Cf}]/gu, (c) => (/[\t\n\r]/.test(c) ? " " : ""));
  text = text.replace(/[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]/gu, (c) => ` ${c} `);
  const out = [];
  for (let word of text.split(/[\s\p{Zs}]+/u)) {
    if (!word) continue;
    word = word.toLowerCase().normalize("NFD").replace(/\p{Mn}/gu, "");
    let cur = "";
    for (const ch of word) {
      if (PUNCT.test(ch)) { if (cur) out.push(cur); out.push(ch); cur = ""; } else cur += ch;
    }
    if (cur) out.push(cur);
  }
  return out;
}

export function wordpiece(text, vocab, maxTokens) {
  const ids = [vocab.get("[CLS]")];
  const unk = vocab.get("[UNK]");
  for (const word of basicTokens(text)) {
    const chars = Array.from(word);
    if (chars.length > 100) { ids.push(unk); continue; }
    const pieces = [];
    let start = 0, bad = false;
    while (start < chars.length) {
      let end = chars.length, found = null;
      while (start < end) {
        const sub = (start > 0 ? "##" : "") + chars.slice(start, end).join("");
        if (vocab.has(sub)) { found = vocab.get(sub); break; }
        end--;
      }
      if (found === null) { bad = true; break; }
      pieces.push(found);
      start = end;
    }
    ids.push(...(bad ? [unk] : pieces));
  }
  const sep = vocab.get("[SEP]");
  return [...ids.slice(0, maxTokens - 1), sep];
}

// ---- the text model in the browser (onnxruntime-web, wasm, one thread) ---------------------
async function loadTextModel(base, dir) {
  const ort = await import(base + "ort/ort.wasm.min.mjs");
  ort.env.wasm.wasmPaths = base + "ort/";
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  const meta = await (await fetch(base + dir + "textface.json")).json();
  const words = (await (await fetch(base + dir + "vocab.txt")).text()).split("\n");
  const vocab = new Map();
  words.forEach((w, i) => { if (w && !vocab.has(w)) vocab.set(w, i); });
  const session = await ort.InferenceSession.create(base + dir + "textface.onnx",
    { executionProviders: ["wasm"] });
  return async (text) => {
    const ids = wordpiece(text, vocab, meta.max_tokens);
    const n = ids.length;
    const feeds = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, n]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    };
    const out = await session.run(feeds);
    return { weights: Array.from(out.blendshapes.data), emotions: Array.from(out.emotions.data),
             ids };
  };
}

function render({ model, el: host }) {
  const names = model.get("names");
  const base = staticBase();
  const size = model.get("size");
  const root = el("div", { class: "emo3d-face" });
  const stage = el("div", { class: "emo3d-stage" });
  const canvas = el("canvas", { width: size[0], height: size[1], class: "emo3d-canvas" });
  const status = el("div", { class: "emo3d-status", text: "loading three.js..." });
  stage.append(canvas, status, el("div", { class: "emo3d-credit", text: "head: " + model.get("credit") }));
  const side = el("div", { class: "emo3d-side" });
  root.append(stage, side);
  host.appendChild(root);

  // presets, reset, snapshot
  const bar = el("div", { class: "emo3d-buttons" });
  const presets = model.get("presets");
  for (const [name, w] of presets) {
    const b = el("button", { text: name, "data-preset": name });
    b.onclick = () => setWeights(w);
    bar.append(b);
  }
  const reset = el("button", { text: "reset", "data-action": "reset" });
  const snap = el("button", { text: "PNG", "data-action": "snapshot", title: "save a PNG" });
  bar.append(reset, snap);
  side.append(bar);

  // grouped sliders
  const panel = el("div", { class: "emo3d-panel" });
  const inputs = [];
  for (const [group, indices] of model.get("groups")) {
    const box = el("details", {}, el("summary", { text: `${group} (${indices.length})` }));
    box.open = group !== "neutral";
    for (const i of indices) {
      const input = el("input", { type: "range", min: 0, max: 1, step: 0.01,
                                  "data-blendshape": names[i] });
      const shown = el("output");
      input.addEventListener("input", () => {
        const w = model.get("weights").slice();
        w[i] = parseFloat(input.value);
        setWeights(w);
      });
      inputs[i] = [input, shown];
      box.append(el("label", {}, el("span", { text: names[i] }), input, shown));
    }
    panel.append(box);
  }
  side.append(panel);

  // text box + emotion bars
  const text = el("div", { class: "emo3d-text" });
  const field = el("input", { type: "text", class: "emo3d-input",
                              placeholder: "describe a face, e.g. 'she is furious'" });
  const go = el("button", { text: "show face", "data-action": "text" });
  const note = el("div", { class: "emo3d-note" });
  const bars = el("div", { class: "emo3d-bars" });
  const barFill = [];
  for (const e of model.get("emotions")) {
    const fill = el("span", { class: "emo3d-fill" });
    const val = el("output");
    barFill.push([fill, val]);
    bars.append(el("div", { class: "emo3d-bar", "data-emotion": e },
                   el("span", { text: e }), el("span", { class: "emo3d-track" }, fill), val));
  }
  text.append(el("div", { class: "emo3d-row" }, field, go), note,
              el("div", { class: "emo3d-bars-title", text: model.get("emotion_title") }), bars);
  root.append(text);

  const initial = model.get("weights").slice();
  let draw = () => {};
  function setWeights(w) {
    model.set("weights", Array.from(w, Number));
    try { model.save_changes(); } catch (e) { /* static page: no kernel to sync */ }
  }
  function showBars() {
    model.get("emotion_scores").forEach((s, k) => {
      barFill[k][0].style.width = (100 * s).toFixed(1) + "%";
      barFill[k][1].textContent = Number(s).toFixed(2);
    });
  }
  function sync() {
    const w = model.get("weights");
    inputs.forEach(([input, shown], i) => {
      input.value = w[i];
      shown.textContent = Number(w[i]).toFixed(2);
    });
    draw();
  }
  model.on("change:weights", sync);
  model.on("change:emotion_scores", showBars);
  model.on("msg:custom", (msg) => {
    const resolve = pending.get(msg.kind);
    if (resolve) { pending.delete(msg.kind); resolve(msg); }
  });
  sync();
  showBars();

  // the text box: onnxruntime-web in the static book, the kernel's model live
  const textface = model.get("textface");
  let predict = null;
  if (base && textface) {
    let loading = null;
    predict = async (t) => {
      loading = loading || loadTextModel(base, textface);
      return (await loading)(t);
    };
    note.textContent = "runs in your browser: " + model.get("model_note");
  } else if (!base && model.get("kernel_text")) {
    predict = (t) => ask(model, { kind: "text", text: t });
    note.textContent = "runs in the kernel: " + model.get("model_note");
  } else {
    note.textContent = "no text model in this page (needs a trained checkpoint)";
    field.disabled = go.disabled = true;
  }
  async function runText() {
    const t = field.value.trim();
    if (!t || !predict) return;
    go.disabled = true;
    note.dataset.state = "busy";
    try {
      const r = await predict(t);
      root.dataset.prediction = JSON.stringify(r);  // full precision, for checks
      model.set("emotion_scores", r.emotions);
      setWeights(r.weights);
      showBars();
      note.dataset.state = "done";
    } catch (e) {
      note.textContent = "text model failed: " + e;
      note.dataset.state = "failed";
    } finally { go.disabled = false; }
  }
  go.onclick = runText;
  field.addEventListener("keydown", (ev) => { if (ev.key === "Enter") runText(); });

  loadThree(model, base).then(async (THREE) => {
    const renderer = new THREE.WebGLRenderer({ canvas, antialias: true,
                                               preserveDrawingBuffer: true });
    renderer.setPixelRatio(1);
    renderer.setSize(size[0], size[1], false);
    const scene = new THREE.Scene();
    scene.background = new THREE.Color("#f4f4f4");
    const cam = model.get("camera");
    const target = new THREE.Vector3(...cam.target);
    const camera = new THREE.PerspectiveCamera(cam.fov, size[0] / size[1], cam.near, cam.far);
    const light = new THREE.DirectionalLight(0xffffff, 2.2);
    light.position.set(...cam.light);
    camera.add(light);
    scene.add(camera, new THREE.AmbientLight(0xffffff, 1.2));
    const meshes = [];
    for (const p of model.get("mesh")) {
      const mesh = buildPart(THREE, p);
      scene.add(mesh);
      meshes.push(mesh);
    }
    const curve = model.get("curve");
    // orbit: drag turns the camera around the face, wheel zooms; reset restores the start view
    const sph = { theta: 0, phi: Math.PI / 2, r: cam.distance };
    const place = () => {
      camera.position.set(target.x + sph.r * Math.sin(sph.phi) * Math.sin(sph.theta),
                          target.y + sph.r * Math.cos(sph.phi),
                          target.z + sph.r * Math.sin(sph.phi) * Math.cos(sph.theta));
      camera.lookAt(target);
    };
    draw = () => {
      const w = model.get("weights");
      const eff = curve ? w.map((x, i) => Math.sign(x) * Math.abs(x) ** curve[i]) : w;
      for (const m of meshes) if (m.morphTargetInfluences) m.morphTargetInfluences.splice(0, 52, ...eff);
      place();
      renderer.render(scene, camera);
      canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
    };
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY];
                                                   canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener("pointerup", () => { drag = null; });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      sph.theta -= (e.clientX - drag[0]) * 0.01;
      sph.phi = Math.min(Math.PI - 0.1, Math.max(0.1, sph.phi - (e.clientY - drag[1]) * 0.01));
      drag = [e.clientX, e.clientY];
      draw();
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      sph.r = Math.min(cam.distance * 4, Math.max(cam.distance * 0.3, sph.r * Math.exp(e.deltaY * 0.001)));
      draw();
    }, { passive: false });
    reset.onclick = () => {
      Object.assign(sph, { theta: 0, phi: Math.PI / 2, r: cam.distance });
      model.set("emotion_scores", model.get("emotions").map(() => 0));
      showBars();
      setWeights(initial);
      draw();
    };
    snap.onclick = () => {
      draw();
      const a = el("a", { href: canvas.toDataURL("image/png"), download: "emo3d-face.png" });
      a.click();
    };
    for (const m of meshes) {  // draw once every texture is decoded (no half-painted frame)
      if (m.material.map) { await m.material.map.image.decode(); m.material.map.needsUpdate = true; }
    }
    status.textContent = "";
    canvas.dataset.ready = "1";
    draw();
  }).catch((e) => {
    status.textContent = "3D view unavailable: " + e;
    console.error("emo3d face viewer:", e);
  });
}

export default { render };
