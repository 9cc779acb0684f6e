// Draw every chart of the page (and of the parts htmx swaps in) from the numbers the
// server wrote beside it in a <script type="application/json">. The same numbers are in
// the table under each chart; without JavaScript the tables are what people read.
(function () {
  "use strict";
  var palette = ["#1e6fd9", "#d9481e", "#2e8540", "#c27c0e", "#7b3fb5", "#0f8b8d", "#b3261e", "#5c6b7a"];
  var names = { spend: "Spending", income: "Income" };

  function draw(canvas) {
    if (typeof Chart === "undefined" || Chart.getChart(canvas)) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var kind = canvas.dataset.kind;
    var keys = Object.keys(data.series);
    var datasets = keys.map(function (key, i) {
      var colours = kind === "doughnut" ? palette : key === "income" ? "#2e8540" : "#d9481e";
      return { label: names[key] || key, data: data.series[key], backgroundColor: colours };
    });
    new Chart(canvas, {
      type: kind,
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
})();
