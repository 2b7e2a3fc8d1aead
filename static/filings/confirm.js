// Asks before a workflow button whose move has a confirmation text (data-confirm) acts.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.dataset ? button.dataset.confirm : "";
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
