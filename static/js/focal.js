/* Focal point: a click on the photo sets where crops centre, and saves it.
 *
 * Without JavaScript the two number fields under the photo do the same.
 */
(function () {
  "use strict";

  function clamp(v) {
    return Math.min(1, Math.max(0, v));
  }

  function place(marker, x, y) {
    marker.style.left = (x * 100).toFixed(2) + "%";
    marker.style.top = (y * 100).toFixed(2) + "%";
    marker.hidden = false;
  }

  function init() {
    var editors = document.querySelectorAll(".focal-editor");
    Array.prototype.forEach.call(editors, function (editor) {
      var img = editor.querySelector("img");
      var marker = editor.querySelector(".focal-marker");
      var form = editor.nextElementSibling;
      if (!img || !marker || !form || !form.matches("form.focal-form")) return;
      place(marker, parseFloat(editor.getAttribute("data-x")), parseFloat(editor.getAttribute("data-y")));
      editor.classList.add("ready");
      img.addEventListener("click", function (event) {
        var box = img.getBoundingClientRect();
        var x = clamp((event.clientX - box.left) / box.width);
        var y = clamp((event.clientY - box.top) / box.height);
        form.querySelector('input[name="x"]').value = x.toFixed(4);
        form.querySelector('input[name="y"]').value = y.toFixed(4);
        place(marker, x, y);
        form.submit();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
