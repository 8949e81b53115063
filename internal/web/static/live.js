// Times: the server writes each as "3 min ago" (or a date in UTC, named)
// with the exact time in UTC on hover. Here they are shown in the viewer's
// zone (their profile's, else the browser's) and kept current each minute.
// The browser's zone is remembered in a cookie for the profile page.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var zone = document.documentElement.getAttribute("data-zone"), browser = "";
  try { browser = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (_) { /* no zone support */ }
  if (browser && document.cookie.indexOf("sextant_tz=" + encodeURIComponent(browser)) < 0) {
    document.cookie = "sextant_tz=" + encodeURIComponent(browser) + "; path=/; max-age=31536000; samesite=lax";
  }
  zone = zone || browser;
  if (!zone) return;
  var exact, short;
  try {
    exact = new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
    short = new Intl.DateTimeFormat("en-GB", { timeZone: zone, day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  } catch (_) { return; }
  function ago(d, now) {
    var s = (now - d) / 1000, past = s >= 0, n;
    s = Math.abs(s);
    if (s < 60) return "just now";
    if (s < 3600) n = Math.floor(s / 60) + " min";
    else if (s < 86400) n = Math.floor(s / 3600) + " h";
    else return short.format(d);
    return past ? n + " ago" : "in " + n;
  }
  function show() {
    var now = Date.now();
    document.querySelectorAll("time.t[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.title = exact.format(d);
      el.textContent = ago(d, now);
    });
  }
  show();
  setInterval(show, 60000);
  document.addEventListener("sextant:updated", show);
})();

// The main navigation's menus are <details>: they work without this
// script. With it, opening one closes the others, and Escape or a click
// elsewhere closes it, as people expect of a menu.
(function () {
  "use strict";
  var menus = document.querySelectorAll("details.menu");
  function closeAll(except) {
    menus.forEach(function (m) { if (m !== except) m.removeAttribute("open"); });
  }
  menus.forEach(function (m) {
    m.addEventListener("toggle", function () { if (m.open) closeAll(m); });
  });
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("details.menu")) closeAll(null);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    open.querySelector("summary").focus();
  });
})();

// Sextant's live pages: fetch the page's live parts (drawn on the server)
// and put them in place, when the server says something changed (its event
// stream) and every few seconds besides. Without this script every page is
// complete and current as of its loading; with it, it stays current.
(function () {
  "use strict";
  var root = document.querySelector("[data-fragment]");
  if (!root || !window.fetch || !window.DOMParser) return;
  var status = root.querySelector("[data-live-status]");
  var every = Math.max(1, Number(root.getAttribute("data-refresh-seconds")) || 15) * 1000;
  var kinds = (root.getAttribute("data-live-on") || "").split(/\s+/).filter(Boolean);
  var timer = 0, soon = 0, busy = false, again = false, stopped = false;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function say(text) { if (status) status.textContent = text; }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    // Keep the keyboard where it was: a link inside a live part is found
    // again by its address in the new copy.
    var active = document.activeElement;
    var inLive = active && active.closest && active.closest("[data-live]");
    var href = inLive ? active.getAttribute("href") : null;
    var focusID = inLive && !href ? active.id : "";
    // Ticked boxes (the incident list's bulk choices) stay ticked.
    var ticked = {};
    document.querySelectorAll("[data-live] input[type=checkbox][id]").forEach(function (box) { ticked[box.id] = box.checked; });
    fresh.querySelectorAll("[data-live][id]").forEach(function (part) {
      var old = document.getElementById(part.id);
      if (old) old.replaceWith(document.importNode(part, true));
    });
    Object.keys(ticked).forEach(function (id) {
      var box = document.getElementById(id);
      if (box && box.type === "checkbox") box.checked = ticked[id];
    });
    if (href) {
      var back = Array.prototype.find.call(document.querySelectorAll("[data-live] a[href]"), function (a) { return a.getAttribute("href") === href; });
      if (back) back.focus();
    } else if (focusID && document.getElementById(focusID)) {
      document.getElementById(focusID).focus();
    }
    var d = new Date();
    say("Updated " + two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()));
    document.dispatchEvent(new CustomEvent("sextant:updated"));
  }

  function refresh() {
    clearTimeout(timer);
    if (stopped || document.hidden) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.getAttribute("data-fragment"), { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (res.status === 401) {
          stopped = true;
          throw new Error("Your session has ended: reload the page to sign in again.");
        }
        if (!res.ok) throw new Error("Could not update the page (" + res.status + "); trying again.");
        return res.text();
      })
      .then(swap)
      .catch(function (err) { say(err.message || "Could not update the page; trying again."); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); return; }
        if (!stopped && !document.hidden) timer = setTimeout(refresh, every);
      });
  }

  // The server's events say that something changed; a burst of them
  // (a check and the incident it opened) costs one fetch.
  if (window.EventSource && kinds.length) {
    var source = new EventSource("/events/stream");
    source.addEventListener("change", function (msg) {
      var e;
      try { e = JSON.parse(msg.data); } catch (_) { return; }
      if (kinds.indexOf(e.kind) < 0) return;
      clearTimeout(soon);
      soon = setTimeout(refresh, 150);
    });
    source.addEventListener("open", function () { root.setAttribute("data-live-connected", ""); });
    source.addEventListener("error", function () { root.removeAttribute("data-live-connected"); });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // Pause while the page is hidden; catch up as soon as it is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) clearTimeout(timer); else refresh();
  });
  timer = setTimeout(refresh, every);
})();
