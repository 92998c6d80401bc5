/* Book rotation, a little quicker: the scan boxes (packing, checking a return) go by fetch and redraw their
   list without a page load, keep the focus in the box, and sound different on a refusal; buttons marked
   data-print print the page; a library choice applies at once. Without this file every form still works. */
(function () {
  "use strict";

  var audio = null;
  function beep(level) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (audio === null) { audio = Ctx ? new Ctx() : false; }
    if (!audio) { return; }
    if (audio.state === "suspended" && audio.resume) { audio.resume(); }
    var notes = level === "error" ? [[200, 0, 0.3]] : (level === "warn" ? [[640, 0, 0.1], [640, 0.15, 0.1]]
                                                                           : [[1000, 0, 0.08]]);
    notes.forEach(function (note) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = level === "error" ? "square" : "sine";
      osc.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, audio.currentTime + note[1]);
      gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + note[1] + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + note[1] + note[2]);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(audio.currentTime + note[1]);
      osc.stop(audio.currentTime + note[1] + note[2] + 0.02);
    });
    document.body.setAttribute("data-last-sound", level);
  }

  function scanBox(form) {
    var input = form.querySelector(".rot-scan-input");
    var target = document.getElementById(form.getAttribute("data-target"));
    var message = form.nextElementSibling;
    var counter = document.querySelector("[data-testid='crate-count']");
    var queue = [];
    var busy = false;
    if (!input || !target || !window.fetch || !window.FormData) { return; }

    function say(level, text) {
      if (message && message.classList.contains("rot-message")) {
        message.className = "rot-message level-" + level;
        message.setAttribute("data-level", level);
        message.textContent = text;
      }
      beep(level);
    }

    function pump() {
      if (busy || queue.length === 0) { return; }
      busy = true;
      var body = new FormData(form);
      body.set("barcode", queue.shift());
      fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                          headers: {"Accept": "application/json", "X-Requested-With": "fetch"}})
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          target.innerHTML = data.html;
          if (counter && typeof data.count === "number") { counter.textContent = data.count; }
          say(data.level, data.message);
        })
        .catch(function () {
          say("error", form.getAttribute("data-offline") || "No answer from the server: scan again.");
        })
        .then(function () {
          busy = false;
          input.focus();
          pump();
        });
    }

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
  }

  var boxes = document.querySelectorAll("form.rot-scan");
  for (var i = 0; i < boxes.length; i++) { scanBox(boxes[i]); }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  var selects = document.querySelectorAll("select.rot-autosubmit");
  for (var j = 0; j < selects.length; j++) {
    selects[j].addEventListener("change", function (event) { event.target.form.submit(); });
  }
})();
