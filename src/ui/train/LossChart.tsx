// The training loss per batch and the validation loss per epoch, on one chart.
import { useMemo } from 'react';
import type { EpochRow } from '../../protocol';
import { LineChart, chartColors } from './LineChart';

export function LossChart({
  batchLosses,
  epochs,
}: {
  batchLosses: readonly { iteration: number; loss: number }[];
  epochs: readonly EpochRow[];
}) {
  const datasets = useMemo(() => {
    const colors = chartColors();
    return [
      {
        label: 'train loss (batch)',
        data: batchLosses.map((p) => ({ x: p.iteration, y: p.loss })),
        borderColor: colors.series[0],
        pointRadius: 0,
        borderWidth: 1,
      },
      {
        label: 'valid loss (epoch)',
        // Each epoch's validation loss at the batch that ended it.
        data: epochs.map((e, i) => ({
          x: Math.round(((i + 1) * batchLosses.length) / Math.max(1, epochs.length)),
          y: e.validLoss,
        })),
        borderColor: colors.series[1],
        pointRadius: 3,
      },
    ];
  }, [batchLosses, epochs]);
  if (batchLosses.length === 0) return null;
  return <LineChart datasets={datasets} xLabel="batch" yLabel="loss" testId="loss-chart" />;
}
