/* The tip form: show/hide the patient questions, preview photos, show upload progress.
 *
 * Everything here is an improvement on a plain form that works without it:
 * without JavaScript every section is visible and the form posts normally.
 */
(function () {
  "use strict";

  var MB = 1024 * 1024;

  function checkedValue(form, name) {
    var inputs = form.querySelectorAll('input[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked) {
        return inputs[i].type === "checkbox" ? "on" : inputs[i].value;
      }
    }
    return "";
  }

  // Elements with data-show-if="name" (a ticked checkbox) or "name=value"
  // (a chosen radio) are shown only when that holds.
  function syncVisibility(form) {
    var blocks = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < blocks.length; i++) {
      var rule = blocks[i].getAttribute("data-show-if").split("=");
      var value = checkedValue(form, rule[0]);
      var show = rule.length === 1 ? value === "on" : value === rule[1];
      blocks[i].hidden = !show;
    }
  }

  function formatSize(bytes) {
    return bytes >= MB ? (bytes / MB).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function renderPreviews(form, input) {
    var list = form.querySelector(".photo-previews");
    if (!list) return;
    var maxPhotos = parseInt(form.getAttribute("data-max-photos"), 10) || 10;
    var maxBytes = parseInt(form.getAttribute("data-max-photo-bytes"), 10) || 0;
    var canRemove = typeof DataTransfer === "function";
    list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    list.textContent = "";
    var files = Array.prototype.slice.call(input.files || []);
    files.forEach(function (file, index) {
      var item = document.createElement("li");
      item.className = "photo-preview";
      var img = document.createElement("img");
      img.alt = "Photo " + (index + 1);
      img.src = URL.createObjectURL(file);
      img.addEventListener("error", function () {
        // HEIC and some others: the browser cannot draw them, the server can.
        var tile = document.createElement("span");
        tile.className = "photo-tile";
        tile.textContent = (file.name.split(".").pop() || "photo").toUpperCase();
        img.replaceWith(tile);
      });
      item.appendChild(img);
      var meta = document.createElement("span");
      meta.className = "photo-meta";
      meta.textContent = formatSize(file.size);
      if (maxBytes && file.size > maxBytes) {
        item.classList.add("too-big");
        meta.textContent += " · too large (max " + formatSize(maxBytes) + ")";
      }
      item.appendChild(meta);
      if (canRemove) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "photo-remove";
        remove.setAttribute("aria-label", "Remove photo " + (index + 1));
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          var keep = new DataTransfer();
          files.forEach(function (f, i) { if (i !== index) keep.items.add(f); });
          input.files = keep.files;
          renderPreviews(form, input);
        });
        item.appendChild(remove);
      }
      list.appendChild(item);
    });
    var note = form.querySelector(".photo-count");
    if (!note) {
      note = document.createElement("p");
      note.className = "photo-count";
      list.after(note);
    }
    note.textContent = files.length
      ? files.length + " of at most " + maxPhotos + " photos" + (files.length > maxPhotos ? ": please remove " + (files.length - maxPhotos) : "")
      : "";
    note.classList.toggle("error", files.length > maxPhotos);
  }

  function swapPage(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var current = document.querySelector("main");
    if (!fresh || !current) {
      window.location.assign(url);
      return;
    }
    current.replaceWith(fresh);
    document.title = doc.title;
    if (url && window.history && history.replaceState) history.replaceState(null, "", url);
    init(fresh);
    var focus = fresh.querySelector(".form-problems, .messages");
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
    window.scrollTo(0, focus ? focus.getBoundingClientRect().top + window.scrollY - 12 : 0);
  }

  function sendWithProgress(form, event) {
    if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var box = form.querySelector(".upload-progress");
    var bar = box && box.querySelector("progress");
    var text = box && box.querySelector(".upload-progress-text");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable || !bar) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      text.textContent = percent < 100 ? "Sending… " + percent + "%" : "Checking the photos and video…";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 500) {
        fail("The server could not take the tip just now. Please try again in a minute.");
        return;
      }
      swapPage(xhr.responseText, xhr.responseURL);
    });
    xhr.addEventListener("error", function () {
      fail("The tip could not be sent: check your connection and try again.");
    });
    function fail(message) {
      if (button) button.disabled = false;
      if (text) text.textContent = message;
      if (box) box.classList.add("failed");
    }
    if (button) button.disabled = true;
    if (box) {
      box.hidden = false;
      box.classList.remove("failed");
    }
    if (text) text.textContent = "Sending…";
    xhr.send(new FormData(form));
  }

  function init(root) {
    var form = root.querySelector("form.tip-form");
    if (!form) return;
    form.classList.add("js");
    syncVisibility(form);
    form.addEventListener("change", function (event) {
      syncVisibility(form);
      if (event.target.matches('input[type="file"][name="photos"]')) {
        renderPreviews(form, event.target);
      }
    });
    form.addEventListener("submit", function (event) {
      sendWithProgress(form, event);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
