// A unit's work without a connection: the pages open, what is typed is kept and sent later.
//
// - Registers the service worker (assets/js/offline-sw.js, served at /opd/sw.js) that keeps
//   the workspace and the answer pages once opened.
// - Autosave: the answer form is saved as a draft a few seconds after typing stops, through
//   the JSON save (opd/views_offline.py → services.answer_save, with the form's version).
// - The device's queue (IndexedDB): a save that cannot go (no connection) waits here and is
//   sent, oldest first, when the connection is back. A save the server refuses because
//   something changed meanwhile (the answer, the question, the window, the person's access)
//   stays, shown with the reason, the device's text next to the server's, until the person
//   sends it anyway or discards it. Files attached without a connection wait in the upload
//   script's own store (golden-retriever) and are only counted here.
// - Logging out asks first when something waits, then empties the device's queue and copies.
//
// Bundled by esbuild (`npm run build`) into static/build/offline.js; every text it shows
// comes translated from the page (<template data-offline-texts>, templates/opd/_offline.html).

import { openDB } from "idb";

const DB_NAME = "kla-offline";
const PAGE_CACHES = ["kla-pages", "kla-static"];
const AUTOSAVE_MS = 3000;
const FILE_KEPT_MS = 24 * 60 * 60 * 1000; // as long as the upload script keeps a file
const USER_KEY = "kla-offline-user";

const root = document.querySelector("[data-offline]");
const logoutForms = document.querySelectorAll("form[data-logout]");

function texts() {
  const out = {};
  const template = root && root.querySelector("template[data-offline-texts]");
  if (template) {
    template.content.querySelectorAll("[data-text]").forEach((el) => {
      out[el.dataset.text] = el.textContent.trim();
    });
  }
  return out;
}

const t = texts();
const user = root ? root.dataset.user : "";

function fill(text, values) {
  return (text || "").replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all));
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore("answers", { keyPath: "url" });
        database.createObjectStore("files", { keyPath: "id" });
      },
    });
  }
  return dbPromise;
}

async function mine(store) {
  const all = await (await db()).getAll(store);
  return all.filter((entry) => entry.user === user);
}

async function files() {
  const now = Date.now();
  const out = [];
  for (const file of await mine("files")) {
    if (now - file.addedAt > FILE_KEPT_MS) await (await db()).delete("files", file.id);
    else out.push(file);
  }
  return out;
}

async function counts() {
  const answers = await mine("answers");
  return { answers: answers.length, files: (await files()).length };
}

function countText(n) {
  const parts = [];
  if (n.answers) parts.push(n.answers === 1 ? t.answerOne : fill(t.answerMany, { n: n.answers }));
  if (n.files) parts.push(n.files === 1 ? t.fileOne : fill(t.fileMany, { n: n.files }));
  return parts.join(", ");
}

// ---------------------------------------------------------------- sending

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// One save, as the form would send it. {ok, version, saved_at} or the server's refusal
// {ok: false, code, message, ...}, or {network: true} when it did not reach the server.
async function send(entry) {
  const body = new FormData();
  Object.entries(entry.fields).forEach(([name, value]) => {
    if (Array.isArray(value)) value.forEach((v) => body.append(name, v));
    else body.append(name, value);
  });
  body.set("version", String(entry.version ?? ""));
  body.set("question_stamp", entry.stamp || "");
  if (entry.force) body.set("force", "1");
  let response;
  try {
    response = await fetch(entry.url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
  } catch {
    return { network: true };
  }
  try {
    return await response.json();
  } catch {
    // Not our JSON: a proxy's error page (the server is out of reach) or a refused token
    // (this page was opened in an earlier session): try again later, from a fresh page.
    return { network: response.status >= 500, ok: false, code: "reload", message: t.reload };
  }
}

let flushing = null;
let flushAgain = false;
let sessionEnded = false;

// Everything waiting, oldest first; stops at the first that meets no network.
function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    const waiting = (await mine("answers")).filter((e) => e.state === "waiting");
    waiting.sort((a, b) => a.queuedAt - b.queuedAt);
    for (const entry of waiting) {
      if (navigator.onLine === false) break;
      const result = await send(entry);
      if (result.network) break;
      if (result.code === "login" || result.code === "reload") {
        sessionEnded = result.message;
        break;
      }
      await settle(entry, result);
    }
  })()
    .catch(() => {})
    .finally(() => {
      flushing = null;
      render();
      if (flushAgain) {
        flushAgain = false;
        setTimeout(flush, 0);
      }
    });
  return flushing;
}

