/* cxhub web chat widget. Embed with one tag on the brand's site:
     <script src="https://HUB/chat/widget.js" data-brand="Lumen Home" defer></script>
   Plain JS, no build step. The visitor pass is kept in localStorage; messages go out by POST with an id
   made here (a retry is a no-op), and come in by server-sent events resumed after the last id seen. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.cxhubChat) return;
  var hub = new URL(script.src, location.href).origin;
  var brand = script.getAttribute("data-brand") || "";
  var title = script.getAttribute("data-title") || "Chat with us";
  var key = "cxhub.chat:" + hub + ":" + brand;
  var state = { token: null, lastId: "", seen: new Set(), pending: {}, source: null, delay: 1000, ready: null };

  var css = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font:15px/1.4 system-ui,sans-serif}",
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:10px 16px;border:0;border-radius:20px;background:#1f4e79;color:#fff;cursor:pointer}",
    ".panel{position:fixed;right:20px;bottom:70px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);height:460px;max-height:calc(100vh - 90px);display:flex;flex-direction:column;background:#fff;color:#1b1b1b;border:1px solid #999;border-radius:8px;box-shadow:0 4px 20px rgba(0,0,0,.25)}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;justify-content:space-between;padding:8px 12px;background:#1f4e79;color:#fff;border-radius:8px 8px 0 0}",
    "h2{margin:0;font-weight:600}",
    "button{cursor:pointer;border:1px solid #1f4e79;border-radius:4px;background:#1f4e79;color:#fff;padding:6px 10px}",
    "header button{background:transparent;border-color:#fff}",
    "button:focus-visible,input:focus-visible,textarea:focus-visible,summary:focus-visible,a:focus-visible{outline:3px solid #f5b301;outline-offset:1px}",
    "ol{list-style:none;margin:0;padding:8px 12px;overflow-y:auto;flex:1}",
    "li{margin:6px 0;padding:6px 10px;border-radius:8px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}",
    "li.inbound{margin-left:auto;background:#dbe9f6}",
    "li.outbound{background:#eee}",
    "li.system{background:#fff8e1;border:1px solid #c9a227;max-width:100%}",
    "li a{color:#1f4e79;font-weight:600}",
    "li.pending{opacity:.6}",
    "li.failed{outline:2px solid #b00020}",
    ".who{display:block;font-size:12px;color:#555}",
    ".status{margin:0;padding:0 12px;font-size:12px;color:#555;min-height:16px}",
    "form{display:flex;gap:6px;padding:8px 12px;border-top:1px solid #ddd}",
    "textarea,input{flex:1;border:1px solid #767676;border-radius:4px;padding:6px;resize:none}",
    "details{padding:0 12px 8px}",
    "details form{border:0;padding:6px 0 0}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
  ].join("");

  var host = document.createElement("div");
  host.setAttribute("data-cxhub-chat", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" + css + "</style>" +
    '<button class="launch" type="button" aria-expanded="false" aria-controls="cxhub-panel"></button>' +
    '<section class="panel" id="cxhub-panel" role="dialog" aria-labelledby="cxhub-title" hidden>' +
    '<header><h2 id="cxhub-title"></h2><button class="close" type="button" aria-label="Close chat">\u00d7</button></header>' +
    '<p class="status" role="status"></p>' +
    '<ol class="log" role="log" aria-live="polite" aria-labelledby="cxhub-title"></ol>' +
    '<form class="send"><label class="sr" for="cxhub-text">Your message</label>' +
    '<textarea id="cxhub-text" rows="2" maxlength="5000" required></textarea><button type="submit">Send</button></form>' +
    "<details><summary>Leave your e-mail for a follow-up</summary>" +
    '<form class="email"><label class="sr" for="cxhub-email">E-mail</label>' +
    '<input id="cxhub-email" type="email" autocomplete="email" maxlength="320" required><button type="submit">Save e-mail</button></form>' +
    '<p class="email-status" role="status"></p></details>' +
    "</section>";
  var $ = function (selector) { return root.querySelector(selector); };
  var launch = $(".launch"), panel = $(".panel"), log = $(".log"), statusLine = $(".status"), text = $("#cxhub-text");
  launch.textContent = title;
  $("#cxhub-title").textContent = title;

  function remember() {
    try { localStorage.setItem(key, JSON.stringify({ token: state.token, open: !panel.hidden })); } catch (e) { /* private mode */ }
  }
  function recall() {
    try { return JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
  }
  function say(message) {
    statusLine.textContent = message;
    panel.setAttribute("data-state", message ? "offline" : "live");
  }

  function post(path, body) {
    return fetch(hub + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function bubble(direction, body, url, linkText) {
    var li = document.createElement("li");
    li.className = direction;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = direction === "inbound" ? "You" : "Support";
    li.append(who, document.createTextNode(body));
    if (url && /^https?:\/\//.test(url)) {  // a link the hub offers (a survey's), never one a visitor wrote
      var link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = linkText || url;
      li.append(document.createTextNode(" "), link);
    }
    return li;
  }

  function place(li) {  // in id order; messages still being sent stay last
    var next = null;
    for (var child = log.lastElementChild; child && (!child.dataset.id || child.dataset.id > li.dataset.id); child = child.previousElementSibling) {
      next = child;
    }
    log.insertBefore(li, next);
    log.scrollTop = log.scrollHeight;
  }

  function show(message) {
    if (message.id > state.lastId) state.lastId = message.id;
    if (state.seen.has(message.id)) return;  // a resume looks a little behind: each message is shown once
    state.seen.add(message.id);
    var li = message.client_id && state.pending[message.client_id];
    if (li) {
      delete state.pending[message.client_id];
      li.classList.remove("pending", "failed");
      li.remove();
    } else {
      li = bubble(message.direction, message.text, message.url, message.link_text);
    }
    li.dataset.id = message.id;
    place(li);
  }

  function connect() {
    if (state.source) state.source.close();
    var url = hub + "/chat/stream?token=" + encodeURIComponent(state.token) + (state.lastId ? "&after=" + state.lastId : "");
    var source = new EventSource(url);
    state.source = source;
    source.onopen = function () { state.delay = 1000; say(""); };
    source.addEventListener("chat", function (event) { show(JSON.parse(event.data)); });
    source.onerror = function () {  // reconnect ourselves, resuming after the last id seen
      source.close();
      if (state.source !== source) return;
      state.source = null;
      say("Reconnecting\u2026");
      setTimeout(function () { if (!state.source) connect(); }, state.delay);
      state.delay = Math.min(state.delay * 2, 15000);
    };
  }

  function start() {
    if (!state.ready) {
      say("Connecting\u2026");
      state.ready = post("/chat/session", { brand: brand, token: state.token }).then(function (session) {
        state.token = session.token;
        remember();
        if (session.email) $(".email-status").textContent = "We will follow up at " + session.email + ".";
        connect();
      }).catch(function (error) {
        state.ready = null;
        say("The chat is not available right now.");
        throw error;
      });
    }
    return state.ready;
  }

  function deliver(clientId, body, attempt) {
    start().then(function () {
      return post("/chat/messages", { token: state.token, id: clientId, text: body });
    }).then(function (posted) {
      var li = state.pending[clientId];
      if (!li) return;  // the stream brought it first
      delete state.pending[clientId];
      state.seen.add(posted.interaction_id);
      li.classList.remove("pending");
      li.dataset.id = posted.interaction_id;
      li.remove();
      place(li);
    }).catch(function (error) {
      var li = state.pending[clientId];
      if (error.status && error.status < 500) {  // refused: retrying the same message cannot help
        if (li) { li.classList.add("failed"); li.title = error.message; }
        return;
      }
      setTimeout(function () { deliver(clientId, body, attempt + 1); }, Math.min(1000 * Math.pow(2, attempt), 15000));
    });
  }

  function send(body) {
    var clientId = newId();
    var li = bubble("inbound", body);
    li.classList.add("pending");
    state.pending[clientId] = li;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    deliver(clientId, body, 0);
  }

  function toggle(open, quietly) {
    panel.hidden = !open;
    launch.setAttribute("aria-expanded", String(open));
    remember();
    if (open) start().catch(function () { /* said on the status line */ });
    if (quietly) return;  // restoring the panel on page load does not move the visitor's focus
    (open ? text : launch).focus();
  }

  launch.addEventListener("click", function () { toggle(panel.hidden); });
  $(".close").addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") toggle(false); });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $(".send").requestSubmit();
    }
  });
  $(".send").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = text.value.trim();
    if (!body) return;
    text.value = "";
    send(body);
  });
  $(".email").addEventListener("submit", function (event) {
    event.preventDefault();
    var email = $("#cxhub-email").value.trim();
    var note = $(".email-status");
    start().then(function () { return post("/chat/email", { token: state.token, email: email }); }).then(function (left) {
      note.textContent = "Thank you. We will follow up at " + left.email + ".";
    }).catch(function (error) {
      note.textContent = "That did not work: " + error.message;
    });
  });

  window.cxhubChat = { open: function () { toggle(true); }, close: function () { toggle(false); } };
  function mount() {
    document.body.appendChild(host);
    var kept = recall();
    state.token = kept.token || null;
    if (kept.open) toggle(true, true);
    else if (state.token) start().catch(function () { /* said on the status line */ });  // replies that came while away
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
