import { useEffect, useRef } from 'react';
import {
  Chart,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartDataset,
} from 'chart.js';

Chart.register(
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Legend,
  Tooltip,
);

interface Props {
  datasets: ChartDataset<'line', { x: number; y: number }[]>[];
  logX?: boolean;
  /** x counts whole units (epochs): the axis starts at 0, its ticks are integers. */
  countX?: boolean;
  xLabel: string;
  yLabel: string;
  testId: string;
  onPick?(x: number): void;
}

/** Colours from the page's theme (CSS variables), so charts read in light and dark schemes alike. */
export function chartColors(): { text: string; grid: string; series: string[] } {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--ink', '#1f2328'),
    grid: v('--line', '#d0d7de'),
    series: [
      v('--series-1', '#c2410c'),
      v('--series-2', '#1d4ed8'),
      v('--series-3', '#15803d'),
      v('--series-4', '#7c3aed'),
    ],
  };
}

const rateLabel = (value: number) => Number(value).toExponential(1).replace('.0e', 'e').replace('e+', 'e');

/** A linear x in a tooltip: as is when whole, else to two decimals (a batch's place in its epoch). */
const xText = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

/** A chart.js line chart that updates in place as data grows. */
export function LineChart({ datasets, logX = false, countX = false, xLabel, yLabel, testId, onPick }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', { x: number; y: number }[]> | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    const colors = chartColors();
    chart.current = new Chart(canvas.current!, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        parsing: false,
        responsive: true,
        maintainAspectRatio: false,
        color: colors.text,
        plugins: {
          legend: { labels: { color: colors.text } },
          tooltip: {
            callbacks: {
              // The learning rate (x) and the loss (y) of the point under the pointer.
              label: (item) => {
                const { x, y } = item.raw as { x: number; y: number };
                return `${item.dataset.label}: ${logX ? `lr ${rateLabel(x)}` : `${xLabel} ${xText(x)}`}, ${yLabel} ${y.toFixed(4)}`;
              },
            },
          },
        },
        scales: {
          x: {
            type: logX ? 'logarithmic' : 'linear',
            title: { display: true, text: xLabel, color: colors.text },
            grid: { color: colors.grid },
            // Learning rates read as 1e-5, 3e-4…: short labels, few of them, never rotated.
            ticks: logX
              ? {
                  maxTicksLimit: 8,
                  maxRotation: 0,
                  color: colors.text,
                  callback: (value) => rateLabel(Number(value)),
                }
              : { maxRotation: 0, color: colors.text, ...(countX ? { precision: 0 } : {}) },
            ...(countX ? { min: 0 } : {}),
          },
          y: {
            title: { display: true, text: yLabel, color: colors.text },
            grid: { color: colors.grid },
            ticks: { color: colors.text },
          },
        },
        onClick: (_event, elements) => {
          const hit = elements[0];
          if (hit && pick.current)
            pick.current(chart.current!.data.datasets[hit.datasetIndex].data[hit.index].x);
        },
      },
    });
    return () => chart.current?.destroy();
  }, [logX, countX, xLabel, yLabel]);

  useEffect(() => {
    if (!chart.current) return;
    // Copies: Chart.js takes ownership of (and instruments) the arrays it is given.
    chart.current.data.datasets = datasets.map((d) => ({ ...d, data: [...d.data] }));
    chart.current.update();
  }, [datasets]);

  return (
    <div className="chart" data-testid={testId} data-points={datasets.reduce((n, d) => n + d.data.length, 0)}>
      <canvas ref={canvas} role="img" aria-label={`Chart of ${yLabel} against ${xLabel}`} />
    </div>
  );
}
