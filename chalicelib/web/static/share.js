// Offers the device's own share sheet where the browser has one; the channel buttons work without it.
(function () {
  "use strict";
  var button = document.getElementById("native-share");
  if (!button || !navigator.share) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.share({ text: button.getAttribute("data-text"), url: button.getAttribute("data-url") })
      .catch(function () { /* the sheet was closed */ });
  });
})();
