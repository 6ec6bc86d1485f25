// The Review page's keys and diff views. Decisions are htmx form posts; this file only moves the selection,
// presses the page's own buttons, and drives the diff views (mode, amount, synced zoom and pan) through the
// CSSOM (the CSP allows no inline styles or scripts). It reads the page's attributes and embeds no data.
(function () {
  "use strict";
  var MODES = ["side", "slider", "onion", "blink", "heatmap"];
  var view = { mode: "side", scale: 1, x: 0, y: 0 };
  var blinkTimer = null;
  var drag = null;

  function el(id) { return document.getElementById(id); }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" && target.type === "text" || tag === "TEXTAREA" || tag === "SELECT" ||
      (target && target.isContentEditable);
  }

  function move(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll(".queue a.q-item"));
    if (!items.length) { return; }
    var current = items.findIndex(function (a) { return a.getAttribute("aria-current") === "true"; });
    var next = items[Math.min(items.length - 1, Math.max(0, current + step))];
    if (next && (current === -1 || next !== items[current])) { next.click(); }
  }

  function setMode(mode) {
    var stage = el("rv-stage");
    if (!stage) { return; }
    view.mode = mode;
    stage.className = "rv-stage mode-" + mode;
    document.querySelectorAll("#rv-compare .compare-modes button").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-mode") === mode ? "true" : "false");
    });
    if (blinkTimer) { clearInterval(blinkTimer); blinkTimer = null; }
    var adjustable = mode === "slider" || mode === "onion";  // the amount means something only there
    ["rv-amount", "rv-amount-label"].forEach(function (id) { if (el(id)) { el(id).hidden = !adjustable; } });
    var b = el("rv-b");
    if (b) { b.style.visibility = ""; }
    var heat = el("rv-heat");
    if (mode === "heatmap" && heat && heat.getAttribute("data-src") &&
        heat.getAttribute("src") !== heat.getAttribute("data-src")) {
      heat.src = heat.getAttribute("data-src");  // computed on the server, so only asked for when shown
    }
    if (mode === "blink" && b) {
      blinkTimer = setInterval(function () {
        b.style.visibility = b.style.visibility === "hidden" ? "" : "hidden";
      }, 500);
    }
    amount();
  }

  function amount() {
    var range = el("rv-amount"), stage = el("rv-stage"), pane = document.querySelector(".rv-pane.rv-b");
    if (!range || !stage || !pane) { return; }
    pane.style.clipPath = view.mode === "slider" ? "inset(0 0 0 " + range.value + "%)" : "";
    pane.style.opacity = view.mode === "onion" ? String(range.value / 100) : "";
  }

  function transform() {
    var css = "translate(" + view.x + "px, " + view.y + "px) scale(" + view.scale + ")";
    document.querySelectorAll("#rv-stage img").forEach(function (img) { img.style.transform = css; });
    var shown = el("rv-zoom");
    if (shown) { shown.textContent = Math.round(view.scale * 100) + " %"; }
  }

  function zoom(factor) {
    view.scale = Math.min(16, Math.max(1, view.scale * factor));
    if (view.scale === 1) { view.x = 0; view.y = 0; }
    transform();
  }

  function pick(radio) {
    var a = el("rv-a"), b = el("rv-b"), heat = el("rv-heat"), label = el("rv-a-label");
    if (!a || !radio) { return; }
    a.src = radio.getAttribute("data-sample");
    if (b) { b.src = radio.getAttribute("data-golden") || "/static/blank.png"; }
    if (heat) {
      heat.setAttribute("data-src", radio.getAttribute("data-heatmap") || "");
      heat.src = view.mode === "heatmap" && heat.getAttribute("data-src") ? heat.getAttribute("data-src") : "/static/blank.png";
    }
    if (label) { label.textContent = radio.value; }
    var reject = el("rv-reject-sample");
    if (reject) { reject.value = radio.value; }
  }

  function restore() {
    // After htmx swaps the workspace in, keep the reviewer's diff view and zoom.
    if (el("rv-stage")) { setMode(view.mode); transform(); }
  }

  document.addEventListener("keydown", function (e) {
    var help = el("review-help");
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (typing(e.target)) {
      if (e.key === "Escape") { e.target.blur(); }
      return;
    }
    if (e.key === "?") { e.preventDefault(); if (help && !help.open) { help.showModal(); } return; }
    if (help && help.open) { return; }
    var mode = MODES[parseInt(e.key, 10) - 1];
    if (mode) { e.preventDefault(); setMode(mode); return; }
    if (e.key === "j") { e.preventDefault(); move(1); }
    else if (e.key === "k") { e.preventDefault(); move(-1); }
    else if (e.key === "a") { var button = el("rv-approve-button"); if (button) { e.preventDefault(); button.click(); } }
    else if (e.key === "r") { var reason = el("rv-reason"); if (reason) { e.preventDefault(); reason.focus(); } }
    else if (e.key === "+" || e.key === "=") { zoom(1.25); }
    else if (e.key === "-") { zoom(0.8); }
    else if (e.key === "0") { view.scale = 1; view.x = 0; view.y = 0; transform(); }
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("#rv-compare .compare-modes button") : null;
    if (button) { setMode(button.getAttribute("data-mode")); return; }
    // Queue links are plain links (they work without JS); with it, one delegated handler swaps the workspace,
    // so a 200-case queue gives htmx nothing to process on load.
    var link = e.target.closest ? e.target.closest(".queue a.q-item") : null;
    if (link && window.htmx && !e.ctrlKey && !e.metaKey && !e.shiftKey && e.button === 0) {
      e.preventDefault();
      window.htmx.ajax("GET", link.getAttribute("href"), { target: "#review", swap: "outerHTML" }).then(function () {
        try { history.pushState(null, "", link.getAttribute("href")); } catch (err) { /* the page still works */ }
      });
    }
  });
  document.addEventListener("change", function (e) {
    if (e.target.name === "rv-compare") { pick(e.target); }
  });
  document.addEventListener("input", function (e) { if (e.target.id === "rv-amount") { amount(); } });
  document.addEventListener("wheel", function (e) {
    if (!e.target.closest || !e.target.closest("#rv-stage")) { return; }
    e.preventDefault();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15);
  }, { passive: false });
  document.addEventListener("pointerdown", function (e) {
    if (!e.target.closest || !e.target.closest("#rv-stage") || view.scale === 1) { return; }
    drag = { x: e.clientX - view.x, y: e.clientY - view.y };
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    view.x = e.clientX - drag.x;
    view.y = e.clientY - drag.y;
    transform();
  });
  document.addEventListener("pointerup", function () { drag = null; });
  document.body.addEventListener("htmx:beforeSwap", function () {
    // htmx carries an old element's attributes over to the new one with its id, and writing a style attribute is
    // an inline style the CSP refuses: drop ours first; `restore` sets them again through the CSSOM.
    document.querySelectorAll("#rv-stage [style], #rv-compare [style]").forEach(function (node) {
      node.removeAttribute("style");
    });
  });
  document.body.addEventListener("htmx:load", restore);  // new content in the page (an outerHTML swap too)
  window.addEventListener("popstate", function () { location.reload(); });  // back to a case: show that case
  restore();  // deferred: the page is parsed, so the first view is set up as every swapped-in one is
})();
