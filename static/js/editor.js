/* The post editor: the practice's hashtags added to the caption, or a caption
 * template put in it, in one click.
 *
 * Without JavaScript the buttons stay hidden and the texts are there to copy.
 */
(function () {
  "use strict";

  function useTemplates(caption) {
    var buttons = document.querySelectorAll("button.use-template");
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.getElementById(button.getAttribute("data-template"));
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        caption.value = source.textContent;
        caption.dispatchEvent(new Event("input", { bubbles: true }));
        caption.focus();
      });
    });
  }

  // "Use this time" in the best-time suggestion (loaded after the page by htmx).
  function useSuggestedTime(event) {
    var button = event.target.closest("button.use-time");
    if (!button) return;
    var date = document.querySelector("input[name=date]");
    var time = document.querySelector("input[name=time]");
    if (!date || !time) return;
    date.value = button.getAttribute("data-date");
    time.value = button.getAttribute("data-time");
    date.dispatchEvent(new Event("input", { bubbles: true }));
    time.focus();
  }

  function init() {
    document.addEventListener("click", useSuggestedTime);
    var caption = document.querySelector("textarea[name=caption]");
    if (caption) useTemplates(caption);
    var button = document.getElementById("add-hashtags");
    var tags = document.getElementById("default-hashtags");
    if (!button || !tags || !caption) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = caption.value.replace(/\s+$/, "");
      var extra = tags.textContent.trim();
      if (text.indexOf(extra) !== -1) return;
      caption.value = text ? text + "\n\n" + extra : extra;
      // The live previews and checks listen for input.
      caption.dispatchEvent(new Event("input", { bubbles: true }));
      caption.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