// What the server said about a queued entry: gone when saved, kept with the reason if not.
async function settle(entry, result) {
  const store = (await db()).transaction("answers", "readwrite").store;
  const current = await store.get(entry.url);
  if (result.ok) {
    sessionEnded = false;
    const form = formFor(entry.url);
    // Typed again while it was on its way: the newer text waits, on the new version, and
    // goes next.
    if (current && JSON.stringify(current.fields) !== JSON.stringify(entry.fields)) {
      await store.put({ ...current, version: result.version, force: false });
      if (form && form.elements.version) form.elements.version.value = result.version;
      flushAgain = true;
      return;
    }
    await store.delete(entry.url);
    if (form) savedOnServer(form, result);
    return;
  }
  await store.put({ ...(current || entry), state: "blocked", force: false, problem: result });
  const form = formFor(entry.url);
  if (form) say(form, ""); // the notice above says what happened and what to do
}

// ---------------------------------------------------------------- the answer form

function formFor(url) {
  return document.querySelector(`form[data-autosave="${CSS.escape(url)}"]`);
}

function fieldsOf(form) {
  const out = {};
  [...form.elements].forEach((el) => {
    if (!el.name || ["csrfmiddlewaretoken", "version"].includes(el.name)) return;
    if (["submit", "button", "file"].includes(el.type)) return;
    if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
    out[el.name] = el.value;
  });
  return out;
}

function entryFrom(form) {
  return {
    url: form.dataset.autosave,
    page: window.location.pathname,
    label: form.dataset.label || document.title,
    user,
    fields: fieldsOf(form),
    version: Number(form.elements.version ? form.elements.version.value || 0 : 0),
    stamp: form.dataset.questionStamp || "",
    queuedAt: Date.now(),
    state: "waiting",
  };
}

// Keep the form's values on the device: replaces what waited for the same answer, keeping
// its place in the order, the version it was typed on and a refusal still to be decided.
async function queue(form) {
  const entry = entryFrom(form);
  const store = (await db()).transaction("answers", "readwrite").store;
  const earlier = await store.get(entry.url);
  if (earlier) {
    await store.put({ ...earlier, fields: entry.fields, label: entry.label });
  } else {
    await store.put(entry);
  }
  // static/js/kla.js: kept safe, no "leave this page?" (its own copy stays, to fill the form
  // again when the page is opened from the device's copy).
  form.dispatchEvent(new CustomEvent("kla:kept"));
  render();
}

function say(form, text) {
  const status = form.querySelector("[data-autosave-status]");
  if (status) {
    status.textContent = text;
    status.hidden = !text;
  }
}

function savedOnServer(form, result) {
  if (form.elements.version) form.elements.version.value = result.version;
  form.dataset.savedFields = JSON.stringify(fieldsOf(form));
  say(form, fill(t.saved, { time: result.saved_at }));
  // static/js/kla.js: the server has it, no need to keep the local copy or ask on leaving.
  form.dispatchEvent(new CustomEvent("kla:saved"));
  refreshCopy();
}

// The worker's copy of this page still shows the text and version it was opened with: a
// reload without a connection would show the old text and queue on the old version (a
// conflict with one's own save). Kept anew after each save, a few seconds apart at most.
let refreshTimer = null;
function refreshCopy() {
  if (!window.caches || !navigator.serviceWorker || !navigator.serviceWorker.controller) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(keepThisPage, 1000);
}

// The page as the server gives it now, into the worker's copies (the same cache and key the
// worker uses). Only what the server marked as a unit's own page (X-KLA-Offline).
async function keepThisPage() {
  try {
    const url = window.location.href.split("#")[0];
    const response = await fetch(url, { credentials: "same-origin" });
    const keep = response.status === 200 && !response.redirected && response.headers.get("X-KLA-Offline") === "keep";
    if (keep) await (await window.caches.open("kla-pages")).put(url, response);
  } catch {
    // No network: the copy stays as it was.
  }
}

// The first visit was not served by the worker: this page and its files are kept here.
async function keepFirstVisit() {
  await keepThisPage();
  const files = await window.caches.open("kla-static");
  const assets = [...document.querySelectorAll("link[rel=stylesheet][href], script[src]")].map((el) => el.href || el.src);
  for (const url of assets) {
    try {
      if (new URL(url).origin !== window.location.origin || (await files.match(url))) continue;
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status === 200) await files.put(url, response);
    } catch {
      // Kept at the next visit, through the worker.
    }
  }
}

