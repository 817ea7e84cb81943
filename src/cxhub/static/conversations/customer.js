/* The single customer view's charts: interactions by channel (doughnut) and by seller (bar), from the
   JSON the page carries in #mix-data. */
(function () {
  "use strict";
  var data = document.getElementById("mix-data");
  if (!data || typeof Chart === "undefined") return;
  var mix = JSON.parse(data.textContent);
  var colours = ["#2f6fdf", "#f0a030", "#3aa675", "#d9534f", "#8e6ad8", "#4bb3c9", "#a3a3a3", "#c97a4b"];
  var channels = document.getElementById("channel-mix");
  if (channels && mix.channels.length) {
    new Chart(channels, {
      type: "doughnut",
      data: { labels: mix.channels, datasets: [{ data: mix.channel_counts, backgroundColor: colours }] },
      options: { animation: false, plugins: { legend: { position: "right" } } }
    });
  }
  var sellers = document.getElementById("seller-mix");
  if (sellers && mix.sellers.length) {
    new Chart(sellers, {
      type: "bar",
      data: { labels: mix.sellers, datasets: [{ label: "interactions", data: mix.seller_counts, backgroundColor: colours }] },
      options: { animation: false, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks: { precision: 0 } } } }
    });
  }
})();
