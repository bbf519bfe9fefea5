// The widget section: its CSS variables tried in the live preview. Each field sets its variable on the preview
// through the CSSOM (the page's CSP forbids inline styles, not this), and the CSS to paste lists the changed ones.
(function () {
  "use strict";
  var form = document.getElementById("try-variables");
  var preview = document.getElementById("widget-preview");
  var css = document.getElementById("try-css");
  if (!form || !preview || !css) { return; }
  var fields = Array.prototype.slice.call(form.querySelectorAll("input[data-variable]"));

  function apply() {
    var lines = [];
    fields.forEach(function (field) {
      var name = field.getAttribute("data-variable");
      var value = field.value.trim();
      if (value && value !== field.getAttribute("data-default")) {
        preview.style.setProperty(name, value);
        lines.push("  " + name + ": " + value + ";");
      } else {
        preview.style.removeProperty(name);
      }
    });
    css.value = lines.length ? "[data-proofloop-product] {\n" + lines.join("\n") + "\n}" : "";
  }

  fields.forEach(function (field) {
    field.addEventListener("input", apply);
    field.addEventListener("change", apply);
  });
  // A reset puts the fields back after its event: read them once it is done.
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
