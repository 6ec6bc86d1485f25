// Progressive enhancement only, inlined into report.html: the filter works without this (CSS :has). It keeps
// the URL hash, the "showing" count and copy buttons, and filters by itself in browsers without :has. It shows
// the approve/reject ticks and exports them as approvals.json (a Blob download: no server, works from file://).
// It reads the page's own attributes and never embeds a value from the results.
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
  setUpApprovals();

  function setUpApprovals() {
    var bar = document.getElementById("export");
    var main = document.getElementById("cases");
    var button = document.getElementById("export-approvals");
    var status = document.getElementById("export-status");
    if (!bar || !main || !button || !window.Blob || !window.URL) { return; }
    var ticks = document.querySelectorAll("fieldset.decide, .decide-add");
    if (!ticks.length) { return; }
    Array.prototype.forEach.call(ticks, function (el) { el.hidden = false; });
    bar.hidden = false;
    button.addEventListener("click", function () {
      var collected = collect();
      status.className = collected.error ? "bad" : "";
      if (collected.error) {
        status.textContent = collected.error.message;
        collected.error.focus.focus();
        return;
      }
      if (!collected.cases.length) {
        status.textContent = "Nothing ticked yet: choose approve or reject on a sample first.";
        return;
      }
      var body = { schema: "promptlib-approvals/1", run_id: main.getAttribute("data-run-id"),
                   exported_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"), cases: collected.cases };
      download(JSON.stringify(body, null, 2) + "\n");
      status.textContent = "Exported " + collected.count + " decision" + (collected.count === 1 ? "" : "s") +
        " on " + collected.cases.length + " case" + (collected.cases.length === 1 ? "" : "s") + " to approvals.json.";
    });
  }

  function collect() {
    var cases = [], count = 0, error = null;
    cards.forEach(function (card) {
      if (error) { return; }
      var samples = [];
      Array.prototype.forEach.call(card.querySelectorAll("fieldset.decide"), function (box) {
        var chosen = box.querySelector('input[type="radio"]:checked');
        var decision = chosen ? chosen.value : "";
        if (!decision || error) { return; }
        var reasonInput = box.querySelector(".reason input");
        var reason = reasonInput ? reasonInput.value.trim() : "";
        if (decision === "reject" && !reason) {
          error = { message: "Sample #" + box.getAttribute("data-sample") + " of " + card.getAttribute("data-key") +
                    ": a rejection needs a reason.", focus: reasonInput || box };
          return;
        }
        var entry = { sample: parseInt(box.getAttribute("data-sample"), 10), sha256: box.getAttribute("data-sha256"),
                      decision: decision };
        if (decision === "reject") { entry.reason = reason; }
        samples.push(entry);
      });
      if (samples.length) {
        var add = card.querySelector('.decide-add input[type="checkbox"]');
        cases.push({ key: card.getAttribute("data-key"), add: !!(add && add.checked), samples: samples });
        count += samples.length;
      }
    });
    return { cases: cases, count: count, error: error };
  }

  function download(text) {
    var url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = "approvals.json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
})();
