// Counts down the life of a presentation QR; tells the holder when it must be shown again.
(function () {
  "use strict";
  var el = document.getElementById("countdown");
  if (!el) { return; }
  var left = parseInt(el.getAttribute("data-seconds"), 10) || 0;
  var lang = document.documentElement.lang;
  function text() {
    if (left <= 0) { return lang === "en" ? "This code has expired. Show the license again." : "二维码已过期，请重新亮证。"; }
    var m = Math.floor(left / 60), s = left % 60;
    var mmss = m + ":" + (s < 10 ? "0" : "") + s;
    return lang === "en" ? "Valid for " + mmss : "有效期剩余 " + mmss;
  }
  el.textContent = text();
  var timer = setInterval(function () {
    left -= 1;
    el.textContent = text();
    if (left <= 0) { clearInterval(timer); }
  }, 1000);
}());
