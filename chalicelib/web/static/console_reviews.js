// The reviews section's one behaviour: a box that ticks (or unticks) every review of the page for a bulk action.
// Without script each review is ticked on its own; the box stays hidden.
(function () {
  "use strict";

  var all = document.getElementById("select-all");
  if (!all) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][name="ids"][form="bulk"]'));
  if (!boxes.length) { return; }
  all.closest("[data-select-all]").hidden = false;

  function reflect() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    reflect();
  });
  boxes.forEach(function (box) { box.addEventListener("change", reflect); });
  reflect();
})();
