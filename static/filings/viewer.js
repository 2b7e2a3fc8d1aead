// Review page: each document image (figure.viewer) can be zoomed, turned a quarter at a time and
// fitted to its box again; "open full size" is a plain link that works without this script.
// No inline script (the Content-Security-Policy forbids it).
"use strict";
(function () {
  var STEP = 1.25;
  var MIN_SCALE = 0.25;
  var MAX_SCALE = 8;

  function setUp(figure) {
    var stage = figure.querySelector(".viewer-stage");
    var img = stage.querySelector("img");
    // The canvas takes the size of the turned image, so the stage scrolls over all of it.
    var canvas = document.createElement("div");
    canvas.className = "viewer-canvas";
    stage.insertBefore(canvas, img);
    canvas.appendChild(img);
    var view = { scale: 1, angle: 0 };

    function draw() {
      if (!img.naturalWidth) return;
      var turned = view.angle % 180 !== 0;
      var ratio = img.naturalHeight / img.naturalWidth;
      var room = stage.clientWidth;
      // At scale 1 the image, turned or not, is exactly as wide as the stage.
      var width = (turned ? room / ratio : room) * view.scale;
      var height = width * ratio;
      var boxWidth = turned ? height : width;
      var boxHeight = turned ? width : height;
      canvas.style.width = boxWidth + "px";
      canvas.style.height = boxHeight + "px";
      img.style.width = width + "px";
      img.style.height = height + "px";
      img.style.left = (boxWidth - width) / 2 + "px";
      img.style.top = (boxHeight - height) / 2 + "px";
      img.style.transform = "rotate(" + view.angle + "deg)";
      figure.dataset.scale = String(view.scale);
      figure.dataset.angle = String(view.angle);
    }

    figure.querySelector(".viewer-buttons").hidden = false;
    figure.classList.add("viewer-ready");
    figure.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-viewer]");
      if (!button) return;
      var action = button.dataset.viewer;
      if (action === "zoom-in") view.scale = Math.min(MAX_SCALE, view.scale * STEP);
      if (action === "zoom-out") view.scale = Math.max(MIN_SCALE, view.scale / STEP);
      if (action === "rotate") view.angle = (view.angle + 90) % 360;
      if (action === "fit") view = { scale: 1, angle: 0 };
      draw();
    });
    if (img.complete) draw();
    img.addEventListener("load", draw);
    window.addEventListener("resize", draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("figure.viewer").forEach(setUp);
  });
})();
