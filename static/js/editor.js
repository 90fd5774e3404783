/* The post editor: the practice's hashtags added to the caption, or a caption
 * template put in it, in one click; each platform's own text follows the
 * caption until it is edited.
 *
 * Without JavaScript the buttons stay hidden and the texts are there to copy;
 * a platform's box left as the page showed it still follows the caption (the
 * server compares it with the caption the page showed).
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

  // Each platform's box: the caption, marked as such, until someone edits it.
  function followCaption(caption) {
    var boxes = document.querySelectorAll(".override");
    caption.addEventListener("input", function () {
      Array.prototype.forEach.call(boxes, function (box) {
        if (box.getAttribute("data-same") !== "1") return;
        box.querySelector("textarea").value = caption.value;
      });
    });
    Array.prototype.forEach.call(boxes, function (box) {
      var text = box.querySelector("textarea");
      var mark = box.querySelector(".same-as-caption");
      text.addEventListener("input", function () {
        var same = text.value === caption.value;
        box.setAttribute("data-same", same ? "1" : "0");
        box.classList.toggle("same", same);
        if (mark) mark.hidden = !same;
      });
    });
  }

  // A form carrying new photos or a video goes with a progress bar: a phone clip
  // can take minutes to send. On success the server names the page to go to
  // (its "Saved." message still waiting there); a refusal is its page, shown.
  function sendWithProgress(form, event) {
    var chosen = form.querySelectorAll('input[type="file"]');
    var files = 0;
    Array.prototype.forEach.call(chosen, function (input) { files += input.files.length; });
    if (!files || !window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    var box = form.querySelector(".upload-progress");
    var bar = box && box.querySelector("progress");
    var text = box && box.querySelector(".upload-progress-text");
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Upload-Progress", "1");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable || !bar) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      text.textContent = percent < 100 ? "Sending… " + percent + "%" : "Checking the files…";
    });
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (xhr.status === 200 && type.indexOf("application/json") === 0) {
        window.location.assign(JSON.parse(xhr.responseText).location);
        return;
      }
      if (xhr.status >= 500) {
        fail("The server could not take the files just now. Please try again in a minute.");
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      fail("The files could not be sent: check your connection and try again.");
    });
    function fail(message) {
      if (button) button.disabled = false;
      if (text) text.textContent = message;
      if (box) box.classList.add("failed");
    }
    if (button) button.disabled = true;
    if (box) box.hidden = false;
    xhr.send(new FormData(form));
  }

  function init() {
    document.addEventListener("click", useSuggestedTime);
    var editor = document.getElementById("editor");
    if (editor) {
      editor.addEventListener("submit", function (event) { sendWithProgress(editor, event); });
    }
    var caption = document.querySelector("textarea[name=caption]");
    if (caption) useTemplates(caption);
    if (caption) followCaption(caption);
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