async function saveForm(form) {
  if (form.dataset.posting) return;
  const fields = fieldsOf(form);
  if (JSON.stringify(fields) === form.dataset.savedFields) return;
  const waiting = await (await db()).get("answers", form.dataset.autosave);
  if (waiting && waiting.state === "blocked") {
    // The person decides first (send anyway / discard); meanwhile the newer text is kept.
    await queue(form);
    return;
  }
  if (navigator.onLine === false || (waiting && waiting.state === "waiting")) {
    await queue(form);
    say(form, t.kept);
    if (navigator.onLine !== false) flush();
    return;
  }
  const entry = entryFrom(form);
  form.dataset.saving = "1";
  const result = await send(entry).finally(() => delete form.dataset.saving);
  if (result.ok) {
    savedOnServer(form, result);
    return;
  }
  if (result.code === "invalid") {
    // Still being typed (points out of range, a data line without a label): said, not queued;
    // the typed text stays on the device (static/js/kla.js) until it can be saved.
    say(form, result.message);
    return;
  }
  await queue(form);
  if (result.network || result.code === "login" || result.code === "reload") {
    sessionEnded = result.network ? false : result.message;
    say(form, t.kept);
    render();
    return;
  }
  say(form, "");
  await settle(entry, result);
  render();
}

function setupForm(form) {
  // What static/js/kla.js restored from an earlier visit is not on the server yet.
  const notice = form.querySelector("[data-draft-notice]");
  const restored = notice && !notice.hidden;
  form.dataset.savedFields = restored ? "" : JSON.stringify(fieldsOf(form));
  let timer = null;
  let running = Promise.resolve();
  const later = () => {
    running = running.then(() => saveForm(form)).catch(() => {});
    return running;
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(later, AUTOSAVE_MS);
  });
  form.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(later, AUTOSAVE_MS);
  });
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    if (navigator.onLine === false) {
      // No connection: the button keeps the answer on the device instead of a browser error.
      event.preventDefault();
      event.stopImmediatePropagation();
      later();
      return;
    }
    if (form.dataset.saving) {
      // An autosave is on its way: the form posts after it, with the version it returns
      // (posted with the one before, it would be refused as changed by someone else).
      event.preventDefault();
      running.then(() => form.submit());
    }
    form.dataset.posting = "1"; // no autosave after this: the page is leaving
  });
  if (restored) timer = setTimeout(later, AUTOSAVE_MS);
  return () => {
    clearTimeout(timer);
    return later();
  };
}

const saveNows = [...document.querySelectorAll("form[data-autosave]")].map(setupForm);

// ---------------------------------------------------------------- what waits, on the page

async function decide(entry, choice) {
  if (choice === "discard" && !window.confirm(t.discardConfirm)) return;
  const store = (await db()).transaction("answers", "readwrite").store;
  const current = await store.get(entry.url);
  if (!current) return;
  if (choice === "discard") {
    await store.delete(entry.url);
    const form = formFor(entry.url);
    // The page shows the server's answer again; nothing of the discarded text stays in it.
    if (form) {
      form.dataset.posting = "1"; // the discarded text must not go out as an autosave
      form.dispatchEvent(new CustomEvent("kla:saved"));
      window.klaReload();
      return;
    }
  } else {
    // On the version the person saw beside theirs: a newer change since is a conflict again.
    const seen = current.problem && current.problem.current ? current.problem.current.version : current.version;
    await store.put({ ...current, state: "waiting", force: true, version: seen, problem: null });
  }
  render();
  flush();
}

function side(title, values, testid) {
  const col = element("div", "col-md-6");
  const box = element("div", "border rounded p-2 h-100 bg-body");
  box.dataset.testid = testid;
  box.append(element("div", "fw-semibold small mb-1", title));
  [
    [t.labelPoints, values.points],
    [t.labelOption, values.option],
    [t.labelNarrative, values.narrative],
    [t.labelData, values.data_values],
  ].forEach(([label, value]) => {
    if (!value) return;
    box.append(element("div", "small text-body-secondary", label));
    box.append(element("div", "question-text small mb-1", value));
  });
  col.append(box);
  return col;
}

function deviceValues(entry) {
  const f = entry.fields;
  let option = "";
  const form = formFor(entry.url);
  if (f.option && form) {
    const input = form.querySelector(`input[name=option][value="${CSS.escape(f.option)}"]`);
    const label = input && form.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    option = label ? label.textContent.trim() : f.option;
  }
  return { points: f.claimed_points || "", option, narrative: f.narrative || "", data_values: f.data_values || "" };
}

