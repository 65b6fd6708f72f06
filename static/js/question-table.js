// The table of a per-unit question (templates/opd/question_table.html). When a row's
// evidence upload is stored, the upload script would reload the page and lose any choice not
// yet saved ("Ya" chosen, then the evidence uploaded): here the table's form is posted
// instead, with the choices on the page, and its answer reloads the page with the evidence.
// Nothing unsaved: the upload script's own reload is left to happen.
document.addEventListener("kla:evidence-stored", (event) => {
  const form = document.getElementById("table-form");
  if (!form) return;
  const changed = [...form.elements].some((el) => {
    if (el.type === "radio" || el.type === "checkbox") return el.checked !== el.defaultChecked;
    if (el.type === "text" || el.type === "number") return el.value !== el.defaultValue;
    return false;
  });
  if (!changed) return;
  event.preventDefault();
  const save = form.querySelector("button[name=save]") || document.querySelector("button[form=table-form][name=save]");
  form.requestSubmit(save || undefined);
});
