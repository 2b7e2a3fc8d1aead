// An import's page while it is being checked or imported: asks the run's JSON every second and
// moves the bar; when the run's state changes (checked, imported, refused), loads the page again
// to show the preview or the results. No inline script (the Content-Security-Policy forbids it);
// text only through textContent.
"use strict";
(function () {
  var root = document.getElementById("import-run");
  if (!root || !window.fetch) return;
  var shown = root.dataset.state;
  if (shown !== "checking" && shown !== "importing") return;
  var url = root.dataset.statusUrl;
  var EVERY_MS = 1000;

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element && element.textContent !== text) element.textContent = text;
  }

  function show(data) {
    setText("import-done", String(data.done));
    setText("import-total", String(data.total));
    var bar = document.getElementById("import-bar");
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
    }
    var resume = document.getElementById("import-resume");
    if (resume) resume.hidden = !data.stalled;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.json();
      })
      .then(function (data) {
        if (data.state !== shown) {
          window.location.reload();
          return;
        }
        show(data);
        window.setTimeout(poll, EVERY_MS);
      })
      .catch(function () {
        // The server is busy or restarting: try again a little later.
        window.setTimeout(poll, EVERY_MS * 3);
      });
  }

  window.setTimeout(poll, EVERY_MS);
})();
