/**
 * The Insights page's charts, drawn by uPlot: a small canvas chart library with no eval and no
 * inline style markup (it sets styles through the CSSOM), so it runs under the UI's strict CSP.
 * Each chart is a `<figure>` with a caption; `data-points` counts the values drawn and
 * `data-total` adds them up, which the browser test reads.
 */
import uPlot from 'uplot';
import { h } from '../../dom/h.js';
import type { CategorySeries, TimeSeries } from './series.js';

/** Colour-blind-safe (Okabe–Ito), enough for a rule set; further series reuse them. */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7f7f7f', '#000000'];
const colour = (index: number) => PALETTE[index % PALETTE.length] ?? '#000000';

const WIDTH = 540;
const HEIGHT = 260;
/** About how wide one character of an axis label is, and how wide the plot is between the axes. */
const CHAR_PX = 6.5;
const PLOT_PX = 470;

type Drawn = readonly { values: readonly (number | null)[] }[];

const figure = (id: string, caption: string, series: Drawn) => {
  const values = series.flatMap((one) => one.values.filter((value): value is number => value !== null));
  const total = Math.round(values.reduce((sum, value) => sum + value, 0) * 10) / 10;
  const plot = h('div', { class: 'chart-plot' });
  const element = h(
    'figure',
    { id, class: 'chart', 'data-points': String(values.length), 'data-total': String(total) },
    h('figcaption', {}, caption),
    plot,
  );
  return { element, plot };
};

/** Whole numbers on a count axis: no 0.5 hits. */
const countAxis: uPlot.Axis = { values: (_u, splits) => splits.map((value) => (Number.isInteger(value) ? value : '')) };

/** Lines over the window's days, one per series, with a legend (clicking a name hides its line). */
export const lineChart = (id: string, caption: string, data: TimeSeries): HTMLElement => {
  const { element, plot } = figure(id, caption, data.series);
  const options: uPlot.Options = {
    width: WIDTH,
    height: HEIGHT,
    legend: { live: false },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{}, countAxis],
    series: [
      {
        label: 'Day',
        value: (_u, seconds) => (seconds === null ? '—' : new Date(seconds * 1000).toISOString().slice(0, 10)),
      },
      ...data.series.map((series, index) => ({
        label: series.label,
        stroke: colour(index),
        width: 2,
        points: { show: data.x.length < 40 },
      })),
    ],
  };
  new uPlot(options, [data.x, ...data.series.map((series) => series.values)], plot);
  return element;
};

/**
 * Bars over named categories; several series are grouped side by side in each category (up to
 * three: uPlot's bars can sit left of, on, or right of the category's tick).
 */
export const barChart = (
  id: string,
  caption: string,
  data: CategorySeries,
  options: { unit?: string; max?: number } = {},
): HTMLElement => {
  const { element, plot } = figure(id, caption, data.series);
  const indices = data.categories.map((_category, index) => index);
  const bars = uPlot.paths.bars;
  const aligns: (-1 | 0 | 1)[] = data.series.length === 1 ? [0] : data.series.length === 2 ? [-1, 1] : [-1, 0, 1];
  const unit = options.unit ?? '';
  // Labels too long to stand side by side are slanted, with room below and on the right for them.
  const longest = Math.max(0, ...data.categories.map((category) => category.length));
  const rotate = longest * CHAR_PX > PLOT_PX / Math.max(1, data.categories.length);
  const below = rotate ? Math.min(160, 24 + longest * CHAR_PX * 0.5) : 50;
  const right = rotate ? Math.min(160, (data.categories.at(-1)?.length ?? 0) * CHAR_PX * 0.87) : 0;
  new uPlot(
    {
      width: WIDTH,
      height: HEIGHT + below - 50,
      padding: [16, right, 0, 0],
      legend: { live: false },
      scales: {
        x: { time: false, range: () => [-0.5, Math.max(0.5, data.categories.length - 0.5)] },
        y: { range: (_u, _min, max) => [0, options.max ?? Math.max(1, max * 1.1)] },
      },
      axes: [
        {
          splits: () => indices,
          values: (_u, splits) => splits.map((index) => data.categories[index] ?? ''),
          grid: { show: false },
          size: below,
          ...(rotate ? { rotate: -30 } : {}),
        },
        unit ? { values: (_u, splits) => splits.map((value) => `${value}${unit}`) } : countAxis,
      ],
      cursor: { points: { show: false } },
      series: [
        { label: 'Category', value: (_u, index) => (index === null ? '—' : (data.categories[index] ?? '—')) },
        ...data.series.map((series, index) => ({
          label: series.label,
          stroke: colour(index),
          fill: `${colour(index)}cc`,
          width: 1,
          points: { show: false },
          value: (_u: uPlot, value: number | null) => (value === null ? '—' : `${value}${unit}`),
          ...(bars
            ? { paths: bars({ size: [data.series.length === 1 ? 0.6 : 0.3, 64], align: aligns[index] ?? 0 }) }
            : {}),
        })),
      ],
    },
    [indices, ...data.series.map((series) => series.values)],
    plot,
  );
  return element;
};
