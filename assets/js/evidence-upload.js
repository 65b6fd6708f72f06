// Evidence uploads that survive a bad connection: the answer page's upload form, enhanced.
//
// Without this script the form posts the file as before. With it, files go to our tus
// endpoint (opd/views_tus.py) in pieces: progress with percent and time left, pause and
// resume, automatic retries with growing delays (and at once when the connection is back),
// photos shrunk to about KLA_PHOTO_MAX_MEGAPIXELS before sending, type and size checked
// before sending (the server checks again), and an upload that survives a closed tab
// (golden-retriever keeps the file in the browser's IndexedDB and the upload's address).
//
// Bundled by esbuild (`npm run build`) into static/build/evidence-upload.js; every text it
// shows comes translated from the page (<template data-upload-texts>).

import Compressor from "@uppy/compressor";
import Uppy from "@uppy/core";
import GoldenRetriever from "@uppy/golden-retriever";
import idID from "@uppy/locales/lib/id_ID.js";
import Tus from "@uppy/tus";

const ACCEPTED = [".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".odt", ".ods"];
// Shrunk in the browser: camera photos. PNG (screenshots, scans) goes as it is.
const PHOTO_TYPES = ["image/jpeg"];
// Only camera photos (JPEG) are shrunk: a PNG is usually a screenshot or a scan of a page,
// whose text would blur. compressorjs draws a photo from a blob: URL (a data: URL when its
// EXIF turns it), which the page's Content-Security-Policy must allow (img-src 'self' data:
// blob:, kla/security.py): refused, the compressor gives up and the photo goes whole.
class PhotoCompressor extends Compressor {
  prepareUpload(ids) {
    return super.prepareUpload(ids.filter((id) => PHOTO_TYPES.includes(this.uppy.getFile(id)?.type)));
  }
}

const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
const RETRY_AFTER_FAILURE = 30000;
// No progress for this long while sending: the row stops promising a time left. A phone that
// lost its signal often still says it is online, and the last "53% · about 1 min left" stayed.
const STALLED_MS = 15000;

// assets/js/offline.js (loaded on a unit's pages) counts the files that wait on this device
// and sends the typed answers first when the connection is back.
const offline = () => window.klaOffline;

function texts(root) {
  const out = {};
  // A page with an upload area per row (the table of a per-unit question) has them once.
  const template = root.querySelector("template[data-upload-texts]") || document.querySelector("template[data-upload-texts]");
  template.content.querySelectorAll("[data-text]").forEach((el) => {
    out[el.dataset.text] = el.textContent.trim();
  });
  return out;
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all));
}

