// Live state of the page's websocket, as data attributes on <body>: the CSS shows it,
// and browser tests wait on body[data-ws=open] before changing anything server-side.
(function () {
  "use strict";
  var body = function () { return document.body; };
  document.addEventListener("htmx:wsOpen", function () { body().dataset.ws = "open"; });
  document.addEventListener("htmx:wsClose", function () { body().dataset.ws = "closed"; });
  document.addEventListener("htmx:wsError", function () { body().dataset.ws = "error"; });
  document.addEventListener("htmx:wsAfterMessage", function () {
    body().dataset.wsMessages = String(Number(body().dataset.wsMessages || 0) + 1);
  });
})();
