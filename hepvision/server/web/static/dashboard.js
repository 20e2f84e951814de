/* Draws the dashboard's charts with uPlot (vendor/uplot) from the JSON next to each chart.
 *
 * Payload: {id, title, unit, x: [unix s | rep no], labels, series: [{label, values}],
 *           refs: [{label, low, high, kind: normal|target|cap}], xkind?: "rep", ymin?, ymax?,
 *           tz?: the patient's IANA time zone (dates are drawn in it, as the tables show them)}
 * A time axis with one session spans a week around it (uPlot alone would span years).
 * Reference bands and lines are drawn under the series. Each drawn chart is kept in
 * window.hvCharts[id] = {plot, payload} (the browser tests read it). Charts redraw on resize.
 * The same numbers are in the table under each chart, so nothing needs a mouse or a canvas.
 */
(function () {
  "use strict";
  var COLORS = ["#0a5bc4", "#8250df", "#bc4c00", "#1a7f37"];
  var REF_STYLE = {
    normal: {fill: "rgba(45, 164, 78, 0.18)", stroke: "rgba(45, 164, 78, 0.7)", dash: []},
    target: {fill: null, stroke: "#0a5bc4", dash: [6, 4]},
    cap: {fill: null, stroke: "#cf222e", dash: []},
  };
  window.hvCharts = {};

  function drawRefs(u, refs) {
    var ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    refs.forEach(function (r) {
      var style = REF_STYLE[r.kind] || REF_STYLE.target;
      var yHigh = u.valToPos(r.high, "y", true);
      var yLow = u.valToPos(r.low, "y", true);
      ctx.setLineDash(style.dash.map(function (d) { return d * devicePixelRatio; }));
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.strokeStyle = style.stroke;
      if (r.high > r.low && style.fill) {
        ctx.fillStyle = style.fill;
        ctx.fillRect(u.bbox.left, yHigh, u.bbox.width, yLow - yHigh);
      }
      [yLow, yHigh].forEach(function (y, k) {
        if (k === 1 && r.high === r.low) return;
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
      });
    });
    ctx.restore();
  }

  function yRange(payload) {
    return function (u, dataMin, dataMax) {
      var lo = dataMin, hi = dataMax;
      payload.refs.forEach(function (r) {
        lo = lo == null ? r.low : Math.min(lo, r.low);
        hi = hi == null ? r.high : Math.max(hi, r.high);
      });
      if (payload.ymin != null) lo = payload.ymin;
      if (payload.ymax != null) hi = payload.ymax;
      if (lo == null || hi == null) return [0, 1];
      var pad = payload.ymax != null ? 0.5 : Math.max(5, (hi - lo) * 0.08);
      return [payload.ymin != null ? lo - 0.5 : lo - pad, hi + pad];
    };
  }

  var DAY_S = 86400;

  // uPlot widens a time axis whose data is one instant by "one day" counted in ms while the
  // data are in seconds (~2.7 years): sessions all within a day get a week around them.
  function xRange(payload) {
    return function (u, min, max) {
      var xs = payload.x.filter(function (v) { return v != null; });
      if (!xs.length) return [min, max];
      var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
      if (hi - lo < DAY_S && (max - min > 2 * DAY_S || max - min < DAY_S))
        return [lo - 3 * DAY_S, hi + 3 * DAY_S];
      return [min, max];
    };
  }

  function options(el, payload) {
    var isRep = payload.xkind === "rep";
    var series = [{label: isRep ? "repetition" : "date",
                   value: isRep ? function (u, v) { return v == null ? "-" : "rep " + v; }
                                : "{YYYY}-{MM}-{DD}"}];
    payload.series.forEach(function (s, i) {
      series.push({label: s.label, stroke: COLORS[i % COLORS.length], width: 2,
                   spanGaps: true, points: {show: true, size: 5},
                   value: function (u, v) { return v == null ? "-" : v.toFixed(1); }});
    });
    return {
      width: Math.max(280, el.clientWidth),
      height: 260,
      series: series,
      scales: {x: isRep ? {time: false} : {time: true, range: xRange(payload)},
               y: {range: yRange(payload)}},
      tzDate: payload.tz ? function (ts) { return uPlot.tzDate(new Date(ts * 1e3), payload.tz); }
                         : function (ts) { return new Date(ts * 1e3); },
      axes: [{}, {label: payload.unit === "deg" ? "degrees" : payload.unit, size: 50}],
      legend: {live: true},
      hooks: {drawAxes: [function (u) { drawRefs(u, payload.refs); }]},
    };
  }

  function draw(el) {
    var id = el.getAttribute("data-chart");
    var payload = JSON.parse(document.getElementById("chart-data-" + id).textContent);
    var data = [payload.x].concat(payload.series.map(function (s) { return s.values; }));
    var plot = new uPlot(options(el, payload), data, el);
    window.hvCharts[id] = {plot: plot, payload: payload};
  }

  function resizeAll() {
    Object.keys(window.hvCharts).forEach(function (id) {
      var c = window.hvCharts[id];
      var el = document.querySelector('[data-chart="' + id + '"]');
      if (el) c.plot.setSize({width: Math.max(280, el.clientWidth), height: 260});
    });
  }

  function init() {
    if (typeof uPlot === "undefined") return;  // tables still show the values
    document.querySelectorAll("[data-chart]").forEach(draw);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(resizeAll, 150);
    });
    document.documentElement.setAttribute("data-charts-ready", String(Object.keys(window.hvCharts).length));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
