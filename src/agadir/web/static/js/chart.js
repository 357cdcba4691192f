// A small horizontal bar chart in SVG (usage per tenant). No chart library: a dozen bars do
// not justify 100 KB of script, and SVG text follows the page's direction and fonts.

const SVG = "http://www.w3.org/2000/svg";

function node(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * rows: [{label, value}]; returns an <svg> with one bar per row, scaled to the largest value.
 * In right-to-left pages the bars grow from the right, like the text; `format` writes the
 * values (the page passes the interface locale's number format).
 */
export function barChart(
  rows,
  { title = "", width = 560, rowHeight = 26, rtl = false, format = (v) => v.toLocaleString() } = {},
) {
  const labelWidth = 150;
  const valueWidth = 80;
  const barSpace = width - labelWidth - valueWidth;
  const height = Math.max(rows.length, 1) * rowHeight + 8;
  const max = Math.max(1, ...rows.map((r) => r.value));
  // Coordinates below are left-to-right; the svg is pinned to ltr so that text-anchor keeps
  // that meaning inside a right-to-left page (each label's own bidi still applies).
  const svg = node("svg", {
    class: "chart",
    direction: "ltr",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": title,
  });
  svg.append(node("title", {}, title));
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const length = Math.round((row.value / max) * barSpace);
    const barX = rtl ? width - labelWidth - length : labelWidth;
    const labelX = rtl ? width - 4 : 4;
    const valueX = rtl ? width - labelWidth - length - 6 : labelWidth + length + 6;
    svg.append(
      node(
        "text",
        { x: labelX, y: y + rowHeight * 0.65, "text-anchor": rtl ? "end" : "start", class: "label" },
        row.label,
      ),
      node("rect", { x: barX, y: y + 4, width: Math.max(length, 1), height: rowHeight - 8, class: "bar", rx: 3 }),
      node(
        "text",
        { x: valueX, y: y + rowHeight * 0.65, "text-anchor": rtl ? "end" : "start", class: "value" },
        format(row.value),
      ),
    );
  });
  return svg;
}
