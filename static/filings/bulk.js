// A bulk run's progress page: asks the run's JSON every second and updates the counts, the bar
// and each item's row in place, until the run is finished. No inline script (the
// Content-Security-Policy forbids it); text only through textContent.
"use strict";
(function () {
  var root = document.getElementById("bulk-progress");
  if (!root || !window.fetch) return;
  var url = root.dataset.statusUrl;
  var EVERY_MS = 1000;

  function setText(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  function showItem(item) {
    var row = document.getElementById("bulk-item-" + item.id);
    if (!row) return;
    row.className = "item-" + item.state;
    row.dataset.state = item.state;
    setText(row.querySelector(".item-state"), item.state_label);
    setText(row.querySelector(".item-message"), item.message);
    var status = row.querySelector(".item-filing-status");
    if (status) {
      status.className = "status status-" + item.filing_status + " item-filing-status";
      setText(status, item.filing_status_label);
    }
  }

  function show(data) {
    Object.keys(data.counts).forEach(function (name) {
      setText(root.querySelector("[data-count='" + name + "']"), String(data.counts[name]));
    });
    var bar = document.getElementById("bulk-bar");
    if (bar) bar.value = data.handled;
    var state = document.getElementById("bulk-state");
    if (state) {
      state.className = "run-" + data.state;
      setText(state, data.state_label);
    }
    data.items.forEach(showItem);
    var cancel = document.getElementById("bulk-cancel");
    if (cancel) cancel.hidden = data.state !== "running";
    root.dataset.state = data.state;
    root.dataset.finished = data.finished ? "true" : "false";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.json();
      })
      .then(function (data) {
        show(data);
        if (!data.finished) window.setTimeout(poll, EVERY_MS);
      })
      .catch(function () {
        // The server is busy or restarting: try again a little later.
        window.setTimeout(poll, EVERY_MS * 3);
      });
  }

  if (root.dataset.finished !== "true") window.setTimeout(poll, EVERY_MS);
})();
