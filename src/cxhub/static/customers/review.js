/* The review page by keyboard: a accepts, r rejects, j/k move to the next/previous pair, ? shows the keys.
   One pair is shown at a time; after a decision (an htmx swap of the pair) the next pending pair is shown. */
(function () {
  "use strict";
  var box = document.querySelector("[data-review]");
  var keys = document.getElementById("review-keys");
  var position = document.querySelector("[data-review-position]");
  var current = 0;

  function pairs() { return Array.prototype.slice.call(document.querySelectorAll("[data-pair]")); }
  function show(index) {
    var all = pairs();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (pair, i) { pair.hidden = i !== current; });
    if (position) position.textContent = "Pair " + (current + 1) + " of " + all.length;
  }
  function nextPending() {
    var all = pairs();
    for (var i = current + 1; i < all.length; i++) {
      if (all[i].dataset.status === "pending") { show(i); return; }
    }
  }
  function press(action) {
    var pair = pairs()[current];
    var button = pair && pair.querySelector('[data-action="' + action + '"]');
    if (button) button.click();
  }
  function toggleKeys() {
    if (!keys) return;
    if (keys.open) { keys.close(); } else { keys.showModal(); }
  }

  document.querySelectorAll("[data-review-move]").forEach(function (button) {
    button.addEventListener("click", function () { show(current + Number(button.dataset.reviewMove)); });
  });
  var keysButton = document.querySelector("[data-review-keys]");
  if (keysButton) keysButton.addEventListener("click", toggleKeys);
  if (box) {
    // a decided pair comes back from the server in place of the pending one: then on to the next pending pair
    new MutationObserver(function (changes) {
      var decided = changes.some(function (change) {
        return Array.prototype.some.call(change.addedNodes, function (node) { return node.dataset && "pair" in node.dataset; });
      });
      if (decided) { show(current); nextPending(); }
    }).observe(box, { childList: true });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    if (event.key === "?") { toggleKeys(); }
    else if (keys && keys.open) { return; }
    else if (event.key === "j") { show(current + 1); }
    else if (event.key === "k") { show(current - 1); }
    else if (event.key === "a") { press("accept"); }
    else if (event.key === "r") { press("reject"); }
    else { return; }
    event.preventDefault();
  });
})();
