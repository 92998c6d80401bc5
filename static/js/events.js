/* Events pages: small enhancements; every page works without this file. */
(function () {
  "use strict";

  // Filters that apply as soon as a choice is made.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });

  // Exhibition form: a travelling exhibition has stops instead of one venue.
  var kind = document.getElementById("kind");
  var venueBlocks = document.querySelectorAll("[data-kind-hide]");
  function toggleVenue() {
    venueBlocks.forEach(function (block) {
      block.hidden = kind && kind.value === block.getAttribute("data-kind-hide") && !block.querySelector("input").value;
    });
  }
  if (kind && venueBlocks.length) {
    kind.addEventListener("change", toggleVenue);
    toggleVenue();
  }

  // Activity form: "repeat until" only matters when the activity repeats.
  var repeat = document.getElementById("repeat");
  var until = document.getElementById("until");
  if (repeat && until) {
    var untilField = until.closest(".field");
    var toggleUntil = function () { untilField.hidden = !repeat.value; };
    repeat.addEventListener("change", toggleUntil);
    toggleUntil();
  }
})();
