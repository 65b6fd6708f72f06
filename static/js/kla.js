// Site-wide behaviour, kept out of the HTML so the Content-Security-Policy can forbid inline
// scripts. Forms marked data-once disable their submit buttons after the first submit, so a
// double click on a slow connection does not send the same action twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-once]")) return;
  if (form.dataset.submitted) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit]").forEach((b) => b.setAttribute("aria-disabled", "true"));
});


// A page that reloads itself goes through this (replaced below where a form keeps drafts).
window.klaReload = () => window.location.reload();

// Typed work is never lost. A form marked data-draft keeps what is typed in this browser
// (localStorage, per form address) until the server shows the same values back: a save that
// met an expired session, a dropped connection or a closed tab is restored when the person
// comes back to the page, with a notice saying so. Leaving with unsaved changes asks first.
(() => {
  const forms = document.querySelectorAll("form[data-draft]");
  if (!forms.length || !window.localStorage) return;
  const fieldsOf = (form) =>
    [...form.elements].filter((e) => e.name && !["hidden", "submit", "file"].includes(e.type) && e.name !== "csrfmiddlewaretoken");
  const valuesOf = (form) => Object.fromEntries(fieldsOf(form).map((e) => [e.name, e.value]));
  // "6,5" typed and "6,50" shown back are the same points.
  const norm = (v) => {
    const text = (v ?? "").trim();
    // As the server reads points: with a comma, points are thousands; else the decimal mark.
    const number = Number(text.includes(",") ? text.replace(/\./g, "").replace(",", ".") : text);
    return text !== "" && /^[\d.,]+$/.test(text) && !Number.isNaN(number) ? String(number) : text;
  };
  const same = (a, b) => Object.keys(a).every((k) => norm(b[k]) === norm(a[k]));
  let dirty = false;
  let reloading = false;
  // The page reloads itself (the upload script, after a file is stored, to list it): what was
  // typed is saved first when the connection allows, else kept here and restored after the
  // reload; no "leave this page?" for a reload nobody asked for.
  window.klaReload = async () => {
    try { if (window.klaOffline) await window.klaOffline.saveNow(); } catch (e) { /* kept below */ }
    reloading = true;
    window.location.reload();
  };
  forms.forEach((form) => {
    const key = "kla-draft:" + form.getAttribute("action");
    const served = valuesOf(form);
    let stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    if (stored && stored.values) {
      if (same(stored.values, served)) {
        localStorage.removeItem(key);  // the server has it: nothing left to keep
      } else {
        fieldsOf(form).forEach((e) => { if (e.name in stored.values) e.value = stored.values[e.name]; });
        const notice = form.querySelector("[data-draft-notice]");
        if (notice) {
          notice.textContent = notice.dataset.template.replace("{time}", stored.time || "");
          notice.hidden = false;
        }
        dirty = true;
      }
    }
    let timer = null;
    form.addEventListener("input", () => {
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        localStorage.setItem(key, JSON.stringify({ values: valuesOf(form), time }));
      }, 400);
    });
    // The page's script saved the form itself (assets/js/offline.js): the server has it.
    form.addEventListener("kla:saved", () => {
      dirty = false;
      clearTimeout(timer);
      localStorage.removeItem(key);
    });
    // Kept in the device's queue, to be sent when the connection is back: nothing to lose by
    // leaving; this copy stays to fill the form again if the page opens without a connection.
    form.addEventListener("kla:kept", () => { dirty = false; });
    form.addEventListener("submit", () => {
      dirty = false;
      clearTimeout(timer);
      const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      localStorage.setItem(key, JSON.stringify({ values: valuesOf(form), time }));
    });
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !reloading) { event.preventDefault(); event.returnValue = ""; }
  });
})();
