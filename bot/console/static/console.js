// The console's only script: progressive, the pages work without it.
// A filter's select applies itself when changed, so that a phone needs no second tap.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});

// The ticket page's answer templates: choosing one fills the answer box, unless the official has
// typed their own words there (the box then holds neither the empty text nor a template's).
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-template-for]")) {
    const box = document.getElementById(select.dataset.templateFor);
    if (!box) continue;
    const texts = Array.from(select.options, (option) => option.dataset.text || "");
    select.addEventListener("change", () => {
      const chosen = select.selectedOptions[0];
      if (chosen && chosen.dataset.text && (box.value.trim() === "" || texts.includes(box.value))) {
        box.value = chosen.dataset.text;
        box.focus();
      }
    });
  }
});

// Knowledge-base forms (kb_entry.html): "add a row" copies the last row of its group, emptied.
// Without the script each group ends in one empty row, filled and saved to get another.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-add-row]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const rows = button.closest("[data-rows]").querySelectorAll(".row");
      const last = rows[rows.length - 1];
      const copy = last.cloneNode(true);
      for (const field of copy.querySelectorAll("input, textarea")) field.value = "";
      for (const select of copy.querySelectorAll("select")) select.selectedIndex = 0;
      last.after(copy);
      copy.querySelector("input, textarea, select").focus();
    });
  }
});
