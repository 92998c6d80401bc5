/* The desk, instant: scans and desk buttons go by fetch, the answer replaces the result and the panel,
   the focus always returns to the scan box, and a refusal sounds different from a success.
   Without this file every form still works, with a page load per scan. */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var input = document.getElementById("scan");
  var readerField = document.getElementById("scan-reader");
  var modeField = document.getElementById("scan-mode");
  var result = document.getElementById("desk-result");
  var panel = document.getElementById("desk-panel");
  var deskUrl = form.getAttribute("data-desk-url");
  var queue = [];
  var busy = false;
  var audio = null;

  // -- sound: short and high when all is well, low and long on a refusal -----------------
  function audioContext() {
    if (audio === null) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      audio = Ctx ? new Ctx() : false;
    }
    return audio || null;
  }

  function tone(ctx, frequency, start, length, type) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = type;
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.25, ctx.currentTime + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + start + length);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(ctx.currentTime + start);
    osc.stop(ctx.currentTime + start + length + 0.02);
  }

  function sound(level) {
    var ctx = audioContext();
    if (!ctx) { return; }
    if (ctx.state === "suspended" && ctx.resume) { ctx.resume(); }
    if (level === "error") {
      tone(ctx, 220, 0, 0.22, "square");
      tone(ctx, 165, 0.25, 0.35, "square");
    } else if (level === "warn") {
      tone(ctx, 660, 0, 0.1, "triangle");
      tone(ctx, 660, 0.15, 0.1, "triangle");
    } else {
      tone(ctx, 1040, 0, 0.08, "sine");
    }
    document.body.setAttribute("data-last-sound", level);
  }

  // -- focus: always back in the scan box ---------------------------------------------------
  function focusBox() {
    input.focus();
  }

  function interactive(element) {
    return element && element.closest && element.closest("a, button, input, select, textarea, label, summary");
  }

  document.addEventListener("click", function (event) {
    if (!interactive(event.target) && !window.getSelection().toString()) { focusBox(); }
  });
  window.addEventListener("focus", focusBox);

  // -- talking to the server ------------------------------------------------------------------
  function showFailure(message) {
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
    focusBox();
  }

  function remember(data) {
    if (!window.history || !window.history.replaceState) { return; }
    var url = deskUrl + "?mode=" + encodeURIComponent(data.mode || modeField.value);
    if (data.reader_id) { url += "&reader=" + data.reader_id; }
    window.history.replaceState(null, "", url);
  }

  function apply(data) {
    if (data.redirect) {
      window.location.assign(data.redirect);
      return;
    }
    result.innerHTML = data.result_html;
    panel.innerHTML = data.panel_html;
    readerField.value = data.reader_id || "";
    form.classList.toggle("has-reader", Boolean(data.reader_id));
    var label = document.getElementById("scan-label");
    if (label && label.hasAttribute("data-with-reader")) {
      label.textContent = label.getAttribute(data.reader_id ? "data-with-reader" : "data-no-reader");
    }
    var links = document.querySelectorAll(".desk-modes a[data-mode]");
    for (var i = 0; i < links.length; i++) {
      links[i].href = deskUrl + "?mode=" + links[i].getAttribute("data-mode") +
                      (data.reader_id ? "&reader=" + data.reader_id : "");
    }
    remember(data);
    sound(data.level);
    focusBox();
  }

  function post(action, body) {
    return fetch(action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-Requested-With": "fetch"}
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        throw new Error(response.status === 400 ? "expired" : "status " + response.status);
      }
      return response.json();
    });
  }

  function pump() {
    if (busy || queue.length === 0) { return; }
    busy = true;
    var job = queue.shift();
    var body;
    var action;
    if (job.code !== undefined) {
      body = new FormData(form);       // built now, so it carries the reader the previous scan chose
      body.set("code", job.code);
      action = form.action;
    } else {
      body = new FormData(job.form);
      action = job.form.action;
    }
    post(action, body).then(apply).catch(function (error) {
      showFailure(error.message === "expired" ? form.getAttribute("data-expired") || "The page has expired: press F5."
                                              : form.getAttribute("data-offline") || "No answer from the server: scan again.");
    }).then(function () {
      busy = false;
      pump();
    });
  }

  // A scanner types fast: each Enter queues the code at once, so no scan is lost while one is on its way.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    if (code) {
      queue.push({code: code});
      pump();
    }
    focusBox();
  });

  panel.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.classList || !target.classList.contains("desk-action")) { return; }
    event.preventDefault();
    queue.push({form: target});
    pump();
  });

  // -- keys: F2 checkout, F3 return, F4 renew, F9 visits, Esc for the next reader -------------
  var keys = {F2: "checkout", F3: "return", F4: "renew", F9: "visit"};
  document.addEventListener("keydown", function (event) {
    audioContext();                        // a key press lets the page make sounds later
    var mode = keys[event.key];
    if (mode) {
      event.preventDefault();
      var link = document.querySelector(".desk-modes a[data-mode='" + mode + "']");
      if (link) { window.location.assign(link.href); }
    } else if (event.key === "Escape") {
      event.preventDefault();
      window.location.assign(deskUrl + "?mode=" + encodeURIComponent(modeField.value));
    }
  });

  focusBox();
})();
