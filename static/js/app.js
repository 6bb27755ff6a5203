/* RackPlan progressive enhancement. Pages work without it; no inline handlers (CSP script-src 'self'). */
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var raw = cell.getAttribute("data-sort-value");
    if (raw === null) { raw = cell.textContent.trim(); }
    var cleaned = raw.replace(/[$,%\s]/g, "").replace(/[kMB]$/, "");
    var num = parseFloat(cleaned);
    return (cleaned !== "" && !isNaN(num) && /^-?[0-9.eE+-]+$/.test(cleaned)) ? num : raw.toLowerCase();
  }

  function sortBy(table, th, index) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (typeof x === "number" && typeof y === "number") { return ascending ? x - y : y - x; }
      return ascending ? String(x).localeCompare(String(y)) : String(y).localeCompare(String(x));
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      if (th.querySelector("a, input")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent.trim();
      button.setAttribute("aria-label", "Sort by " + button.textContent);
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("data-sort", "");
      button.addEventListener("click", function () { sortBy(table, th, index); });
    });
  }

  function compareButtons(root) {
    root.querySelectorAll("form.compare-form").forEach(function (form) {
      var button = form.querySelector("[data-compare-button]");
      if (!button) { return; }
      var update = function () {
        var n = form.querySelectorAll("input[name=slugs]:checked").length;
        button.disabled = n < 2 || n > 4;
        button.textContent = n ? "Compare " + n + " selected" : "Compare selected (2–4)";
      };
      form.addEventListener("change", update);
      update();
    });
  }

  function enhance(root) {
    root.querySelectorAll("table[data-sortable]").forEach(makeSortable);
    compareButtons(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();
