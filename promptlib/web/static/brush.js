// The mask brush: paint over the input image; the painted area becomes transparent in an RGBA PNG mask the
// size of the image (what the images API edits), handed to the mask's file input so the form sends it.
(function () {
  "use strict";

  function setup(brush) {
    var canvas = brush.querySelector(".brush-canvas");
    var ctx = canvas.getContext("2d");
    var input = document.getElementById(brush.dataset.maskInput);
    var select = document.getElementById("var-" + brush.dataset.imageSelect);
    var mask = document.createElement("canvas");
    var maskCtx = mask.getContext("2d");
    var photo = new Image();
    var drawing = false;

    function reset() {
      mask.width = photo.naturalWidth || 512;
      mask.height = photo.naturalHeight || 512;
      canvas.width = mask.width;
      canvas.height = mask.height;
      maskCtx.globalCompositeOperation = "source-over";
      maskCtx.fillStyle = "rgba(0,0,0,1)";
      maskCtx.fillRect(0, 0, mask.width, mask.height);
      paint();
    }
    function paint() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (photo.complete && photo.naturalWidth) { ctx.drawImage(photo, 0, 0); }
      // show the painted (to-be-edited) area as a translucent highlight
      ctx.save();
      ctx.globalAlpha = 0.45;
      ctx.fillStyle = "#ff2d55";
      var data = maskCtx.getImageData(0, 0, mask.width, mask.height).data;
      var shade = ctx.createImageData(mask.width, mask.height);
      for (var i = 0; i < data.length; i += 4) {
        if (data[i + 3] < 128) { shade.data[i] = 255; shade.data[i + 1] = 45; shade.data[i + 2] = 85; shade.data[i + 3] = 140; }
      }
      ctx.restore();
      var layer = document.createElement("canvas");
      layer.width = mask.width; layer.height = mask.height;
      layer.getContext("2d").putImageData(shade, 0, 0);
      ctx.drawImage(layer, 0, 0);
    }
    function at(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }
    var last = null;
    function dab(e) {
      var p = at(e);
      var size = parseInt(brush.querySelector(".brush-size").value, 10) * canvas.width / 512;
      maskCtx.globalCompositeOperation = "destination-out";
      maskCtx.lineCap = "round";
      maskCtx.lineWidth = size;
      maskCtx.beginPath();
      maskCtx.moveTo((last || p)[0], (last || p)[1]);  // a stroke, not dots, however fast the pointer moves
      maskCtx.lineTo(p[0] + 0.01, p[1]);
      maskCtx.stroke();
      last = p;
      paint();
    }
    function commit() {
      mask.toBlob(function (blob) {
        var transfer = new DataTransfer();
        transfer.items.add(new File([blob], "brushed-mask.png", { type: "image/png" }));
        input.files = transfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        brush.dataset.committed = String(blob.size);
      }, "image/png");
    }
    function load() {
      var path = select ? select.value : "";
      photo = new Image();
      photo.onload = reset;
      photo.onerror = reset;
      if (path) { photo.src = "/project-file/" + path.split("/").map(encodeURIComponent).join("/"); } else { reset(); }
    }
    canvas.addEventListener("pointerdown", function (e) { drawing = true; last = null; canvas.setPointerCapture(e.pointerId); dab(e); });
    canvas.addEventListener("pointermove", function (e) { if (drawing) { dab(e); } });
    canvas.addEventListener("pointerup", function () { if (drawing) { drawing = false; commit(); } });
    brush.querySelector(".brush-clear").addEventListener("click", function () {
      reset();
      input.value = "";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    if (select) { select.addEventListener("change", load); }
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".brush[data-mask-input]").forEach(setup);
  });
})();
