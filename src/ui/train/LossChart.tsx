// The training loss per batch (live) and per epoch, and the validation loss per epoch, on one chart
// whose x axis is the model's epochs: its whole history shows, after a reload or an import too.
import { useMemo } from 'react';
import type { EpochRow } from '../../protocol';
import { LineChart, chartColors } from './LineChart';
import { lossSeries } from './loss-series';

export function LossChart({
  batchLosses,
  epochs,
}: {
  batchLosses: readonly { epoch: number; loss: number }[];
  epochs: readonly EpochRow[];
}) {
  const datasets = useMemo(() => {
    const colors = chartColors();
    const series = lossSeries(batchLosses, epochs);
    return [
      {
        label: 'train loss (batch)',
        data: series.batches,
        borderColor: colors.series[0],
        backgroundColor: colors.series[0],
        pointRadius: 0,
        borderWidth: 1,
      },
      {
        label: 'train loss (epoch)',
        data: series.train,
        borderColor: colors.series[2],
        backgroundColor: colors.series[2],
        pointRadius: 3,
      },
      {
        label: 'valid loss (epoch)',
        data: series.valid,
        borderColor: colors.series[1],
        backgroundColor: colors.series[1],
        pointRadius: 3,
      },
    ];
  }, [batchLosses, epochs]);
  if (batchLosses.length === 0 && epochs.length === 0) return null;
  return <LineChart datasets={datasets} xLabel="epoch" yLabel="loss" testId="loss-chart" countX />;
}