function timeLeft(t, seconds) {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return t.lessThanAMinute;
  if (seconds < 3600) return fill(t.minutes, { n: Math.round(seconds / 60) });
  return fill(t.hours, { n: Math.round(seconds / 360) / 10 });
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function setup(root) {
  const t = texts(root);
  const form = root.querySelector("form[data-upload-form]");
  const input = form.querySelector("input[type=file]");
  const title = form.querySelector("input[name=title]");
  const button = form.querySelector("button[type=submit]");
  const camera = root.querySelector("input[data-camera]");
  const list = root.querySelector("[data-upload-list]");
  const notice = root.querySelector("[data-upload-notice]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = Number(root.dataset.maxBytes);
  const megapixels = Number(root.dataset.photoMegapixels);
  const rows = new Map();
  const speeds = new Map();
  let storedSome = false;

  const uppy = new Uppy({
    // One store per answer: a file chosen for one answer never resumes on another's page.
    id: root.dataset.uppyId,
    autoProceed: false,
    allowMultipleUploadBatches: true,
    locale: document.documentElement.lang === "id" ? idID : undefined,
    restrictions: { allowedFileTypes: ACCEPTED },
    onBeforeFileAdded(file) {
      // Photos may be larger: they shrink before they are sent (and are checked again then).
      if (file.size > maxBytes && !PHOTO_TYPES.includes(file.type)) {
        say(fill(t.tooLarge, { name: file.name }), "danger");
        return false;
      }
      return true;
    },
  });
  uppy.use(Tus, {
    endpoint: root.dataset.endpoint,
    chunkSize: Number(root.dataset.chunkBytes),
    retryDelays: RETRY_DELAYS,
    headers: { "X-CSRFToken": csrf },
    removeFingerprintOnSuccess: true,
    limit: 1,
    allowedMetaFields: ["name", "type", "title"],
  });
  if (megapixels > 0) {
    // About `megapixels` whatever the orientation: a 4:3 photo fits a square of this side.
    const side = Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3));
    uppy.use(PhotoCompressor, { quality: 0.8, maxWidth: side, maxHeight: side, limit: 1 });
    // After shrinking, the size the server will see is known: over the limit stops here.
    uppy.addPreProcessor(async (ids) => {
      for (const id of ids) {
        const file = uppy.getFile(id);
        if (file && file.size > maxBytes) {
          finish(id, "refused", fill(t.tooLarge, { name: file.name }));
        }
      }
    });
  }
  uppy.use(GoldenRetriever, { expires: 24 * 60 * 60 * 1000 });

  function say(text, tone) {
    notice.textContent = text;
    notice.className = `alert alert-${tone} small py-2 mb-2`;
    notice.hidden = !text;
  }

  function busy(on) {
    button.toggleAttribute("disabled", on);
    button.setAttribute("aria-busy", on ? "true" : "false");
    button.querySelector("[data-busy]").hidden = !on;
    button.querySelector("[data-idle]").hidden = on;
  }

  function row(file) {
    let r = rows.get(file.id);
    if (r) return r;
    const li = element("li", "border rounded p-2 mb-2");
    li.dataset.testid = "upload-row";
    li.dataset.state = "waiting";
    const head = element("div", "d-flex flex-wrap justify-content-between gap-2 align-items-center");
    const name = element("span", "text-break", file.meta.name || file.name);
    const actions = element("span", "d-flex gap-1");
    const pause = element("button", "btn btn-sm btn-outline-secondary", t.pause);
    pause.type = "button";
    pause.dataset.action = "pause";
    pause.addEventListener("click", () => {
      const paused = uppy.pauseResume(file.id);
      pause.textContent = paused ? t.resume : t.pause;
      show(file.id, paused ? "paused" : "uploading", paused ? t.paused : t.resuming);
    });
    const cancel = element("button", "btn btn-sm btn-outline-danger", t.cancel);
    cancel.type = "button";
    cancel.dataset.action = "cancel";
    cancel.addEventListener("click", () => {
      uppy.removeFile(file.id); // also ends the upload on the server (tus DELETE)
      finish(file.id, "cancelled", t.cancelled);
    });
    actions.append(pause, cancel);
    head.append(name, actions);
    const progress = element("progress", "kla-progress w-100 my-1");
    progress.max = 100;
    progress.value = 0;
    const status = element("div", "small text-body-secondary");
    status.setAttribute("role", "status");
    li.append(head, progress, status);
    list.append(li);
    list.hidden = false;
    r = { li, progress, status, pause, cancel };
    rows.set(file.id, r);
    return r;
  }

  function show(id, state, text) {
    const file = uppy.getFile(id);
    const r = rows.get(id) || (file && row(file));
    if (!r) return;
    r.li.dataset.state = state;
    r.status.textContent = text;
  }

  function finish(id, state, message) {
    const r = rows.get(id);
    if (r) {
      show(id, state, message);
      r.pause.hidden = true;
      r.cancel.hidden = true;
      if (state === "stored" || state === "duplicate") r.progress.value = 100;
      r.status.className = `small text-${state === "refused" ? "danger" : "body-secondary"}`;
    }
    if (uppy.getFile(id)) uppy.removeFile(id); // nothing left to resume after a reload
    if (offline()) offline().fileDone(id);
    if (state === "stored") storedSome = true;
    settle();
  }

  function settle() {
    const open = uppy.getFiles().some((f) => !f.progress.uploadComplete);
    busy(open);
    if (!open && storedSome) {
      say(t.reloading, "success");
      // The page lists the new evidence (and the server's messages) after a reload, unless
      // the page takes over (the table page first saves a row's choice, which reloads too);
      // what was typed is saved first, and the page asks no "leave this page?" (static/js/kla.js).
      const stored = new CustomEvent("kla:evidence-stored", { bubbles: true, cancelable: true });
      if (root.dispatchEvent(stored)) {
        setTimeout(() => (window.klaReload ? window.klaReload() : window.location.reload()), 1200);
      }
    }
  }

  function add(files) {
    const meta = { title: title ? title.value : "" };
    let added = 0;
    for (const data of files) {
      try {
        uppy.addFile({ name: data.name, type: data.type, data, source: "Local", meta });
        added += 1;
      } catch (error) {
        // The restriction's message (Uppy's, translated) was shown by "restriction-failed".
      }
    }
    return added;
  }

  function start(files) {
    say("", "info");
    if (add(files) === 0) return;
    busy(true);
    uppy.upload().catch(() => {}); // per-file outcomes arrive as events
  }

  form.addEventListener("submit", (event) => {
    // Ours, not the site-wide double-submit guard (static/js/kla.js): stop here.
    event.preventDefault();
    event.stopPropagation();
    if (!input.files.length) {
      say(t.chooseFile, "warning");
      return;
    }
    start([...input.files]);
    input.value = "";
  });
  input.removeAttribute("required");
  if (camera) {
    camera.form.querySelector("button[type=submit]").hidden = true;
    camera.form.addEventListener("submit", (event) => event.preventDefault());
    camera.addEventListener("change", () => {
      start([...camera.files]);
      camera.value = "";
    });
  }

  uppy.on("restriction-failed", (file, error) => say(error.message, "danger"));
  uppy.on("file-added", (file) => {
    show(file.id, "waiting", navigator.onLine === false ? t.waitingConnection : t.waiting);
    if (offline()) offline().fileQueued(file.id, file.meta.name || file.name);
  });
  uppy.on("preprocess-progress", (file) => file && show(file.id, "preparing", t.compressing));
  uppy.on("upload-start", (files) =>
    files.forEach((f) => show(f.id, navigator.onLine === false ? "offline" : "uploading", navigator.onLine === false ? t.waitingConnection : t.starting)),
  );
  uppy.on("upload-progress", (file, progress) => {
    const r = row(file);
    const { bytesUploaded, bytesTotal } = progress;
    if (!bytesTotal) return;
    const percent = Math.floor((100 * bytesUploaded) / bytesTotal);
    r.progress.value = percent;
    // Speed: an average that follows the connection as it changes.
    const now = Date.now();
    const last = speeds.get(file.id);
    let speed = last ? last.speed : 0;
    if (last && now > last.time && bytesUploaded >= last.bytes) {
      const current = ((bytesUploaded - last.bytes) * 1000) / (now - last.time);
      speed = speed ? 0.7 * speed + 0.3 * current : current;
    }
    speeds.set(file.id, { time: now, bytes: bytesUploaded, speed });
    const left = speed > 0 ? timeLeft(t, (bytesTotal - bytesUploaded) / speed) : "";
    const values = { percent: `${percent}%`, time: left };
    if (navigator.onLine === false) {
      show(file.id, "offline", t.waitingConnection);
      return;
    }
    const text = bytesUploaded >= bytesTotal ? t.checking : fill(left ? t.progress : t.progressNoTime, values);
    show(file.id, "uploading", text);
  });
  uppy.on("upload-retry", (file) => show(file.id || file, "retrying", t.retrying));
  function waitForConnection() {
    uppy.getFiles().forEach((f) => {
      if (!f.progress.uploadComplete && rows.has(f.id)) show(f.id, "offline", t.waitingConnection);
    });
  }
  uppy.on("is-offline", () => {
    say(t.offline, "warning");
    waitForConnection();
  });
  uppy.on("back-online", async () => {
    // Said only when an upload goes on: with none, "the upload goes on" misleads.
    say(uppy.getFiles().length ? t.online : "", "info");
    // The typed answers first, then the files: in the order they were left.
    try {
      if (offline()) await offline().flush();
    } finally {
      retryFailed();
    }
  });
  setInterval(() => {
    const now = Date.now();
    uppy.getFiles().forEach((f) => {
      const last = speeds.get(f.id);
      const r = rows.get(f.id);
      if (last && r && r.li.dataset.state === "uploading" && now - last.time > STALLED_MS) {
        show(f.id, "offline", t.waitingConnection);
      }
    });
  }, 5000);

  uppy.on("upload-success", async (file, response) => {
    show(file.id, "checking", t.checking);
    const outcome = await status(response.uploadURL);
    finish(file.id, outcome.status in STATE ? STATE[outcome.status] : "stored", outcome.message || t.stored);
  });

  uppy.on("upload-error", (file, error, response) => {
    if (!file) return;
    const body = parse(response);
    if (response && response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 423) {
      // The server said no (a refused file, a closed window, a session that ended): final.
      finish(file.id, "refused", (body && body.message) || t.failed);
      return;
    }
    // The network: tus-js-client gave up its own retries; ours go on, slower.
    if (navigator.onLine === false) {
      show(file.id, "offline", t.waitingConnection);
      say(t.offline, "warning");
    } else {
      show(file.id, "retrying", t.retrying);
    }
    setTimeout(retryFailed, RETRY_AFTER_FAILURE);
  });

  uppy.on("restored", () => {
    const files = uppy.getFiles();
    if (!files.length) return;
    files.forEach((file) => {
      row(file);
      if (offline()) offline().fileQueued(file.id, file.meta.name || file.name);
      if (file.isGhost) finish(file.id, "refused", t.chooseAgain);
    });
    if (uppy.getFiles().length) {
      say(t.restored, "info");
      busy(true);
      uppy.emit("restore-confirmed"); // resumes where the server stands
    }
  });

  function retryFailed() {
    if (uppy.getFiles().some((f) => f.error)) uppy.retryAll().catch(() => {});
  }

  async function status(url) {
    try {
      const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      return await answer.json();
    } catch {
      return { status: "stored", message: "" };
    }
  }
}

const STATE = { stored: "stored", duplicate: "duplicate", refused: "refused" };

function parse(response) {
  const xhr = response && response.body && response.body.xhr;
  if (!xhr || !xhr.responseText) return null;
  try {
    return JSON.parse(xhr.responseText);
  } catch {
    return null;
  }
}

document.querySelectorAll("[data-tus-upload]").forEach(setup);
