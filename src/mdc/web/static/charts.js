// Small canvas charts for the dashboard: a line chart and a stacked bar chart.
// Own code (no library): sharp on high-DPI screens, axes with a few round ticks.

const AXIS = "#8a94a6";
const GRID = "rgba(138, 148, 166, 0.18)";
const FONT = "11px system-ui, sans-serif";
export const PALETTE = ["#4e9af1", "#f5a524", "#17c964", "#f31260", "#9353d3", "#06b7db", "#ff8a65"];

function setup(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 200;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  return { ctx, width, height };
}

function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (raw <= m * mag) return m * mag;
  }
  return 10 * mag;
}

function fmtTick(v, step) {
  const a = Math.abs(v);
  if (a >= 1e6 && step >= 1e5) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e4 && step >= 1e3) return (v / 1e3).toFixed(0) + "k";
  const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

function clock(seconds) {
  const d = new Date(seconds * 1000);
  return d.toISOString().slice(11, 19);
}

function frame(ctx, width, height, xs, ymin, ymax, pad) {
  const plotW = width - pad.l - pad.r;
  const plotH = height - pad.t - pad.b;
  const xmin = xs[0];
  const xmax = xs[xs.length - 1] > xmin ? xs[xs.length - 1] : xmin + 1;
  const sx = (x) => pad.l + ((x - xmin) / (xmax - xmin)) * plotW;
  const sy = (y) => pad.t + plotH - ((y - ymin) / (ymax - ymin || 1)) * plotH;
  ctx.strokeStyle = GRID;
  ctx.fillStyle = AXIS;
  ctx.lineWidth = 1;
  const step = niceStep(ymax - ymin, 4);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = Math.ceil(ymin / step); i * step <= ymax + 1e-9; i++) {
    const y = i * step;
    ctx.beginPath();
    ctx.moveTo(pad.l, sy(y));
    ctx.lineTo(width - pad.r, sy(y));
    ctx.stroke();
    ctx.fillText(fmtTick(y, step), pad.l - 6, sy(y));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const x = xmin + ((xmax - xmin) * i) / ticks;
    const text = clock(x);
    // Centred under its tick, but kept inside the canvas: the last label sits at the right
    // edge of the plot, where half of it would be cut off.
    const half = ctx.measureText(text).width / 2;
    ctx.fillText(text, Math.min(sx(x), width - half - 1), height - pad.b + 6);
  }
  return { sx, sy };
}

/** Line chart. series: [{label, points: [[tSeconds, value], ...]}]. */
export function lineChart(canvas, series, opts = {}) {
  const { ctx, width, height } = setup(canvas);
  const all = series.flatMap((s) => s.points);
  if (all.length < 2) {
    ctx.fillStyle = AXIS;
    ctx.textAlign = "center";
    ctx.fillText(opts.empty || "waiting for data…", width / 2, height / 2);
    return;
  }
  const xs = all.map((p) => p[0]).sort((a, b) => a - b);
  let ymin = Math.min(...all.map((p) => p[1]));
  let ymax = Math.max(...all.map((p) => p[1]));
  if (opts.zero) ymin = Math.min(0, ymin);
  if (ymax === ymin) {
    ymax += Math.abs(ymax) * 0.001 || 1;
    ymin -= Math.abs(ymin) * 0.001 || (opts.zero ? 0 : 1);
  }
  const padY = (ymax - ymin) * 0.08;
  if (!opts.zero) ymin -= padY;
  ymax += padY;
  const pad = { l: 56, r: 12, t: 10, b: 22 };
  const { sx, sy } = frame(ctx, width, height, xs, ymin, ymax, pad);
  series.forEach((s, i) => {
    ctx.strokeStyle = s.color || PALETTE[i % PALETTE.length];
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    s.points.forEach(([x, y], j) => (j ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
    ctx.stroke();
  });
  if (series.length > 1) legend(ctx, series, pad.l + 8, pad.t + 4);
}

/** Stacked bars per time bucket over the last opts.buckets buckets ending now.
 * buckets: [{t: seconds, counts: {key: n}}]; keys are coloured PALETTE[i]. */
export function barChart(canvas, buckets, keys, opts = {}) {
  const { ctx, width, height } = setup(canvas);
  const span = opts.bucket || 60;
  const count = opts.buckets || 30;
  const end = Math.floor(Date.now() / 1000 / span) * span + span;
  const start = end - count * span;
  const shown = buckets.filter((b) => b.t >= start);
  if (!shown.length) {
    ctx.fillStyle = AXIS;
    ctx.textAlign = "center";
    ctx.fillText(opts.empty || "no events", width / 2, height / 2);
    return;
  }
  const totals = shown.map((b) => keys.reduce((n, k) => n + (b.counts[k] || 0), 0));
  const ymax = Math.max(...totals, 1) * 1.1;
  const pad = { l: 44, r: 12, t: 10, b: 22 };
  const { sx, sy } = frame(ctx, width, height, [start, end], 0, ymax, pad);
  const barW = Math.max(2, sx(start + span) - sx(start) - 2);
  shown.forEach((b) => {
    let base = 0;
    keys.forEach((k, i) => {
      const n = b.counts[k] || 0;
      if (!n) return;
      ctx.fillStyle = PALETTE[i % PALETTE.length];
      ctx.fillRect(sx(b.t) + 1, sy(base + n), barW, sy(base) - sy(base + n));
      base += n;
    });
  });
}

function legend(ctx, series, x, y) {
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  series.forEach((s, i) => {
    ctx.fillStyle = s.color || PALETTE[i % PALETTE.length];
    ctx.fillRect(x, y + i * 14 + 2, 10, 8);
    ctx.fillStyle = AXIS;
    ctx.fillText(s.label, x + 14, y + i * 14);
  });
}
