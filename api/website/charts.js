// The page's charts, drawn as SVG in the page (no library, no CDN). Each chart is an image
// with a text alternative (aria-label); the tables next to it hold the same numbers.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Horizontal bars, one per channel: {"Email": 1, "Call": 0, ...}. */
export function barChart(counts, title) {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const rowHeight = 34;
  const labelWidth = 90;
  const width = 400;
  const chartWidth = width - labelWidth - 50;
  const height = entries.length * rowHeight + 10;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${title}: ${entries.map(([name, value]) => `${name} ${value}`).join(", ")}`,
  });
  entries.forEach(([name, value], index) => {
    const y = index * rowHeight + 5;
    const barWidth = Math.round((value / max) * chartWidth);
    const group = svg("g", { "data-channel": name, "data-count": value });
    group.append(svg("text", { x: 0, y: y + 20 }, name));
    group.append(svg("rect", { class: "bar", x: labelWidth, y, width: barWidth, height: rowHeight - 10, rx: 3 }));
    group.append(svg("text", { x: labelWidth + barWidth + 6, y: y + 20 }, String(value)));
    chart.append(group);
  });
  return chart;
}

/** The channels of a monthly answer ({"2019-10": {"Email": 1, ...}, ...}), in its order. */
export function channelsOf(months) {
  return Object.keys(Object.values(months)[0] || {});
}

/** One column chart per channel, a column per month (every month, zero-filled by the API):
 * small multiples on one scale, so channels compare at a glance. */
export function monthlyCharts(months, title) {
  const names = Object.keys(months);
  const channels = channelsOf(months);
  const max = Math.max(1, ...names.flatMap((month) => channels.map((channel) => months[month][channel])));
  const width = 300;
  const height = 130;
  const plot = { left: 28, right: 8, top: 24, bottom: 22 };
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const step = plotWidth / Math.max(1, names.length);
  const barWidth = Math.max(1, Math.min(24, step * 0.7));
  const wrapper = document.createElement("div");
  wrapper.className = "monthly-charts";
  for (const channel of channels) {
    const values = names.map((month) => months[month][channel]);
    const total = values.reduce((sum, value) => sum + value, 0);
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "data-channel": channel,
      "aria-label": `${title}, ${channel} per month: ${names.map((month, i) => `${month} ${values[i]}`).join(", ")}`,
    });
    chart.append(svg("text", { x: 0, y: 14, class: "chart-title" }, `${channel} (${total})`));
    chart.append(svg("text", { x: plot.left - 4, y: plot.top + 4, class: "axis", "text-anchor": "end" }, String(max)));
    chart.append(svg("text", { x: plot.left - 4, y: plot.top + plotHeight, class: "axis", "text-anchor": "end" }, "0"));
    chart.append(
      svg("line", { x1: plot.left, x2: width - plot.right, y1: plot.top + plotHeight, y2: plot.top + plotHeight, class: "baseline" })
    );
    names.forEach((month, index) => {
      const value = values[index];
      const barHeight = Math.round((value / max) * plotHeight);
      const x = plot.left + index * step + (step - barWidth) / 2;
      const bar = svg("rect", {
        class: "bar",
        x: x.toFixed(1),
        y: plot.top + plotHeight - barHeight,
        width: barWidth.toFixed(1),
        height: barHeight,
        "data-month": month,
        "data-count": value,
      });
      bar.append(svg("title", {}, `${month}: ${value}`));
      chart.append(bar);
    });
    if (names.length) {
      const baseline = height - 6;
      chart.append(svg("text", { x: plot.left, y: baseline, class: "axis" }, names[0]));
      if (names.length > 1) {
        chart.append(svg("text", { x: width - plot.right, y: baseline, class: "axis", "text-anchor": "end" }, names[names.length - 1]));
      }
    }
    wrapper.append(chart);
  }
  return wrapper;
}
