// The periodic task form (django-celery-beat's admin): under the crontab picker, the chosen schedule in
// words ("At 04:30 AM UTC"), kept up to date as another crontab is chosen. The words come from the
// "readable-crontabs" JSON the page carries (crontab id → description).
(function () {
  "use strict";
  var script = document.currentScript;
  var label = (script && script.getAttribute("data-label")) || "In words";

  function start() {
    var select = document.getElementById("id_crontab");
    var data = document.getElementById("readable-crontabs");
    if (!select || !data) return;
    var readable = JSON.parse(data.textContent || "{}");
    var row = select.closest(".field-crontab") || select.parentNode;
    var column = row.lastElementChild || row;

    var line = document.createElement("div");
    line.id = "id_crontab_in_words";
    line.className = "crontab-in-words leading-relaxed mt-2 text-xs";
    line.setAttribute("aria-live", "polite");
    column.appendChild(line);
    var described = (select.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    described.push(line.id);
    select.setAttribute("aria-describedby", described.join(" "));

    function show() {
      var words = readable[select.value];
      line.textContent = words ? label + ": " + words : "";
      line.hidden = !words;
    }
    select.addEventListener("change", show);
    show();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
