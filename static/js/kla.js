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

