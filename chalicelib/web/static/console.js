// The console's few behaviours: a chart's values on hover or focus, legends that hide and show series,
// copy buttons. Everything they show is in the page without script too (labels, tables, fields).
(function () {
  "use strict";

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  each(document, "[data-legend-for]", function (legend) {
    var chart = document.getElementById(legend.getAttribute("data-legend-for"));
    each(legend, "button[data-series]", function (button) {
      button.addEventListener("click", function () {
        var on = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", on ? "true" : "false");
        each(chart, '[data-series="' + button.getAttribute("data-series") + '"]', function (shape) {
          shape.classList.toggle("series-off", !on);
        });
      });
    });
  });

  each(document, "svg[data-tip]", function (svg) {
    var tip = document.getElementById(svg.getAttribute("data-tip"));
    var cursor = svg.querySelector(".cursor");
    var legend = document.querySelector('[data-legend-for="' + svg.id + '"]');
    var hits = Array.prototype.slice.call(svg.querySelectorAll(".hit"));

    function show(hit) {
      var values = JSON.parse(hit.getAttribute("data-values"));
      tip.textContent = "";
      var title = document.createElement("strong");
      title.textContent = hit.getAttribute("data-label");
      tip.appendChild(title);
      each(legend, "button[data-series]", function (button) {
        if (button.getAttribute("aria-pressed") !== "true") { return; }
        var line = document.createElement("span");
        line.className = "tip-line";
        var swatch = document.createElement("span");
        swatch.className = "swatch swatch-" + button.getAttribute("data-series");
        line.appendChild(swatch);
        line.appendChild(document.createTextNode(button.textContent.trim() + ": " + values[button.getAttribute("data-series")]));
        tip.appendChild(line);
      });
      var x = hit.getAttribute("data-x");
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
      cursor.classList.add("on");
      var box = hit.getBoundingClientRect();
      var frame = svg.parentNode.getBoundingClientRect();
      var centre = box.left + box.width / 2 - frame.left;
      tip.classList.add("on");
      var left = Math.min(Math.max(centre - tip.offsetWidth / 2, 0), frame.width - tip.offsetWidth);
      tip.style.left = left + "px";
    }

    function hide() {
      tip.classList.remove("on");
      cursor.classList.remove("on");
    }

    hits.forEach(function (hit, index) {
      hit.addEventListener("mouseenter", function () { show(hit); });
      hit.addEventListener("focus", function () { show(hit); });
      hit.addEventListener("mouseleave", hide);
      hit.addEventListener("blur", hide);
      hit.addEventListener("keydown", function (event) {
        var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: hits.length - 1 }[event.key];
        if (next === undefined || !hits[next]) { return; }
        event.preventDefault();
        // One tab stop for the whole chart: the day last focused keeps it.
        hit.setAttribute("tabindex", "-1");
        hits[next].setAttribute("tabindex", "0");
        hits[next].focus();
      });
    });
  });

  each(document, "button[data-copy]", function (button) {
    var status = document.getElementById("copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      field.select();
      var done = function () { if (status) { status.textContent = "Copied."; } };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
