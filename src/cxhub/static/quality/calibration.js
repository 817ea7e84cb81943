/* The calibration report's chart: each evaluator's mean deviation from consensus (below 0 harsh, above 0
   lenient) beside the mean distance, from the JSON the page carries in #deviation-data. */
(function () {
  "use strict";
  var data = document.getElementById("deviation-data");
  var canvas = document.getElementById("deviation-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  var report = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: report.evaluators,
      datasets: [
        {
          label: "mean deviation (points)",
          data: report.signed,
          backgroundColor: report.signed.map(function (v) { return v !== null && v < 0 ? "#d9534f" : "#3aa675"; })
        },
        { label: "mean distance (points)", data: report.absolute, backgroundColor: "#a3a3a3" }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: "y",
      plugins: { legend: { position: "bottom" } },
      scales: { x: { title: { display: true, text: "points from consensus (harsh < 0 < lenient)" } } }
    }
  });
})();
