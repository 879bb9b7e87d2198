// Irreversible actions ask first (market/web/confirm.py). Without this file the button opens
// the confirm page; with it, the same question and form open in place in a modal <dialog>
// (focus moves into it, Escape or "Cancel" closes it and focus returns to the button).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var key = form.getAttribute && form.getAttribute("data-confirm");
    if (!key) return;
    var dialog = document.getElementById(key);
    if (!dialog || typeof dialog.showModal !== "function") return; // old browser: the confirm page
    event.preventDefault();
    dialog.showModal();
  });
})();
