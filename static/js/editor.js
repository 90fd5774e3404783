/* The post editor: the practice's hashtags added to the caption in one click.
 *
 * Without JavaScript the button stays hidden and the hashtags are there to copy.
 */
(function () {
  "use strict";

  function init() {
    var button = document.getElementById("add-hashtags");
    var tags = document.getElementById("default-hashtags");
    var caption = document.querySelector("textarea[name=caption]");
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
