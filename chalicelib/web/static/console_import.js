// The import section's behaviours. The upload form posts the file straight to storage, which sends the browser
// to the import's page; with this script the file is checked for size first, the page says it is uploading,
// and the import's page is opened by the page itself. An import's page asks for its JSON every second while it
// runs (each ask moves the import on) and shows the progress; without script its Refresh link does the same.
(function () {
  "use strict";

  var RUNNING = { checking: true, importing: true };

  function say(element, message) {
    if (element) { element.textContent = message; }
  }

  function storageRefusal(text) {
    // Storage answers a refused upload with XML: <Error><Code>..</Code><Message>..</Message></Error>
    var found = /<Message>([^<]*)<\/Message>/.exec(text || "");
    return found ? found[1] : "";
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-import-upload]"), function (form) {
    var input = form.querySelector("input[type='file']");
    var message = form.querySelector("[data-import-message]");
    var uploading = form.querySelector("[data-import-uploading]");
    var button = form.querySelector("button[type='submit']");
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = input.files && input.files[0];
      if (!file) { say(message, "Choose the CSV file first."); input.focus(); return; }
      if (file.size === 0) { say(message, file.name + " is empty."); return; }
      if (file.size > max) {
        say(message, file.name + " is over " + Math.round(max / 1048576) + " MB: export fewer reviews per file.");
        return;
      }
      button.disabled = true;
      uploading.hidden = false;
      say(message, "Uploading " + file.name + "…");
      // Storage answers a stored file with a redirect to the import's page: followed by hand, so that the
      // page is opened by this page (its session cookie goes with it).
      fetch(form.action, { method: "POST", body: new FormData(form), redirect: "manual" })
        .then(function (response) {
          if (response.type === "opaqueredirect" || response.ok) {
            say(message, "Uploaded. Checking " + file.name + "…");
            window.location.assign(form.getAttribute("data-next"));
            return null;
          }
          return response.text().then(function (text) {
            var reason = storageRefusal(text);
            throw new Error("The upload was refused" + (reason ? ": " + reason : "") + ". Reload the page and try again.");
          });
        })
        .catch(function (error) {
          uploading.hidden = true;
          button.disabled = false;
          say(message, error.message && error.message.indexOf("The upload") === 0 ? error.message
            : "The file could not be uploaded: check your connection and try again.");
        });
    });
  });

  var job = document.querySelector("[data-import-job]");
  if (!job || !RUNNING[job.getAttribute("data-status")]) { return; }
  var url = job.getAttribute("data-import-job");
  var progress = job.querySelector("progress");
  var live = job.querySelector("[data-import-live]");
  var said = -1;
  var failures = 0;

  function show(view) {
    progress.max = view.progress.total;
    progress.value = view.progress.done;
    progress.textContent = view.progress.percent + "%";
    Array.prototype.forEach.call(job.querySelectorAll("[data-field]"), function (field) {
      var name = field.getAttribute("data-field");
      var value = name === "percent" ? view.progress.percent : view[name];
      if (value !== undefined && value !== null) { field.textContent = value; }
    });
    // Screen readers hear every tenth of the way, not every second.
    var step = Math.floor(view.progress.percent / 10);
    if (step !== said) {
      said = step;
      say(live, view.status_label + ": " + view.progress.percent + "% done.");
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") !== 0) {
          throw new Error("signed out");  // the session ended: the sign-in page came back
        }
        return response.json().then(function (view) {
          if (!response.ok) { throw new Error(view.error ? view.error.message : "refused"); }
          return view;
        });
      })
      .then(function (view) {
        failures = 0;
        if (!RUNNING[view.status]) {
          window.location.reload();  // checked, done or stopped: the page shows the outcome
          return;
        }
        show(view);
        window.setTimeout(poll, 1000);
      })
      .catch(function (error) {
        failures += 1;
        if (error.message === "signed out" || failures >= 5) {
          say(live, "The page stopped following the import: use Refresh.");
          return;
        }
        window.setTimeout(poll, 1000 * Math.pow(2, failures));
      });
  }

  window.setTimeout(poll, 500);
}());
