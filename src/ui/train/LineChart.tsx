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
  xLabel: string;
  yLabel: string;
  testId: string;
  onPick?(x: number): void;
}

/** A chart.js line chart that updates in place as data grows. */
export function LineChart({ datasets, logX = false, xLabel, yLabel, testId, onPick }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', { x: number; y: number }[]> | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    chart.current = new Chart(canvas.current!, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        parsing: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: {
            type: logX ? 'logarithmic' : 'linear',
            title: { display: true, text: xLabel },
            // Learning rates read as 1e-5, 3e-4…: short labels, few of them, never rotated.
            ticks: logX
              ? {
                  maxTicksLimit: 8,
                  maxRotation: 0,
                  callback: (value) => Number(value).toExponential(1).replace('.0e', 'e').replace('e+', 'e'),
                }
              : { maxRotation: 0 },
          },
          y: { title: { display: true, text: yLabel } },
        },
        onClick: (_event, elements) => {
          const hit = elements[0];
          if (hit && pick.current)
            pick.current(chart.current!.data.datasets[hit.datasetIndex].data[hit.index].x);
        },
      },
    });
    return () => chart.current?.destroy();
  }, [logX, xLabel, yLabel]);

  useEffect(() => {
    if (!chart.current) return;
    // Copies: Chart.js takes ownership of (and instruments) the arrays it is given.
    chart.current.data.datasets = datasets.map((d) => ({ ...d, data: [...d.data] }));
    chart.current.update();
  }, [datasets]);

  return (
    <div className="chart" data-testid={testId} data-points={datasets.reduce((n, d) => n + d.data.length, 0)}>
      <canvas ref={canvas} />
    </div>
  );
}
