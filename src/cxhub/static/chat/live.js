/* A conversation's interactions, live, for staff pages: every element with data-live-feed="<stream URL>"
   (see templates/channels/_live_feed.html) gets each new interaction appended once, in id order.
   Items already in the list carry data-id; data-after names the newest one rendered by the server.
   Each new item is also announced as a "cxhub:interaction" event on the list (detail: the interaction). */
(function () {
  "use strict";
  var LABELS = { inbound: "Customer", outbound: "Agent" };

  function item(interaction) {
    var li = document.createElement("li");
    li.className = "live-item " + interaction.direction;
    li.dataset.id = interaction.id;
    var who = document.createElement("strong");
    who.textContent = LABELS[interaction.direction] || interaction.direction;
    var when = document.createElement("time");
    when.dateTime = interaction.occurred_at;
    when.textContent = new Date(interaction.occurred_at).toLocaleTimeString();
    var text = document.createElement("p");
    text.textContent = interaction.text || "(" + interaction.kind + ")";
    li.append(who, " ", when, text);
    return li;
  }

  function place(list, li) {
    var next = null;
    for (var child = list.lastElementChild; child && child.dataset.id > li.dataset.id; child = child.previousElementSibling) {
      next = child;
    }
    list.insertBefore(li, next);
  }

  function follow(list) {
    if (list.dataset.liveFeedStarted) return;
    list.dataset.liveFeedStarted = "1";
    var status = list.parentElement && list.parentElement.querySelector("[data-live-feed-status]");
    var seen = new Set();
    list.querySelectorAll("[data-id]").forEach(function (el) { seen.add(el.dataset.id); });
    var after = list.dataset.after || "";
    var delay = 1000;
    var source = null;

    function say(text) { if (status) status.textContent = text; list.dataset.state = text ? "offline" : "live"; }

    function connect() {
      if (!document.contains(list)) return; // the page swapped the list away
      var url = list.dataset.liveFeed + (after ? "?after=" + encodeURIComponent(after) : "");
      source = new EventSource(url);
      source.onopen = function () { delay = 1000; say(""); };
      source.addEventListener("interaction", function (event) {
        var interaction = JSON.parse(event.data);
        if (interaction.id > after) after = interaction.id;
        if (seen.has(interaction.id)) return; // a resume looks a little behind; each item is shown once
        seen.add(interaction.id);
        place(list, item(interaction));
        list.dispatchEvent(new CustomEvent("cxhub:interaction", { detail: interaction, bubbles: true }));
      });
      source.onerror = function () {
        source.close();
        say("Reconnecting\u2026");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    connect();
  }

  function start(root) {
    if (root.matches && root.matches("[data-live-feed]")) follow(root);
    if (root.querySelectorAll) root.querySelectorAll("[data-live-feed]").forEach(follow);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(document); });
  } else {
    start(document);
  }
  document.addEventListener("htmx:load", function (event) { start(event.target); });
})();
