/* The calendar: drag a post to another day to move it.
 *
 * The drop fills in the page's one move form with the post's address and
 * version and the day, and sends it: the same request as the week view's
 * "Move" form on each post (which works by keyboard and without JavaScript),
 * so both ways go through the same checks.
 */
(function () {
  "use strict";

  function init() {
    var dragged = null;
    document.querySelectorAll(".chip[draggable=true]").forEach(function (chip) {
      chip.addEventListener("dragstart", function (event) {
        dragged = chip;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", chip.getAttribute("data-move-url"));
      });
    });
    document.querySelectorAll(".calendar .day").forEach(function (day) {
      day.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        day.classList.add("drop-target");
      });
      day.addEventListener("dragleave", function () {
        day.classList.remove("drop-target");
      });
      day.addEventListener("drop", function (event) {
        event.preventDefault();
        day.classList.remove("drop-target");
        if (!dragged) return;
        var form = document.getElementById("move-form");
        var chip = dragged;
        dragged = null;
        if (!form) return;
        form.action = chip.getAttribute("data-move-url");
        form.querySelector("input[name=version]").value = chip.getAttribute("data-version");
        form.querySelector("input[name=date]").value = day.getAttribute("data-date");
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
