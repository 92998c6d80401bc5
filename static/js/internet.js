/* Internet points: the sessions screen keeps itself current (clocks tick here, changes made at other
   desks are fetched from a small JSON endpoint), plus small helpers of the training form and sheet.
   Every page works without this file. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function formatElapsed(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return Math.floor(seconds / 3600) + ":" + pad(Math.floor(seconds % 3600 / 60)) + ":" + pad(seconds % 60);
  }

  function userIsBusy(root) {
    // Never reload under someone's fingers: a field being typed in or an open guest form.
    var active = document.activeElement;
    if (active && root.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && active.value) {
      return true;
    }
    if (root.querySelector("details[open]")) { return true; }
    var inputs = root.querySelectorAll("input[type=text]");
    for (var i = 0; i < inputs.length; i++) { if (inputs[i].value) { return true; } }
    return false;
  }

  function screen(root) {
    var offset = Date.parse(root.getAttribute("data-now")) - Date.now();  // server clock minus ours
    var signature = root.getAttribute("data-signature");
    var url = root.getAttribute("data-status-url");
    var every = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 15) * 1000;
    var stale = false;

    function tick() {
      var now = Date.now() + offset;
      var tiles = root.querySelectorAll("[data-started]");
      for (var i = 0; i < tiles.length; i++) {
        var tile = tiles[i];
        var seconds = (now - Date.parse(tile.getAttribute("data-started"))) / 1000;
        var label = tile.querySelector("[data-elapsed]");
        if (label) { label.textContent = formatElapsed(seconds); }
        var limit = parseInt(tile.getAttribute("data-limit"), 10);
        if (limit && seconds > limit * 60 && !tile.classList.contains("tile-over")) {
          tile.classList.remove("tile-busy");
          tile.classList.add("tile-over");
        }
      }
    }

    function poll() {
      if (document.hidden) { return; }
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (response.redirected || !response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (data) {
          offset = Date.parse(data.now) - Date.now();
          if (data.signature !== signature) {
            if (userIsBusy(root)) {
              stale = true;
              root.querySelector("[data-stale-note]").hidden = false;
            } else {
              window.location.reload();
            }
          }
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }

    root.addEventListener("focusout", function () {
      if (stale) { window.setTimeout(function () { if (!userIsBusy(root)) { window.location.reload(); } }, 3000); }
    });
    tick();
    window.setInterval(tick, 1000);
    window.setInterval(poll, every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
  }

  function countRows(box) {
    var total = box.querySelector("[data-count-total]");
    var addButton = box.querySelector("[data-add-row]");
    function sum() {
      var n = 0;
      var inputs = box.querySelectorAll("input[type=number]");
      for (var i = 0; i < inputs.length; i++) { n += parseInt(inputs[i].value, 10) || 0; }
      if (total) { total.textContent = n; }
    }
    box.addEventListener("input", sum);
    sum();
    if (!addButton) { return; }
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var rows = box.querySelectorAll("[data-count-row]");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var index = rows.length;
      var fields = copy.querySelectorAll("input, select");
      for (var i = 0; i < fields.length; i++) {
        var field = fields[i];
        field.name = field.name.replace(/counts-\d+-/, "counts-" + index + "-");
        field.id = field.id.replace(/counts-\d+-/, "counts-" + index + "-");
        if (field.hasAttribute("data-testid")) {
          field.setAttribute("data-testid", field.getAttribute("data-testid").replace(/\d+$/, index));
        }
        if (field.tagName === "SELECT") { field.selectedIndex = 0; } else { field.value = ""; }
      }
      var errors = copy.querySelectorAll(".error");
      for (var j = 0; j < errors.length; j++) { errors[j].remove(); }
      last.parentNode.appendChild(copy);
      copy.querySelector("select").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-internet-screen]");
    if (root) { screen(root); }
    var box = document.querySelector("[data-count-rows]");
    if (box) { countRows(box); }
    var printButton = document.querySelector("[data-print]");
    if (printButton) {
      printButton.hidden = false;
      printButton.addEventListener("click", function () { window.print(); });
    }
    var selects = document.querySelectorAll("select[data-autosubmit]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (event) { event.target.form.submit(); });
    }
  });
})();
