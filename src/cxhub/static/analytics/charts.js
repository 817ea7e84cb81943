/* The dashboards' charts, drawn from the JSON each page carries: weekly figures by provider (with a
   metric picker), an agent's weeks, and the distribution of survey answers. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var colours = ["#2f6fdf", "#f0a030", "#3aa675", "#d9534f", "#8e6ad8", "#4bb3c9", "#a3a3a3", "#c97a4b"];
  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function percent(value) { return value === null ? null : Math.round(1000 * value) / 10; }

  var trend = read("trend-data");
  var picker = document.querySelector("[data-trend-metric]");
  if (trend && document.getElementById("trend-chart")) {
    var chart = null;
    var draw = function (metric) {
      var scaled = metric !== "nps";
      var datasets = Object.keys(trend.series).map(function (org, i) {
        var values = trend.series[org][metric];
        return { label: org, data: scaled ? values.map(percent) : values, borderColor: colours[i % colours.length],
                 backgroundColor: colours[i % colours.length], spanGaps: true, tension: 0.2 };
      });
      if (chart) chart.destroy();
      chart = new Chart(document.getElementById("trend-chart"), {
        type: "line", data: { labels: trend.periods, datasets: datasets },
        options: { animation: false, scales: { y: { title: { display: true, text: scaled ? "%" : "NPS" } } } }
      });
    };
    draw(picker ? picker.value : "csat");
    if (picker) picker.addEventListener("change", function () { draw(picker.value); });
  }

  var agent = read("agent-data");
  if (agent && document.getElementById("agent-chart")) {
    new Chart(document.getElementById("agent-chart"), {
      type: "line",
      data: { labels: agent.periods, datasets: [
        { label: "CSAT %", data: agent.csat.map(percent), borderColor: colours[0], backgroundColor: colours[0], spanGaps: true },
        { label: "FCR %", data: agent.fcr.map(percent), borderColor: colours[2], backgroundColor: colours[2], spanGaps: true }
      ] },
      options: { animation: false }
    });
  }

  var answers = read("answers-data");
  if (answers && document.getElementById("answers-chart")) {
    new Chart(document.getElementById("answers-chart"), {
      type: "bar",
      data: { labels: answers.scores, datasets: [{ label: "answers", data: answers.counts, backgroundColor: colours[0] }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { ticks: { precision: 0 } } } }
    });
  }
})();
