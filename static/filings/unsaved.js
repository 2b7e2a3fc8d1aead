// Pages with forms: typed input is never lost without a warning.
// - Leaving a page whose forms hold unsaved changes asks first (beforeunload).
// - On the filing page the workflow buttons (submit for review, send, …) wait while the filing
//   form holds unsaved changes: they post their own form, which would leave the typed changes
//   behind. A form sent back with errors counts as unsaved (#workflow[data-unsaved]).
// No inline script (the Content-Security-Policy forbids it).
"use strict";
(function () {
  var TRACKED = "#filing_form, form.move, form.upload-form";
  var unsaved = new Set();

  function filingForm() {
    return document.getElementById("filing_form");
  }

  function showState() {
    var waiting = unsaved.has(filingForm());
    document.querySelectorAll("#workflow form.move button, #workflow a.page-link").forEach(function (el) {
      if (el.tagName === "BUTTON") {
        el.disabled = waiting;
      } else {
        el.classList.toggle("disabled", waiting);
        el.setAttribute("aria-disabled", waiting ? "true" : "false");
      }
    });
    var note = document.getElementById("unsaved-note");
    if (note) note.hidden = !waiting;
  }

  function changed(event) {
    var form = event.target.form;
    if (form && form.matches(TRACKED)) {
      unsaved.add(form);
      showState();
    }
  }

  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  // A link that would bypass the unsaved form (the send page) does nothing meanwhile.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#workflow a.page-link.disabled");
    if (link) event.preventDefault();
  });
  // A form being sent takes its own changes along; other forms' changes still count. Listening
  // on window runs after the page's own submit handlers (confirm.js, upload.js): a submit they
  // cancelled leaves the form as it was.
  window.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) unsaved.delete(event.target);
  });
  // upload.js resets a slot's form once its file is stored.
  document.addEventListener("reset", function (event) {
    unsaved.delete(event.target);
    showState();
  });
  window.addEventListener("beforeunload", function (event) {
    if (unsaved.size === 0) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });

  document.addEventListener("DOMContentLoaded", function () {
    var workflow = document.getElementById("workflow");
    if (workflow && workflow.dataset.unsaved && filingForm()) unsaved.add(filingForm());
    showState();
  });
})();
