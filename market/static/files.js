// File inputs drawn by the file_input macro (templates/macros.html): the native input is
// visually hidden and a translated <label> is its button; this writes the names chosen
// beside it (without JavaScript the label still opens the picker and the form still sends).
(function () {
  "use strict";
  function show(input) {
    var out = input.parentNode.querySelector(".file-names");
    if (!out) return;
    var files = input.files || [];
    if (!files.length) out.textContent = out.getAttribute("data-none");
    else if (files.length === 1) out.textContent = files[0].name;
    else out.textContent = out.getAttribute("data-many").replace("{n}", String(files.length));
  }
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("file-native")) show(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input.file-native"), show);
  });
})();
