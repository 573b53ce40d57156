// The console's only script: progressive, the pages work without it.
// A filter's select applies itself when changed, so that a phone needs no second tap.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});
