// A button marked data-copy="<selector>" copies that element's text to the clipboard and says
// so in the page's [data-copy-status] (texts from the button, translated by the page). Kept
// out of the HTML: the Content-Security-Policy forbids inline scripts.
(() => {
  // The clipboard API can wait for ever (a window without focus, a permission never
  // answered): after a moment the older command is used instead.
  const withTimeout = (promise, ms) =>
    Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);

  const copyBySelection = (source) => {
    source.focus();
    if (source.select) source.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    const status = document.querySelector("[data-copy-status]");
    if (!source) return;
    const text = source.value ?? source.textContent;
    let copied = false;
    try {
      if (!navigator.clipboard) throw new Error("no clipboard API");
      await withTimeout(navigator.clipboard.writeText(text), 1500);
      copied = true;
    } catch (error) {
      copied = copyBySelection(source);
    }
    if (status) status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
  });
})();
