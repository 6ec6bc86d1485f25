// Compare two images: side by side, slider, onion skin, blink, and the server's difference heatmap.
// Styles that change with the slider are set through the CSSOM (allowed by the CSP), never as markup.
(function () {
  "use strict";
  var picked = [];
  var blinkTimer = null;

  function el(id) { return document.getElementById(id); }

  function setMode(mode) {
    var stage = el("compare-stage");
    stage.className = "compare-stage mode-" + mode;
    document.querySelectorAll(".compare-modes button").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.mode === mode ? "true" : "false");
    });
    if (blinkTimer) { clearInterval(blinkTimer); blinkTimer = null; }
    el("compare-b").style.visibility = "";
    if (mode === "blink") {
      blinkTimer = setInterval(function () {
        var b = el("compare-b");
        b.style.visibility = b.style.visibility === "hidden" ? "" : "hidden";
      }, 500);
    }
    if (mode === "heatmap" && picked.length === 2) {
      el("compare-heat").src = "/compare/heatmap?a=" + encodeURIComponent(picked[0].dataset.ref) +
        "&b=" + encodeURIComponent(picked[1].dataset.ref);
    }
    amount();
  }

  function amount() {
    var value = el("compare-amount").value;
    var stage = el("compare-stage");
    var b = el("compare-b");
    b.style.clipPath = stage.classList.contains("mode-slider") ? "inset(0 0 0 " + value + "%)" : "";
    b.style.opacity = stage.classList.contains("mode-onion") ? String(value / 100) : "";
  }

  function open() {
    var panel = el("compare");
    if (picked.length !== 2) { panel.hidden = true; return; }
    el("compare-a").src = "/runs/" + picked[0].dataset.ref.replace(/^([^/]+)\//, "$1/files/");
    el("compare-b").src = "/runs/" + picked[1].dataset.ref.replace(/^([^/]+)\//, "$1/files/");
    el("compare-a").alt = picked[0].dataset.label;
    el("compare-b").alt = picked[1].dataset.label;
    el("compare-what").textContent = picked[0].dataset.label + " vs " + picked[1].dataset.label;
    panel.hidden = false;
    setMode("side");
  }

  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.classList || !box.classList.contains("compare-pick")) {
      if (box.id === "compare-amount") { amount(); }
      return;
    }
    picked = picked.filter(function (b) { return b !== box && document.body.contains(b); });
    if (box.checked) { picked.push(box); }
    while (picked.length > 2) { picked.shift().checked = false; }
    open();
  });
  document.addEventListener("input", function (e) { if (e.target.id === "compare-amount") { amount(); } });
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest(".compare-modes button") : null;
    if (button) { setMode(button.dataset.mode); return; }
    if (e.target.id === "compare-close") {
      picked.forEach(function (b) { b.checked = false; });
      picked = [];
      open();
    }
  });
})();
