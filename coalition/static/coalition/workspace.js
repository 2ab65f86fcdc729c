// Names for the admin's autocomplete pickers (select2): its combobox takes no label from the <select> it
// replaces, so screen readers announce an unnamed box. Give each one its field's label (or the select's
// aria-label, set for inline cells), including pickers added later (a new inline row).
(function () {
  "use strict";
  function nameOf(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    var text = label ? label.textContent : select.getAttribute("aria-label") || select.name || "";
    return text.replace(/\*/g, "").replace(/\s+/g, " ").trim();
  }
  function labelPickers(root) {
    var boxes = (root || document).querySelectorAll(".select2-selection[role=combobox]");
    boxes.forEach(function (box) {
      // A picker of several records (contacts, staff) is typed into a search box select2 draws anew
      // after each choice: it is named each time.
      var search = box.querySelector(".select2-search__field");
      if (box.getAttribute("aria-label") && (!search || search.getAttribute("aria-label"))) return;
      var container = box.closest(".select2");
      var select = container && container.previousElementSibling;
      if (select && select.tagName === "SELECT") {
        var name = nameOf(select);
        if (name) {
          box.setAttribute("aria-label", name);
          var shown = box.querySelector(".select2-selection__rendered");
          if (shown) shown.setAttribute("aria-label", name);
          if (search) search.setAttribute("aria-label", name);
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    labelPickers(document);
    new MutationObserver(function () { labelPickers(document); }).observe(document.body, {
      childList: true,
      subtree: true,
    });
  });
})();

// Tabs move with the arrow keys, Home and End (the WAI-ARIA tabs pattern): focus the next tab and show its
// panel. Only the selected tab is in the Tab order (each tab's tabindex follows the selection).
(function () {
  "use strict";
  var KEYS = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1, Home: 0, End: 0 };
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tablist] [role=tab]");
    if (!tab || !(event.key in KEYS) || event.defaultPrevented) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var index = tabs.indexOf(tab);
    var next = event.key === "Home" ? 0 : event.key === "End" ? tabs.length - 1
      : (index + KEYS[event.key] + tabs.length) % tabs.length;
    event.preventDefault();
    tabs[next].focus();
    tabs[next].click();
  });
})();

// Unfold's app.js writes the name of a chosen file into the text box of its own file widget, which it looks
// for a few levels above each <input type=file>. The staff pages' upload forms (imports, climate data) have
// a plain file input, which names the file itself: there the lookup found nothing and choosing a file threw
// a TypeError (or, with a text field nearby, would have written the file's name into it). A file input that
// is not inside unfold's widget (a label holding the text box) is marked as handled with unfold's own flag,
// before its handler looks (on window load, then as the page changes), so unfold leaves it alone.
(function () {
  "use strict";
  function inUnfoldWidget(input) {
    var label = input.closest("label");
    return !!(label && label.querySelector("input[type=text]"));
  }
  function markPlainFileInputs() {
    document.querySelectorAll("input[type=file]").forEach(function (input) {
      if (!input.hasChangeListener && !inUnfoldWidget(input)) input.hasChangeListener = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    markPlainFileInputs();
    new MutationObserver(markPlainFileInputs).observe(document.body, { childList: true, subtree: true });
  });
})();
