// Sextant's dashboard: every few seconds, fetch the page's live parts
// (drawn on the server) and put them in place. Without this script the
// page is complete and has a Refresh link; with it, it stays current.
(function () {
  "use strict";
  var root = document.querySelector("[data-fragment]");
  var status = document.getElementById("dash-updated");
  if (!root || !status || !window.fetch || !window.DOMParser) return;
  var every = Math.max(1, Number(root.getAttribute("data-refresh-seconds")) || 15) * 1000;
  var timer = 0, busy = false, stopped = false;

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    // Keep the keyboard where it was: a link inside a live part is found
    // again by its address in the new copy.
    var active = document.activeElement;
    var href = active && active.closest && active.closest("[data-live]") ? active.getAttribute("href") : null;
    fresh.querySelectorAll("[data-live][id]").forEach(function (part) {
      var old = document.getElementById(part.id);
      if (old) old.replaceWith(document.importNode(part, true));
    });
    if (href) {
      var again = Array.prototype.find.call(document.querySelectorAll("[data-live] a[href]"), function (a) { return a.getAttribute("href") === href; });
      if (again) again.focus();
    }
    var d = new Date();
    status.textContent = "Updated " + two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function refresh() {
    clearTimeout(timer);
    if (busy || stopped || document.hidden) return;
    busy = true;
    fetch(root.getAttribute("data-fragment"), { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (res.status === 401) {
          stopped = true;
          throw new Error("Your session has ended: reload the page to sign in again.");
        }
        if (!res.ok) throw new Error("Could not update the figures (" + res.status + "); trying again.");
        return res.text();
      })
      .then(swap)
      .catch(function (err) { status.textContent = err.message || "Could not update the figures; trying again."; })
      .then(function () {
        busy = false;
        if (!stopped && !document.hidden) timer = setTimeout(refresh, every);
      });
  }

  // Pause while the page is hidden; catch up as soon as it is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) clearTimeout(timer); else refresh();
  });
  timer = setTimeout(refresh, every);
})();
