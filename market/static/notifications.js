// The bell's unread count, refreshed without a reload. The page works without this file.
(function () {
  var bell = document.getElementById("bell-count");
  if (!bell || !window.fetch) return;
  var url = bell.getAttribute("data-count-url");
  var every = parseInt(bell.getAttribute("data-poll-s"), 10) * 1000 || 45000;
  function show(n) {
    bell.textContent = n > 99 ? "99+" : String(n);
    bell.hidden = n === 0;
  }
  function poll() {
    if (document.hidden) return;
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && typeof data.unread === "number") show(data.unread); })
      .catch(function () {});
  }
  setInterval(poll, every);
  document.addEventListener("visibilitychange", poll);
})();
