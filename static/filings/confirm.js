// Every page: asks before a button whose action has a confirmation text (data-confirm) acts, and
// shows next to the review queue's link in the top bar how many filings wait for this reviewer.
// No inline script (the Content-Security-Policy forbids it).
"use strict";
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.dataset ? button.dataset.confirm : "";
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("DOMContentLoaded", function () {
  var link = document.querySelector("#user-tools a[href$='/review-queue/']");
  if (!link || !window.fetch) return;
  fetch(link.getAttribute("href") + "count/", {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
    .then(function (answer) { return answer.ok ? answer.json() : null; })
    .then(function (data) {
      if (!data || typeof data.count !== "number") return;
      var badge = document.createElement("span");
      badge.className = "queue-count" + (data.count ? "" : " empty");
      badge.id = "review-queue-count";
      badge.textContent = String(data.count);
      link.appendChild(badge);
    })
    .catch(function () { /* no count: the link itself still works */ });
});
