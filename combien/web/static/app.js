// combien's pages: share links, charts (Plotly, served locally) and live runs (server-sent events).
"use strict";
window.combien = (function () {
  // only the inputs given travel in addresses: empty fields are left out of the query
  function given(search) {
    var params = new URLSearchParams(search);
    var kept = new URLSearchParams();
    params.forEach(function (value, key) { if (value !== "") { kept.append(key, value); } });
    var text = kept.toString();
    return text ? "?" + text : "";
  }

  function shareLinks(api) {
    var query = given(location.search);
    if (query !== location.search) { history.replaceState(null, "", location.pathname + query); }
    var share = document.getElementById("share");
    if (share) { share.href = location.href; }
    var json = document.getElementById("json");
    if (json) { json.href = api + query; json.textContent = api + query; }
    var form = document.querySelector("form.inputs");
    if (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("input, select").forEach(function (field) {
          if (field.value === "") { field.disabled = true; }
        });
      });
    }
  }

  function powerTraces(doc) {
    return Object.keys(doc.power_w).sort().map(function (device) {
      var points = doc.power_w[device];
      return {
        x: points.map(function (p) { return new Date(p[0] * 1000); }),
        y: points.map(function (p) { return p[1]; }),
        name: device, mode: "lines+markers", type: "scatter",
        hovertemplate: "%{y:.0f} W<extra>" + device + "</extra>"
      };
    });
  }

  function powerChart(id, doc) {
    var layout = {
      title: { text: "Power per device (W)" }, margin: { t: 40, r: 20, b: 40, l: 60 },
      xaxis: { title: { text: "time" } }, yaxis: { title: { text: "watts" }, rangemode: "tozero" }
    };
    Plotly.newPlot(id, powerTraces(doc), layout, { displaylogo: false, responsive: true });
    document.getElementById(id).dataset.samples = doc.samples;
  }

  function follow(runId, chartId) {
    var source = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/stream");
    source.onmessage = function (event) {
      var doc = JSON.parse(event.data);
      var chart = document.getElementById(chartId);
      Plotly.react(chartId, powerTraces(doc), chart.layout);
      chart.dataset.updates = String(Number(chart.dataset.updates || 0) + 1);
      chart.dataset.samples = doc.samples;
      document.getElementById("samples").textContent = doc.samples;
      document.getElementById("duration").textContent = Math.round(doc.duration_s || 0);
      document.getElementById("energy").textContent = ((doc.energy_j || 0) / 3.6e6 * 1000).toPrecision(3) + " Wh";
      var status = document.getElementById("status");
      status.textContent = doc.status; status.className = "status " + doc.status;
      if (doc.status !== "running") { source.close(); }
    };
  }

  function trendChart(id, points, title, yTitle, more) {
    var traces = [{
      x: points.map(function (p) { return p.x; }), y: points.map(function (p) { return p.y; }),
      text: points.map(function (p) { return p.id; }), name: "ownership", mode: "markers", type: "scatter",
      hovertemplate: "%{text}<br>%{x}<br>%{y:.3s}<extra></extra>"
    }];
    Object.keys(more).forEach(function (name) {
      var extra = more[name];
      traces.push({
        x: extra.map(function (p) { return p.x; }), y: extra.map(function (p) { return p.y; }),
        text: extra.map(function (p) { return p.id; }), name: name, mode: "markers", type: "scatter",
        hovertemplate: "%{text}<br>%{x}<br>%{y:.3s}<extra></extra>"
      });
    });
    if (!Object.keys(more).length) { traces[0].name = "compute"; }
    Plotly.newPlot(id, traces, {
      title: { text: title }, margin: { t: 40, r: 20, b: 40, l: 70 },
      xaxis: { title: { text: "publication date" } }, yaxis: { title: { text: yTitle }, type: "log" }
    }, { displaylogo: false, responsive: true });
  }

  // a plan's options: cost against CO2e, the Pareto front drawn apart, time on hover
  function frontChart(id, options) {
    function trace(front) {
      var chosen = options.filter(function (o) { return o.pareto === front; });
      return {
        x: chosen.map(function (o) { return o.cost_usd.value; }),
        y: chosen.map(function (o) { return o.co2e_kg.value / 1000; }),
        text: chosen.map(function (o) { return o.description + "<br>" + o.wall_days.toFixed(0) + " days"; }),
        error_x: { type: "data", symmetric: false, visible: true, thickness: 1,
                   array: chosen.map(function (o) { return o.cost_usd.high - o.cost_usd.value; }),
                   arrayminus: chosen.map(function (o) { return o.cost_usd.value - o.cost_usd.low; }) },
        name: front ? "Pareto front" : "best of its hardware, off the front",
        mode: "markers", type: "scatter",
        marker: { size: front ? 10 : 7, symbol: front ? "circle" : "circle-open" },
        hovertemplate: "%{text}<br>$%{x:.3s} · %{y:.3s} t CO2e<extra></extra>"
      };
    }
    Plotly.newPlot(id, [trace(true), trace(false)], {
      title: { text: "Options: cost and CO2e (ranges: 5th–95th percentile of cost)" },
      margin: { t: 40, r: 20, b: 50, l: 70 },
      xaxis: { title: { text: "cost (USD, log scale)" }, type: "log" },
      yaxis: { title: { text: "CO2e (t, log scale)" }, type: "log" }
    }, { displaylogo: false, responsive: true });
    document.getElementById(id).dataset.options = String(options.length);
  }

  return { shareLinks: shareLinks, powerChart: powerChart, follow: follow, trendChart: trendChart,
           frontChart: frontChart };
})();
