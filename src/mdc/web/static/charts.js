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

function fmtTick(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
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
  for (let y = Math.ceil(ymin / step) * step; y <= ymax + 1e-9; y += step) {
    ctx.beginPath();
    ctx.moveTo(pad.l, sy(y));
    ctx.lineTo(width - pad.r, sy(y));
    ctx.stroke();
    ctx.fillText(fmtTick(y), pad.l - 6, sy(y));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const x = xmin + ((xmax - xmin) * i) / ticks;
    ctx.fillText(clock(x), sx(x), height - pad.b + 6);
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

/** Stacked bars per time bucket. buckets: [{t: seconds, counts: {key: n}}]. */
export function barChart(canvas, buckets, keys, opts = {}) {
  const { ctx, width, height } = setup(canvas);
  if (!buckets.length) {
    ctx.fillStyle = AXIS;
    ctx.textAlign = "center";
    ctx.fillText(opts.empty || "no events", width / 2, height / 2);
    return;
  }
  const totals = buckets.map((b) => keys.reduce((n, k) => n + (b.counts[k] || 0), 0));
  const ymax = Math.max(...totals, 1) * 1.1;
  const xs = buckets.map((b) => b.t);
  const span = opts.bucket || 60;
  xs.push(xs[xs.length - 1] + span);
  const pad = { l: 44, r: 12, t: 10, b: 22 };
  const { sx, sy } = frame(ctx, width, height, xs, 0, ymax, pad);
  const barW = Math.max(2, sx(xs[0] + span) - sx(xs[0]) - 2);
  buckets.forEach((b) => {
    let base = 0;
    keys.forEach((k, i) => {
      const n = b.counts[k] || 0;
      if (!n) return;
      ctx.fillStyle = PALETTE[i % PALETTE.length];
      ctx.fillRect(sx(b.t) + 1, sy(base + n), barW, sy(base) - sy(base + n));
      base += n;
    });
  });
  legend(
    ctx,
    keys.map((k) => ({ label: k })),
    pad.l + 8,
    pad.t + 4,
  );
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
