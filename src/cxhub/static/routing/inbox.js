/* The inbox, live and by keyboard. The element with data-live-inbox="<stream URL>" fetches its lists again
   (data-lists) whenever the stream says something changed: a new conversation, an assignment, a message.
   Keys: j/k move between rows, Enter opens, n takes the next conversation, 1-4 set the presence. */
(function () {
  "use strict";
  var box = document.querySelector("[data-live-inbox]");
  if (!box) return;
  var status = document.querySelector("[data-live-inbox-status]");
  var current = -1;

  function refresh() {
    fetch(box.dataset.lists, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { box.innerHTML = html; current = -1; box.dispatchEvent(new CustomEvent("cxhub:inbox")); })
      .catch(function () { if (status) status.textContent = "Could not refresh the inbox; retrying."; });
  }

  var source = new EventSource(box.dataset.liveInbox);
  source.addEventListener("changed", refresh);
  source.onopen = function () { if (status) status.textContent = "Live"; };
  source.onerror = function () { if (status) status.textContent = "Reconnecting ..."; };

  function rows() { return Array.prototype.slice.call(box.querySelectorAll("[data-row]")); }
  function mark(index) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    if (event.key === "j") { mark(current + 1); }
    else if (event.key === "k") { mark(current - 1); }
    else if (event.key === "Enter" && current >= 0) {
      var link = rows()[current].querySelector("a");
      if (link) link.click();
    } else if (event.key === "n") { document.getElementById("take-next").click(); }
    else if (event.key === "/") { var searchBox = document.getElementById("top-q"); if (searchBox) searchBox.focus(); }
    else if (/^[1-4]$/.test(event.key)) {
      var button = document.querySelector('[data-key="' + event.key + '"]');
      if (button) button.click();
    } else { return; }
    event.preventDefault();
  });
})();
