/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  // Buttons with data-confirm ask before their form is sent (CSP forbids inline handlers).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
                  event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Print buttons of printable pages (label sheets, orders, letters, registers).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
