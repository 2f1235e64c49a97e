// Live state of the page's websocket, as data attributes on <body> and as text in the top bar
// (not colour alone). Browser tests wait on body[data-ws=open] before changing anything.
// Refusals (4xx) are swapped in place like any answer, and their message is announced.
(function () {
  "use strict";
  var body = function () { return document.body; };
  var STATES = { open: "on", closed: "reconnecting…", error: "interrupted" };

  function setState(state) {
    body().dataset.ws = state;
    var text = document.querySelector("#live-indicator .live-state");
    if (text) { text.textContent = STATES[state] || state; }
  }

  // A form that comes back refused puts the focus on the first field to fix; otherwise a
  // swap drops it on <body> and a keyboard user starts again from the top.
  function focusFirstInvalid(root) {
    var invalid = root.querySelector && root.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  }

  // Pages without a live connection do not claim one. A whole page can come back refused
  // too (the start form).
  document.addEventListener("DOMContentLoaded", function () {
    var indicator = document.getElementById("live-indicator");
    if (indicator && !document.querySelector("[ws-connect]")) { indicator.hidden = true; }
    focusFirstInvalid(document);
  });
  document.addEventListener("htmx:wsOpen", function () { setState("open"); });
  document.addEventListener("htmx:wsClose", function () { setState("closed"); });
  document.addEventListener("htmx:wsError", function () { setState("error"); });
  document.addEventListener("htmx:wsAfterMessage", function () {
    body().dataset.wsMessages = String(Number(body().dataset.wsMessages || 0) + 1);
  });

  // A live update never throws away what a person is typing or choosing: before a pushed
  // fragment replaces part of the page, what they changed in a field (text, a tick, a choice)
  // carries over to the same field (same id) in the new markup, and the field they were in
  // keeps the focus and caret.
  function carryOver(field, fragment) {
    var copy = field.id && fragment.querySelector("#" + CSS.escape(field.id));
    if (!copy) { return; }
    if (field.type === "checkbox" || field.type === "radio") {
      if (field.checked !== field.defaultChecked && copy.checked === copy.defaultChecked) {
        copy.toggleAttribute("checked", field.checked);
      }
    } else if (field.tagName === "SELECT") {
      var picked = field.options[field.selectedIndex];
      if (!picked || picked.defaultSelected) { return; }
      var chosen = copy.querySelector('option[value="' + CSS.escape(field.value) + '"]');
      if (chosen) { chosen.setAttribute("selected", ""); }
    } else if (field.value !== field.defaultValue && copy.value === copy.defaultValue) {
      if (copy.tagName === "TEXTAREA") { copy.textContent = field.value; }
      else { copy.setAttribute("value", field.value); }
    }
  }
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, fragment = event.detail.fragment;
    if (!target || !fragment || !fragment.querySelector) { return; }
    var typed = target.querySelectorAll("textarea, select, input:not([type=hidden])");
    typed.forEach(function (field) { carryOver(field, fragment); });
    var focused = document.activeElement;
    if (focused && focused.id && target.contains(focused)) {
      var id = focused.id, start = focused.selectionStart, end = focused.selectionEnd;
      setTimeout(function () {
        var again = document.getElementById(id);
        if (!again || again === document.activeElement) { return; }
        again.focus();
        if (typeof start === "number" && again.setSelectionRange) { again.setSelectionRange(start, end); }
      }, 0);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400) { focusFirstInvalid(event.target); }
  });

  // 4xx answers are swapped in place (htmx-config in base.html); say what was refused.
  document.addEventListener("handoff:error", function (event) {
    var announcer = document.getElementById("announcer");
    if (announcer && event.detail && event.detail.message) {
      announcer.textContent = event.detail.message;
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var announcer = document.getElementById("announcer");
    if (announcer) {
      announcer.textContent = "Something went wrong (" + event.detail.xhr.status + "). Please try again.";
    }
  });
})();
