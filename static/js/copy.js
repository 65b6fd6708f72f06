// A button marked data-copy="<selector>" copies that element's text to the clipboard and says
// so in the page's [data-copy-status] (texts from the button, translated by the page). Kept
// out of the HTML: the Content-Security-Policy forbids inline scripts.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = document.querySelector("[data-copy-status]");
  if (!source) return;
  const text = source.value ?? source.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch (error) {
    // Without the clipboard API (an old browser, a page not served over HTTPS): select the
    // text and use the older command.
    source.focus();
    if (source.select) source.select();
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
  }
  if (status) status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
});
