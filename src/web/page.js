// Live updates: each server-sent event is the page's texts by element id. Only textContent is
// set, so no text from the EAGLE is ever read as markup.
"use strict";
(function () {
  const live = document.getElementById("live");
  const received = document.getElementById("received");
  let shownSeq = document.getElementById("reading_seq").textContent;
  let newReadings = 0;
  const events = new EventSource("/events");
  events.onopen = function () { live.textContent = "on"; };
  events.onerror = function () { live.textContent = "reconnecting"; };
  events.onmessage = function (message) {
    const view = JSON.parse(message.data);
    for (const id of Object.keys(view)) {
      const element = document.getElementById(id);
      if (element) { element.textContent = view[id]; }
    }
    if (view.reading_seq !== shownSeq) {
      shownSeq = view.reading_seq;
      newReadings += 1;
      received.textContent = String(newReadings);
    }
  };
})();