function blockedCard(entry) {
  const card = element("div", "border border-warning rounded p-2 mb-2 bg-body");
  card.dataset.testid = "offline-blocked";
  card.dataset.code = entry.problem.code;
  const head = element("div", "small fw-semibold");
  const link = element("a", "", entry.label);
  link.href = entry.page;
  head.append(link);
  card.append(head, element("div", "small mb-2", entry.problem.message || t.refused));
  if (entry.problem.code === "stale" && entry.problem.current) {
    const row = element("div", "row g-2 mb-2");
    row.append(side(t.mine, deviceValues(entry), "offline-mine"));
    row.append(side(t.theirs, entry.problem.current, "offline-theirs"));
    card.append(row);
  } else {
    if (entry.problem.code === "question_changed" && entry.problem.question) {
      card.append(element("div", "small text-body-secondary", t.questionNow));
      card.append(element("div", "question-text small mb-2", entry.problem.question));
    }
    const row = element("div", "row g-2 mb-2");
    row.append(side(t.mine, deviceValues(entry), "offline-mine"));
    card.append(row);
  }
  const actions = element("div", "d-flex flex-wrap gap-2");
  const again = element("button", "btn btn-sm btn-outline-primary", t.sendAnyway);
  again.type = "button";
  again.dataset.testid = "offline-send-anyway";
  again.addEventListener("click", () => decide(entry, "send"));
  const discard = element("button", "btn btn-sm btn-outline-danger", t.discard);
  discard.type = "button";
  discard.dataset.testid = "offline-discard";
  discard.addEventListener("click", () => decide(entry, "discard"));
  actions.append(again, discard);
  card.append(actions);
  return card;
}

let rendering = Promise.resolve();
function render() {
  rendering = rendering.then(renderNow).catch(() => {});
  return rendering;
}

async function renderNow() {
  if (!root) return;
  const area = root.querySelector("[data-offline-pending]");
  if (!area) return;
  const answers = await mine("answers");
  const n = { answers: answers.length, files: (await files()).length };
  const summary = area.querySelector("[data-offline-summary]");
  const hint = area.querySelector("[data-offline-hint]");
  const list = area.querySelector("[data-offline-blocked]");
  area.hidden = !(n.answers || n.files);
  area.className = area.hidden ? "" : "alert alert-warning small py-2";
  summary.textContent = fill(t.pending, { what: countText(n) });
  const blocked = answers.filter((e) => e.state === "blocked");
  let next = t.willSend;
  if (navigator.onLine === false) next = t.offline;
  else if (sessionEnded) next = sessionEnded;
  else if (blocked.length && blocked.length === answers.length && !n.files) next = t.decide;
  hint.textContent = next;
  list.replaceChildren(...blocked.map(blockedCard));
}

// ---------------------------------------------------------------- files (counted only)

async function fileQueued(id, name) {
  await (await db()).put("files", { id, name, user, page: window.location.pathname, addedAt: Date.now() });
  render();
}

async function fileDone(id) {
  await (await db()).delete("files", id);
  render();
}

// ---------------------------------------------------------------- the device, at logout

async function clearDevice() {
  const database = await db();
  await database.clear("answers");
  await database.clear("files");
  // The upload script's kept files (golden-retriever) and the typed drafts (static/js/kla.js).
  Object.keys(window.localStorage)
    .filter((key) => key.startsWith("uppyState:") || key.startsWith("kla-draft:"))
    .forEach((key) => window.localStorage.removeItem(key));
  if (window.indexedDB) window.indexedDB.deleteDatabase("uppy-blobs");
  await clearCopies();
  window.localStorage.removeItem(USER_KEY);
}

async function clearCopies() {
  if (window.caches) await Promise.all(PAGE_CACHES.map((name) => window.caches.delete(name)));
}

logoutForms.forEach((form) => {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.cleared) return;
    event.preventDefault();
    let n = { answers: 0, files: 0 };
    try {
      n = await counts();
    } catch {
      // No IndexedDB: nothing can wait here.
    }
    if ((n.answers || n.files) && !window.confirm(fill(t.logoutConfirm, { what: countText(n) }))) return;
    try {
      await clearDevice();
    } finally {
      form.dataset.cleared = "1";
      form.submit();
    }
  });
});

// ---------------------------------------------------------------- start

async function start() {
  if (!root) return;
  // Another person logged in on this device: the copies kept for the previous one go.
  const previous = window.localStorage.getItem(USER_KEY);
  if (previous && previous !== user) await clearCopies();
  window.localStorage.setItem(USER_KEY, user);
  if ("serviceWorker" in navigator && root.dataset.sw) {
    const hadWorker = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).catch(() => {});
    if (!hadWorker && root.hasAttribute("data-keep") && window.caches) keepFirstVisit();
  }
  // A connection that came back without an "online" event (a phone that never said it was
  // offline): what waits is tried again now and then.
  setInterval(() => {
    if (navigator.onLine !== false) flush();
  }, 60000);
  window.addEventListener("online", () => {
    render();
    flush();
  });
  window.addEventListener("offline", () => {
    render();
    document.querySelectorAll("form[data-autosave]").forEach((form) => say(form, ""));
  });
  await render();
  if (navigator.onLine !== false) flush();
}

window.klaOffline = {
  flush,
  fileQueued,
  fileDone,
  // Before the page reloads itself: what was typed goes first.
  saveNow: () => Promise.all(saveNows.map((save) => save())),
};

start();
