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

  // Pages without a live connection do not claim one.
  document.addEventListener("DOMContentLoaded", function () {
    var indicator = document.getElementById("live-indicator");
    if (indicator && !document.querySelector("[ws-connect]")) { indicator.hidden = true; }
  });
  document.addEventListener("htmx:wsOpen", function () { setState("open"); });
  document.addEventListener("htmx:wsClose", function () { setState("closed"); });
  document.addEventListener("htmx:wsError", function () { setState("error"); });
  document.addEventListener("htmx:wsAfterMessage", function () {
    body().dataset.wsMessages = String(Number(body().dataset.wsMessages || 0) + 1);
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
