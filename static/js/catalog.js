/* Catalogue pages: live progress of a MARC import (the page also refreshes itself). */
(function () {
  "use strict";
  var box = document.querySelector(".import-progress[data-status-url]");
  if (!box || ["queued", "running"].indexOf(box.getAttribute("data-state")) < 0 || !window.fetch) {
    return;
  }
  var refresh = document.querySelector("meta[http-equiv=refresh]");
  if (refresh) { refresh.parentNode.removeChild(refresh); }
  function set(name, value) {
    var el = box.querySelector("[data-field=" + name + "]");
    if (el) { el.textContent = Number(value).toLocaleString("vi-VN"); }
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var bar = box.querySelector("progress");
        bar.max = data.size || 1;
        bar.value = data.bytes_done;
        ["read", "created", "updated", "unchanged", "repeated", "skipped"].forEach(function (k) { set(k, data[k]); });
        box.querySelector("[data-field=label]").textContent = data.label;
        if (data.status === "queued" || data.status === "running") {
          if (!data.interrupted) { window.setTimeout(poll, 1000); }
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
