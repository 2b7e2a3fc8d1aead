// Documents page: local preview, per-file progress, the server's message on its slot; files
// over the size limit are refused before they are sent.
// No inline script (the Content-Security-Policy forbids it); without JS the forms post normally.
"use strict";
(function () {
  function showPreview(form) {
    var box = form.querySelector(".local-preview");
    box.textContent = "";
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      if (!input.files || !input.files[0]) return;
      var img = document.createElement("img");
      img.className = "doc-preview local";
      img.alt = input.files[0].name;
      img.src = URL.createObjectURL(input.files[0]);
      box.appendChild(img);
    });
  }

  function showError(form, text) {
    var el = form.querySelector(".slot-error");
    el.textContent = text;
    el.hidden = !text;
  }

  // Binary megabytes with one decimal, rounded up, as the server's messages give them.
  function megabytes(size) {
    return String(Math.ceil(size / 104857.6) / 10);
  }

  // The message for the first chosen file over the limit, or "" when every file fits.
  function tooLarge(form) {
    var limit = Number(form.dataset.maxBytes);
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      var file = inputs[i].files && inputs[i].files[0];
      if (limit && file && file.size > limit) {
        return form.dataset.tooLarge.replace("{name}", file.name).replace("{size}", megabytes(file.size));
      }
    }
    return "";
  }

  function upload(form, event) {
    event.preventDefault();
    // A file over the limit is refused here, before any of it is sent.
    var problem = tooLarge(form);
    if (problem) {
      showError(form, problem);
      return;
    }
    var progress = form.querySelector(".progress");
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", function () {
      button.disabled = false;
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (ignored) { answer = null; }
      if (xhr.status === 200 && answer && answer.ok) {
        progress.value = 100;
        form.reset();  // stored: nothing unsaved is left in this slot (unsaved.js)
        window.location.reload();
        return;
      }
      progress.hidden = true;
      var messages = [];
      if (answer && answer.errors) {
        Object.keys(answer.errors).forEach(function (k) { messages = messages.concat(answer.errors[k]); });
      } else {
        messages.push(form.dataset.failed || "Upload failed (HTTP " + xhr.status + "). Try again.");
      }
      showError(form, messages.join(" "));
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      progress.hidden = true;
      showError(form, "The connection failed; nothing was saved. Try again.");
    });
    showError(form, "");
    progress.hidden = false;
    progress.value = 0;
    button.disabled = true;
    xhr.send(new FormData(form));
  }

  function enableDrop(label) {
    var input = label.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (name) {
      label.addEventListener(name, function (e) { e.preventDefault(); label.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      label.addEventListener(name, function () { label.classList.remove("over"); });
    });
    label.addEventListener("drop", function (e) {
      e.preventDefault();
      input.files = e.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.upload-form").forEach(function (form) {
      form.addEventListener("change", function () { showPreview(form); showError(form, ""); });
      form.addEventListener("submit", function (e) { upload(form, e); });
      form.querySelectorAll("label.drop").forEach(enableDrop);
    });
  });
})();
