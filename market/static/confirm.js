// Irreversible actions ask first (market/web/confirm.py). Without this file the button opens
// the confirm page; with it, the same question and form open in place in a modal <dialog>
// (focus moves into it, Escape or "Cancel" closes it and focus returns to the button).
// A form of typed input (the confirm_typed macro) asks in its own <dialog> once the browser
// finds what was typed valid; "go" posts the form with `confirmed` (without this file the
// server answers the post with the confirm page instead).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var key = form.getAttribute && form.getAttribute("data-confirm");
    var typed = event.submitter && event.submitter.getAttribute("data-confirm-typed");
    if (typed) key = typed;
    if (!key) return;
    var dialog = document.getElementById(key);
    if (!dialog || typeof dialog.showModal !== "function") return; // old browser: the confirm page
    if (typed) {
      var flag = form.querySelector("input[data-confirmed]");
      if (flag && flag.value === "1") return; // confirmed in the dialog: post
    }
    event.preventDefault();
    dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".confirm-dialog button[type=button]");
    if (!button) return;
    var dialog = button.closest("dialog");
    var form = dialog.closest("form");
    if (button.classList.contains("confirm-go") && form) {
      var flag = form.querySelector("input[data-confirmed]");
      if (flag) flag.value = "1";
      dialog.close();
      var trigger = form.querySelector("[data-confirm-typed='" + dialog.id + "']");
      if (typeof form.requestSubmit === "function") form.requestSubmit(trigger || undefined); else form.submit();
    } else {
      dialog.close();
    }
  });
})();
