/* Plan upload with progress. Without this script the form is an ordinary
   multipart POST; with it, the file goes through XMLHttpRequest so the page can
   show how much has been sent and then that the server is checking the file.
   Status text goes to a polite live region; errors to the error summary. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var button = form.querySelector("button[type=submit]");
  var status = document.getElementById("upload-status");
  var progressBox = form.querySelector(".upload-progress");
  var progress = document.getElementById("upload-progress");
  var summary = document.getElementById("upload-errors");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var lastAnnounced = -1;

  function say(text) {
    status.textContent = text;
  }

  function formatSize(bytes) {
    var units = ["B", "KB", "MB", "GB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return value.toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 }) + " " + units[unit];
  }

  function showErrors(messages) {
    var list = summary.querySelector("ul");
    list.textContent = "";
    messages.forEach(function (message) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + input.id;
      link.textContent = message;
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.hidden = false;
    input.setAttribute("aria-invalid", "true");
    summary.focus();
  }

  function reset() {
    button.disabled = false;
    progressBox.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    summary.hidden = true;
    input.removeAttribute("aria-invalid");
    var file = input.files && input.files[0];
    if (!file) {
      showErrors([form.dataset.msgMissing]);
      return;
    }
    if (file.size > maxBytes) {
      showErrors([form.dataset.msgTooLarge]);
      return;
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) {
        return;
      }
      var percent = Math.floor((e.loaded / e.total) * 100);
      progress.value = percent;
      // Announce in steps of ten: a screen reader need not hear every percent.
      if (Math.floor(percent / 10) !== lastAnnounced) {
        lastAnnounced = Math.floor(percent / 10);
        say(form.dataset.msgUploading.replace("{percent}", percent + " %").replace("{size}", formatSize(e.total)));
      }
    });
    request.upload.addEventListener("load", function () {
      progress.value = 100;
      progress.removeAttribute("value"); // indeterminate while the server checks the file
      say(form.dataset.msgProcessing);
    });
    request.addEventListener("load", function () {
      var body = request.response || {};
      if (body.location) {
        say(form.dataset.msgDone);
        window.location.assign(body.location);
        return;
      }
      reset();
      say("");
      showErrors(body.errors && body.errors.length ? body.errors : [form.dataset.msgFailed]);
    });
    request.addEventListener("error", function () {
      reset();
      say("");
      showErrors([form.dataset.msgFailed]);
    });
    button.disabled = true;
    progressBox.hidden = false;
    progress.value = 0;
    lastAnnounced = -1;
    say(form.dataset.msgUploading.replace("{percent}", "0 %").replace("{size}", formatSize(file.size)));
    request.send(new FormData(form));
  });
})();
