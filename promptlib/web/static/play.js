// The Play page's live parts: follow a generation's server-sent events (partial images, then each sample),
// then swap in the server-rendered variant card. Served as a file: the CSP allows no inline script.
(function () {
  "use strict";

  function follow(article) {
    if (article.dataset.following) { return; }
    article.dataset.following = "1";
    var run = article.dataset.run;
    var status = article.querySelector(".live-status");
    var source = new EventSource("/runs/" + encodeURIComponent(run) + "/events");
    function figure(index) { return article.querySelector('figure[data-index="' + index + '"]'); }
    function show(index, file, text, kind) {
      var fig = figure(index);
      if (!fig) { return; }
      var img = fig.querySelector("img");
      img.src = "/runs/" + encodeURIComponent(run) + "/files/" + file;
      img.alt = "sample " + index + ": " + text;
      fig.className = "sample " + kind;
      fig.querySelector("figcaption").textContent = "sample " + index + ": " + text;
    }
    source.addEventListener("partial", function (e) {
      var d = JSON.parse(e.data);
      show(d.sample, d.file, "partial image " + (d.partial + 1), "partial");
      status.textContent = "streaming sample " + d.sample + "…";
    });
    source.addEventListener("sample", function (e) {
      var d = JSON.parse(e.data);
      show(d.sample, d.file, d.verdict, "final v-" + d.verdict);
    });
    source.addEventListener("done", function (e) {
      source.close();
      var d = JSON.parse(e.data);
      status.textContent = d.message || d.status;
      window.htmx.ajax("GET", "/runs/" + encodeURIComponent(run) + "/card", { target: article, swap: "outerHTML" });
    });
    source.onerror = function () { status.textContent = "connection lost; see History"; source.close(); };
  }

  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("article.variant.live[data-run]").forEach(follow);
  }

  // A problem's "line N" link selects that line in the editor.
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("a.line-ref") : null;
    if (!link) { return; }
    e.preventDefault();
    var editor = document.getElementById("editor");
    var lines = editor.value.split("\n");
    var line = Math.max(1, Math.min(lines.length, parseInt(link.dataset.line, 10)));
    var start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
    editor.focus();
    editor.setSelectionRange(start, start + lines[line - 1].length);
  });

  // After a save, later saves must compare against the file just written, not the one the page loaded.
  document.addEventListener("htmx:afterSwap", function (e) {
    scan(e.target);
    var saved = document.getElementById("saved-sha");
    if (saved) { document.getElementById("file-sha256").value = saved.value; saved.remove(); }
  });
  // "Run every variant again": each finished variant's own "Run again" (as it was, not the form's state).
  document.addEventListener("click", function (e) {
    if (e.target.id !== "run-all") { return; }
    document.querySelectorAll("#variants article.variant.done button.rerun").forEach(function (b) { b.click(); });
  });
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
})();
