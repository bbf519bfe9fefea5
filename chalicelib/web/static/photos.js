/* The review form's photos: each chosen file is uploaded straight to storage through a presigned POST
 * (asked of /r/<token>/photos), and its id joins the form's photo_ids field. Without this script the
 * form still sends the review's text. */
(function () {
  "use strict";
  var MAX = 5;
  var TYPES = { "image/jpeg": 1, "image/png": 1, "image/webp": 1 };

  // The page's words, in the buyer's language (data-say-* on the picker).
  function text(picker, name) { return picker.dataset[name] || ""; }

  function say(list, message, kind) {
    var li = document.createElement("li");
    li.className = "photo-" + kind;
    li.textContent = message;
    list.appendChild(li);
    return li;
  }

  function upload(picker, form, file) {
    var list = picker.querySelector(".photo-list");
    var ids = form.querySelector("input[name='photo_ids']");
    var taken = ids.value ? ids.value.split(",") : [];
    if (taken.length >= MAX) { say(list, file.name + ": " + text(picker, "sayTooMany"), "refused"); return Promise.resolve(); }
    if (!TYPES[file.type]) { say(list, file.name + ": " + text(picker, "sayType"), "refused"); return Promise.resolve(); }
    if (file.size > 10 * 1024 * 1024) { say(list, file.name + ": " + text(picker, "saySize"), "refused"); return Promise.resolve(); }
    var line = say(list, file.name + ": " + text(picker, "sayUploading"), "processing");
    var product = form.querySelector("input[name='product_id']").value;
    return fetch(picker.getAttribute("data-upload"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ product_id: product, content_type: file.type, size: file.size })
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.error ? answer.error.message : text(picker, "sayRefused")); }
        var data = new FormData();
        Object.keys(answer.upload.fields).forEach(function (name) { data.append(name, answer.upload.fields[name]); });
        data.append("file", file);
        return fetch(answer.upload.url, { method: "POST", body: data }).then(function (stored) {
          if (!stored.ok) { throw new Error(text(picker, "sayNotStored")); }
          var now = ids.value ? ids.value.split(",") : [];
          now.push(answer.photo_id);
          ids.value = now.join(",");
          line.className = "photo-ready";
          line.textContent = file.name + ": " + text(picker, "sayAttached");
        });
      });
    }).catch(function (error) {
      line.className = "photo-refused";
      line.textContent = file.name + ": " + error.message;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-photo-picker]"), function (picker) {
    var form = picker.closest("form");
    var input = picker.querySelector("[data-photo-input]");
    var button = form.querySelector("button[type='submit']");
    picker.hidden = false;
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      button.disabled = true;
      files.reduce(function (done, file) {
        return done.then(function () { return upload(picker, form, file); });
      }, Promise.resolve()).then(function () {
        button.disabled = false;
        input.value = "";
      });
    });
  });
}());
