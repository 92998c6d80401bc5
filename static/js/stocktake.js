/* The stocktake's scan box, instant: each Enter queues the barcode, the answer replaces the result and the
   figures, the focus stays in the scan box, and the figures are asked for every few seconds so that other
   staff's scans show up. Without this file the form still works, with a page load per scan. */
(function () {
  "use strict";
  var counts = document.getElementById("stocktake-counts");
  if (!counts || !window.fetch || !window.FormData) { return; }
  var form = document.getElementById("stocktake-scan");
  var input = document.getElementById("scan");
  var result = document.getElementById("stocktake-result");
  var countsUrl = counts.getAttribute("data-counts-url");
  var queue = [];
  var busy = false;
  var audio = null;

  function formatted(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function showCounts(values) {
    var cells = counts.querySelectorAll("[data-count]");
    for (var i = 0; i < cells.length; i++) {
      var key = cells[i].getAttribute("data-count");
      if (values[key] !== undefined) { cells[i].textContent = formatted(values[key]); }
    }
  }

  function sound(level) {
    if (audio === null) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      audio = Ctx ? new Ctx() : false;
    }
    if (!audio) { return; }
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = level === "ok" ? 1040 : level === "warn" ? 660 : 200;
    osc.type = level === "error" ? "square" : "sine";
    gain.gain.value = 0.15;
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (level === "ok" ? 0.08 : 0.3));
    document.body.setAttribute("data-last-sound", level);
  }

  function failure(message) {
    result.innerHTML = "";
    var box = document.createElement("div");
    box.className = "desk-result level-error";
    box.setAttribute("data-level", "error");
    var text = document.createElement("p");
    text.className = "desk-message";
    text.textContent = message;
    box.appendChild(text);
    result.appendChild(box);
    sound("error");
  }

  function pump() {
    if (busy || queue.length === 0) { return; }
    busy = true;
    var body = new FormData(form);
    body.set("code", queue.shift());
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-Requested-With": "fetch"}
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        throw new Error(response.status === 400 ? "expired" : "status " + response.status);
      }
      return response.json();
    }).then(function (data) {
      result.innerHTML = data.result_html;
      showCounts(data.counts);
      sound(data.level);
      if (data.status !== "open") { window.location.reload(); }
    }).catch(function (error) {
      failure(error.message === "expired" ? form.getAttribute("data-expired") : form.getAttribute("data-offline"));
    }).then(function () {
      busy = false;
      if (input) { input.focus(); }
      pump();
    });
  }

  if (form && input) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = input.value.trim();
      input.value = "";
      if (code) {
        queue.push(code);
        pump();
      }
      input.focus();
    });
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target.closest && target.closest("a, button, input, select, textarea, label, summary, details")) &&
          !window.getSelection().toString()) {
        input.focus();
      }
    });
    input.focus();
  }

  // "Tick every copy listed" on the closed stocktake's list of missing copies.
  var all = document.getElementById("missing-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll("input[type=checkbox][name=items]");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
    });
  }

  // Other staff scan too: refresh the figures while the page is open and idle.
  window.setInterval(function () {
    if (busy || document.hidden) { return; }
    fetch(countsUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { showCounts(data.counts); } })
      .catch(function () { /* the next tick tries again */ });
  }, 4000);
})();
