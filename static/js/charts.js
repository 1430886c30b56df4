// Draws every chart on the page: each `.app-chart` holds its figure as a json_script block
// (named by data-chart-figure) and an empty `[data-chart-target]` div. Progressive enhancement:
// the summary and the data table are already in the HTML, so without script nothing is lost.
(function () {
  "use strict";

  function draw(container) {
    var dataId = container.getAttribute("data-chart-figure");
    var source = dataId && document.getElementById(dataId);
    var target = container.querySelector("[data-chart-target]");
    if (!source || !target || container.hasAttribute("data-chart-drawn")) return;
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      return; // leave the table and summary; a broken figure must not break the page
    }
    window.Plotly.newPlot(target, figure.data || [], figure.layout || {}, figure.config || {}).then(function () {
      container.setAttribute("data-chart-drawn", "true");
      // The SVG is decoration of the div's accessible name (role="img"), so keep it out of the tab order.
      Array.prototype.forEach.call(target.querySelectorAll("svg"), function (svg) {
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
      });
    });
  }

  function drawAll() {
    if (!window.Plotly) return;
    Array.prototype.forEach.call(document.querySelectorAll(".app-chart"), draw);
  }

  // Redraw at print width so charts fit the page.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart-drawn] [data-chart-target]"), function (el) {
      window.Plotly.Plots.resize(el);
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
