// Copies the share link; without script the field stays selectable.
(function () {
  "use strict";
  var button = document.getElementById("copy-button");
  var status = document.getElementById("copy-status");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    field.select();
    var done = function () { status.textContent = button.getAttribute("data-copied") || "Copied."; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
