// Progressive enhancement only, inlined into report.html: the filter works without this (CSS :has). It keeps
// the URL hash, the "showing" count and copy buttons, and filters by itself in browsers without :has. It reads
// the page's own attributes and never embeds a value from the results.
(function () {
  "use strict";
  var radios = Array.prototype.slice.call(document.querySelectorAll('input[name="status-filter"]'));
  var cards = Array.prototype.slice.call(document.querySelectorAll(".case"));
  var showing = document.getElementById("showing");
  var hasCss = window.CSS && CSS.supports && CSS.supports("selector(:has(*))");
  function apply() {
    var chosen = radios.filter(function (r) { return r.checked; })[0];
    var value = chosen ? chosen.value : "all";
    var shown = 0;
    cards.forEach(function (card) {
      var visible = value === "all" || card.getAttribute("data-status") === value;
      if (!hasCss) { card.hidden = !visible; }
      if (visible) { shown += 1; }
    });
    if (showing) { showing.textContent = shown + " of " + cards.length + " cases"; }
    try {
      history.replaceState(null, "", value === "all" ? location.pathname : "#" + value);
    } catch (e) { /* some browsers refuse this on file:// pages; the filter still works */ }
  }
  var wanted = location.hash.slice(1);
  radios.forEach(function (r) {
    if (r.value === wanted) { r.checked = true; }
    r.addEventListener("change", apply);
  });
  if (wanted || !hasCss) { apply(); }
  if (navigator.clipboard) {
    document.querySelectorAll("pre.cmd").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.firstChild.textContent).then(function () { button.textContent = "Copied"; });
      });
      pre.appendChild(button);
    });
  }
})();
