/* Urgent-case countdowns on the big screen (dashboard/screen/urgent.py draws the tiles).
   Every second: time since report and the 15-minute / 1-hour clocks of each tile, amber then red
   (a breach stays red until the case is handled); a tile id not seen before flashes the banner for
   data-banner seconds and, with data-sound="1", plays assets/urgent.wav. The site's "now" is the
   server's data-now, moved on by this browser's clock (a wall with a wrong clock, or a replay with a
   pinned [site] now, still counts from the site's time). Text only (textContent), never markup. */
(function () {
  "use strict";
  var seen = null;  // ids on screen so far; null until the first list (those do not flash)
  var skew = 0;
  var lastNow = null;
  var bannerTimer = null;
  var SEVERITY = {met: 0, pending: 1, warn: 2, late: 3, breached: 3};
  var STEP_CLASS = {met: "done", late: "bad", pending: "ok", warn: "warn", breached: "bad"};

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function duration(ms, day) {  // as dashboard.screen.urgent.duration; day: the list's data-l-day ("天", "d")
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    if (d) { return d + (day || "d") + " " + pad(h) + ":" + pad(m); }
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  function stepState(due, done, warn, now) {  // as metrics.urgent._state
    if (done && done <= now) { return done <= due ? "met" : "late"; }
    if (due <= now) { return "breached"; }
    if (due - warn <= now) { return "warn"; }
    return "pending";
  }

  function stepText(state, due, done, now, list) {
    if (state === "pending" || state === "warn") { return list.getAttribute("data-l-left") + " " + duration(due - now, list.getAttribute("data-l-day")); }
    if (state === "breached") { return list.getAttribute("data-l-over") + " +" + duration(now - due, list.getAttribute("data-l-day")); }
    if (state === "late") { return "\u2713 " + list.getAttribute("data-l-late") + " +" + duration(done - due, list.getAttribute("data-l-day")); }
    return "\u2713";
  }

  function announce(list, tile) {
    var secs = Number(list.getAttribute("data-banner")) || 0;
    var banner = document.getElementById("scr-urgent-banner");
    if (secs > 0 && banner) {
      banner.textContent = list.getAttribute("data-l-banner") + " \u00b7 " + (tile.getAttribute("data-label") || "");
      banner.classList.add("is-on");
      clearTimeout(bannerTimer);
      bannerTimer = setTimeout(function () { banner.classList.remove("is-on"); }, secs * 1000);
    }
    var audio = document.getElementById("scr-urgent-sound");
    if (list.getAttribute("data-sound") === "1" && audio && audio.play) {
      var played = audio.play();
      // a browser that blocks autoplay (no kiosk flag) refuses quietly: the banner still shows
      if (played && played.catch) { played.catch(function () { return null; }); }
    }
  }

  function tick() {
    var list = document.querySelector(".scr-urgent-list");
    if (!list) { return; }
    var serverNow = Number(list.getAttribute("data-now"));
    if (serverNow !== lastNow) { lastNow = serverNow; skew = serverNow - Date.now(); }
    var now = Date.now() + skew;
    var warn = {arrive: Number(list.getAttribute("data-warn-arrive")),
                result: Number(list.getAttribute("data-warn-result"))};
    var tiles = list.querySelectorAll(".scr-utile");
    var fresh = [];
    for (var i = 0; i < tiles.length; i++) {
      var tile = tiles[i];
      var age = tile.querySelector(".scr-utile-age");
      if (age) { age.textContent = duration(now - Number(tile.getAttribute("data-reported")), list.getAttribute("data-l-day")); }
      var worst = 0;
      var steps = tile.querySelectorAll(".scr-ustep");
      for (var j = 0; j < steps.length; j++) {
        var st = steps[j];
        var due = Number(st.getAttribute("data-due"));
        var done = Number(st.getAttribute("data-done")) || 0;
        var state = stepState(due, done, warn[st.getAttribute("data-step")] || 0, now);
        worst = Math.max(worst, SEVERITY[state]);
        st.className = "scr-ustep is-" + STEP_CLASS[state];
        var value = st.querySelector(".scr-ustep-value");
        if (value) { value.textContent = stepText(state, due, done, now, list); }
      }
      tile.className = "scr-utile is-" + (worst === 3 ? "bad" : worst === 2 ? "warn" : worst === 1 ? "ok" : "done");
      var id = tile.getAttribute("data-id");
      if (seen !== null && !seen[id]) { fresh.push(tile); }
    }
    var counts = list.querySelector(".scr-urgent-counts");
    if (counts && counts.getAttribute("data-template")) {
      var n = {bad: Number(counts.getAttribute("data-hidden-bad")) || 0,
               warn: Number(counts.getAttribute("data-hidden-warn")) || 0};
      for (var c = 0; c < tiles.length; c++) {
        if (tiles[c].classList.contains("is-bad")) { n.bad += 1; }
        if (tiles[c].classList.contains("is-warn")) { n.warn += 1; }
      }
      counts.textContent = counts.getAttribute("data-template").replace("{bad}", n.bad).replace("{warn}", n.warn)
        .replace("{total}", counts.getAttribute("data-total"));
    }
    var first = seen === null;
    seen = seen || {};
    for (var k = 0; k < tiles.length; k++) { seen[tiles[k].getAttribute("data-id")] = true; }
    if (!first && fresh.length) { announce(list, fresh[0]); }
  }

  window.setInterval(tick, 1000);
})();
