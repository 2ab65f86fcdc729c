/* The newsletter composer (admin change/add page of a newsletter).
 *
 * - Subject and preheader counters.
 * - A live preview (HTML and plain text tabs): the form's content is posted, debounced, to a staff-only
 *   endpoint that renders it with the sending code, and shown in a sandboxed frame / a <pre>.
 * - The live audience count under the topics, from the ticked topics and organisation filters.
 * - The sending panel: unsaved-edits note, confirmations (send shows the audience count), "send test"
 *   of the unsaved form without leaving the page, "send test to me", progress and outcome polling.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function csrfToken() {
    var field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function postJSON(url, data) {
    data.set("csrfmiddlewaretoken", csrfToken());
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": csrfToken()}
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function signature(data) {
    var parts = [];
    data.forEach(function (value, key) { parts.push(key + "=" + value); });
    return parts.join("&");
  }

  // Words come from the page (translated there): data-msg-* on #composer.
  var words = {};
  function word(name) { return words[name] || ""; }

  // --- Counters ---------------------------------------------------------------------------------------
  function counter(input, advice) {
    if (!input) { return; }
    var max = parseInt(input.getAttribute("maxlength") || "0", 10);
    var out = document.createElement("p");
    out.className = "composer-counter";
    out.id = input.id + "_counter";
    input.insertAdjacentElement("afterend", out);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + out.id);
    function update() {
      var n = input.value.length;
      var text = n + (max ? " / " + max : "") + " " + word("msgCharacters");
      if (advice && n > advice) {
        text += " · " + word("msgLong").replace("%s", advice);
        out.classList.add("is-long");
      } else {
        out.classList.remove("is-long");
      }
      out.textContent = text;
    }
    input.addEventListener("input", update);
    update();
  }

  // --- Preview ----------------------------------------------------------------------------------------
  function setUpPreview(composer) {
    var subject = document.getElementById("id_subject");
    var preheader = document.getElementById("id_preheader");
    var body = document.getElementById("id_body_markdown");
    var frame = document.getElementById("preview-frame");
    var text = document.getElementById("preview-text");
    var status = document.getElementById("preview-status");
    var inboxSubject = document.getElementById("preview-subject");
    var inboxPreheader = document.getElementById("preview-preheader");
    var last = null;
    var sequence = 0;

    function refresh() {
      var data = new FormData();
      if (composer.dataset.newsletter) { data.set("newsletter", composer.dataset.newsletter); }
      data.set("subject", subject ? subject.value : "");
      data.set("preheader", preheader ? preheader.value : "");
      data.set("body_markdown", body ? body.value : "");
      var sig = signature(data);
      if (sig === last) { return; }
      last = sig;
      var mine = ++sequence;
      status.textContent = word("msgUpdating");
      postJSON(composer.dataset.previewUrl, data).then(function (rendered) {
        if (mine !== sequence) { return; }  // a newer edit is on its way
        frame.srcdoc = rendered.html;
        text.textContent = rendered.text;
        inboxSubject.textContent = rendered.subject;
        inboxPreheader.textContent = preheader ? preheader.value : "";
        status.textContent = word("msgUpToDate");
      }).catch(function () {
        if (mine === sequence) { status.textContent = word("msgPreviewFailed"); last = null; }
      });
    }

    var soon = debounce(refresh, 350);
    [subject, preheader, body].forEach(function (input) {
      if (input) { input.addEventListener("input", soon); }
    });
    refresh();
  }

  // --- Tabs -------------------------------------------------------------------------------------------
  function setUpTabs() {
    var tabs = Array.prototype.slice.call(document.querySelectorAll(".composer-tabs [role=tab]"));
    function select(tab) {
      tabs.forEach(function (other) {
        var on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        other.tabIndex = on ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
      });
    }
    // Arrow keys, Home and End move along the tabs through their clicks (coalition/workspace.js).
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { select(tab); });
    });
  }

  // --- Audience ---------------------------------------------------------------------------------------
  function setUpAudience(composer, form) {
    var out = document.getElementById("composer-audience");
    if (!form || !out) { return; }
    var topics = form.querySelectorAll("[name=topics]");
    if (!topics.length) { return; }  // read-only: the count shown is the saved one
    // Right under the topic boxes (after the admin's related-object wrapper, whose row is a flex line).
    var anchor = topics[0].closest(".related-widget-wrapper") || topics[0].closest("ul, div");
    if (anchor && anchor.parentNode) { anchor.parentNode.insertBefore(out, anchor.nextSibling); }
    var last = null;

    function refresh() {
      var data = new FormData();
      form.querySelectorAll("[name=topics]:checked, [name=organisation_kinds]:checked").forEach(function (box) {
        data.append(box.name, box.value);
      });
      form.querySelectorAll("select[name=topics] option:checked, select[name=organisation_countries] option:checked").forEach(function (option) {
        data.append(option.parentElement.name, option.value);
      });
      var sig = signature(data);
      if (sig === last) { return; }
      last = sig;
      postJSON(composer.dataset.audienceUrl, data).then(function (answer) {
        out.textContent = answer.text;
        out.dataset.count = answer.count;
      }).catch(function () { last = null; });
    }

    var soon = debounce(refresh, 250);
    form.addEventListener("change", soon);
    refresh();
  }

  // --- Sending panel ----------------------------------------------------------------------------------
  function setUpSending(form) {
    var panel = document.getElementById("sending");
    if (!panel) { return; }
    var dirty = false;
    var note = document.getElementById("unsaved-note");
    if (form) {
      var mark = function () { dirty = true; if (note) { note.hidden = false; } };
      form.addEventListener("input", mark);
      form.addEventListener("change", mark);
    }
    // Confirmations (send shows the audience count); with unsaved edits, say they are not sent.
    panel.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (event) {
        var text = f.dataset.confirm + (dirty && f.id === "nl-send" && note ? "\n\n" + note.textContent : "");
        if (!window.confirm(text)) { event.preventDefault(); }
      });
    });
    // "Send test": post the editor's current fields with the address, and stay on the page so unsaved
    // edits are kept.
    var test = document.getElementById("nl-test");
    if (test && form) {
      test.addEventListener("submit", function (event) {
        event.preventDefault();
        // A two-box topic picker only selects its chosen options when its form is submitted; do it here.
        form.querySelectorAll("select[id$='_to'] option").forEach(function (option) { option.selected = true; });
        var data = new FormData(form);
        data.set("do", "test");
        data.set("to", document.getElementById("id_to").value);
        var language = document.getElementById("id_test_language");
        if (language) { data.set("test_language", language.value); }
        var result = document.getElementById("test-result");
        result.textContent = "…";
        result.className = "";
        data.set("csrfmiddlewaretoken", csrfToken());
        fetch(test.action, {method: "POST", body: data, credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) { return r.json(); })
          .then(function (p) { result.textContent = p.message; result.className = p.ok ? "success" : "errornote"; })
          .catch(function () { result.textContent = word("msgTestFailed"); result.className = "errornote"; });
      });
      // "Send test to me": the same test of the unsaved form, to the signed-in staff member's address.
      var me = document.getElementById("nl-test-me");
      if (me) {
        me.addEventListener("submit", function (event) {
          event.preventDefault();
          document.getElementById("id_to").value = me.querySelector("[name=to]").value;
          test.requestSubmit();
        });
      }
    }
    // Progress moves without reloading, while it is sending or waiting for its time; then the outcome.
    var box = document.getElementById("newsletter-progress");
    var status = document.getElementById("newsletter-status");
    var outcome = document.getElementById("newsletter-outcome");
    if (!box || ["sending", "scheduled"].indexOf(box.dataset.status) < 0) { return; }
    var timer = setInterval(function () {
      fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (p) {
        box.innerHTML = p.html;
        box.dataset.status = p.status;
        status.textContent = p.status_display;
        if (p.outcome && outcome) {
          Object.keys(p.outcome).forEach(function (key) {
            var cell = outcome.querySelector("[data-outcome=" + key + "]");
            if (cell) { cell.textContent = p.outcome[key]; }
          });
          outcome.hidden = false;
        }
        if (["sending", "scheduled"].indexOf(p.status) < 0) { clearInterval(timer); }
      });
    }, 2000);
  }

  // --- Schedule: say the chosen time back in words, day first, in the secretariat's time zone ---------
  function setUpScheduleEcho() {
    var input = document.getElementById("id_at");
    var echo = document.getElementById("id_at_echo");
    if (!input || !echo) { return; }
    var plain = echo.textContent;
    // The wall-clock time typed, in words in the page's language (day first in English), with the zone.
    // English is written day first here (the staff side's formats are en-GB's), not the US way.
    var pageLanguage = document.documentElement.lang || "en-GB";
    if (pageLanguage === "en") { pageLanguage = "en-GB"; }
    var format = new Intl.DateTimeFormat(pageLanguage, {
      weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
      timeZone: "UTC"
    });
    function update() {
      var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(input.value);
      if (!m) { echo.textContent = plain; return; }
      var when = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
      echo.textContent = word("msgSendsOn").replace("%s", format.format(when) + " (" + echo.dataset.zone + ")");
    }
    input.addEventListener("input", update);
    input.addEventListener("change", update);
  }

  ready(function () {
    var composer = document.getElementById("composer");
    if (!composer) { return; }
    var form = document.getElementById("newsletter_form");
    words = composer.dataset;
    counter(document.getElementById("id_subject"), parseInt(composer.dataset.subjectAdvice, 10));
    counter(document.getElementById("id_preheader"), parseInt(composer.dataset.preheaderAdvice, 10));
    setUpTabs();
    setUpPreview(composer);
    setUpAudience(composer, form);
    setUpSending(form);
    setUpScheduleEcho();
  });
})();
