// On a phone, tables become cards (app.css, "tables as cards"): each cell is labelled with its
// column's heading (data-label), so a row reads as "Heading: value" lines. A scroll box that
// still scrolls sideways (a wide chart) is made reachable with the keyboard. Without this file
// the tables keep their columns inside their scroll boxes.
(function () {
  function headings(row) {
    var names = [];
    for (var i = 0; i < row.cells.length; i++) {
      var cell = row.cells[i];
      for (var span = 0; span < (cell.colSpan || 1); span++) names.push(cell.textContent.replace(/\s+/g, " ").trim());
    }
    return names;
  }
  var tables = document.querySelectorAll("main table");
  for (var t = 0; t < tables.length; t++) {
    var table = tables[t];
    if (table.classList.contains("keep-columns") || !table.rows.length) continue;
    var head = table.tHead && table.tHead.rows.length ? table.tHead.rows[0] : table.rows[0];
    if (head.querySelector("td")) continue;  // no heading row: pairs of label and value, already narrow
    var names = headings(head);
    if (names.length < 3) continue;  // two columns fit a phone as they are
    head.classList.add("card-head");
    for (var r = 0; r < table.rows.length; r++) {
      var row = table.rows[r];
      if (row === head) continue;
      // one cell across the columns is a message for the whole table (an empty state), not the
      // first column's value: no heading before it
      if (row.cells.length === 1 && row.cells[0].colSpan > 1) continue;
      for (var c = 0, col = 0; c < row.cells.length; c++) {
        var cell = row.cells[c];
        if (names[col] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[col]);
        col += cell.colSpan || 1;
      }
    }
    table.classList.add("cards");
  }
  function reachable() {
    var boxes = document.querySelectorAll(".table-scroll");
    for (var b = 0; b < boxes.length; b++) {
      var box = boxes[b];
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
        var title = box.closest(".card") && box.closest(".card").querySelector("h2, h3");
        if (title && !box.hasAttribute("role")) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", title.textContent.trim());
        }
      } else if (box.getAttribute("tabindex") === "0" && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
      }
    }
  }
  reachable();
  window.addEventListener("resize", reachable);
})();
