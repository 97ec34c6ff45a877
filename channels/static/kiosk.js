// Kiosk: poll the device login while the QR is shown; log out after inactivity on the licenses page.
(function () {
  "use strict";
  var status = document.getElementById("kiosk-status");
  if (status) {
    var interval = (parseInt(status.getAttribute("data-interval"), 10) || 5) * 1000;
    var left = (parseInt(status.getAttribute("data-expires"), 10) || 600) * 1000;
    var poll = function () {
      fetch(status.getAttribute("data-poll"), {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.status === "ok") { window.location.assign("/kiosk/licenses"); return; }
          if (body.status === "denied") { status.textContent = status.getAttribute("data-text-denied"); return; }
          if (body.status === "expired") { status.textContent = status.getAttribute("data-text-expired"); return; }
          left -= interval;
          if (left > 0) { setTimeout(poll, interval); }
          else { status.textContent = status.getAttribute("data-text-expired"); }
        })
        .catch(function () { setTimeout(poll, interval * 2); });
    };
    setTimeout(poll, interval);
  }
  var idle = document.getElementById("idle-note");
  if (idle) {
    var seconds = parseInt(idle.getAttribute("data-idle"), 10) || 60;
    var form = document.getElementById(idle.getAttribute("data-logout-form"));
    var timer = null;
    var reset = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { if (form) { form.submit(); } }, seconds * 1000);
    };
    ["click", "keydown", "touchstart", "mousemove", "scroll"].forEach(function (name) {
      document.addEventListener(name, reset, {passive: true});
    });
    reset();
  }
}());
