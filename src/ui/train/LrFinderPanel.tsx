import { useMemo, useState } from 'react';
import { LR_FIND } from '../../ml/lr-find';
import type { LrFindResult } from '../../protocol';
import { rate } from './format';
import { LineChart, chartColors } from './LineChart';

/**
 * The LR finder's plot: live while the sweep runs, then with its suggestions. A point is picked with
 * the mouse (click) or the keyboard (the slider and "Use"); the pick goes to the Fit step.
 */
export function LrFinderPanel({
  sweep,
  result,
  onPick,
}: {
  /** Points so far while the sweep runs. */
  sweep: { lr: number; loss: number }[];
  result: LrFindResult | null;
  onPick(lr: number): void;
}) {
  const points = useMemo(() => {
    if (!result) return sweep.map((p) => ({ x: p.lr, y: p.loss }));
    const n = result.lrs.length;
    const all = result.lrs.map((x, i) => ({ x, y: result.losses[i] }));
    // fast.ai's plot skips the first 10 and last 5 points, when the sweep has that many.
    const skip = n - LR_FIND.skipStart - LR_FIND.skipEnd >= 2;
    return skip ? all.slice(LR_FIND.skipStart, n - LR_FIND.skipEnd) : all;
  }, [sweep, result]);
  const suggestion = result?.suggestion ?? null;
  const [index, setIndex] = useState<number | null>(null);
  const valleyIndex = suggestion ? points.findIndex((p) => p.x === suggestion.valley) : -1;
  const chosen = index ?? (valleyIndex >= 0 ? valleyIndex : 0);

  const datasets = useMemo(() => {
    const colors = chartColors();
    const marker = (x: number | undefined, label: string, color: string) => ({
      label,
      data: points.filter((p) => p.x === x),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 7,
      showLine: false,
    });
    return [
      { label: 'smoothed loss', data: points, borderColor: colors.series[0], pointRadius: 2 },
      marker(suggestion?.valley, 'valley', colors.series[2]),
      marker(suggestion?.steepest, 'steepest', colors.series[1]),
      marker(result?.picked, 'your pick', colors.series[3]),
    ];
  }, [points, suggestion, result?.picked]);

  if (!points.length) return null;
  const at = points[Math.min(chosen, points.length - 1)];
  return (
    <div className="lr-finder" data-testid="lr-finder">
      <LineChart
        datasets={datasets}
        logX
        xLabel="learning rate (log)"
        yLabel="smoothed loss"
        testId="lr-chart"
        onPick={(x) => onPick(x)}
      />
      {suggestion && (
        <>
          <p className="small" data-testid="lr-suggestion">
            Suggested: <strong>valley {rate(suggestion.valley)}</strong> (fastai v2), steepest descent{' '}
            {rate(suggestion.steepest)}, minimum ÷ 10 {rate(suggestion.minOverTen)}.
            {result?.picked !== undefined && (
              <>
                {' '}
                Your pick: <strong data-testid="lr-picked">{rate(result.picked)}</strong>.
              </>
            )}{' '}
            Click a point, or choose one below, to use it as the Fit step's max lr.
          </p>
          <div className="row small">
            <label>
              Rate{' '}
              <input
                type="range"
                min={0}
                max={points.length - 1}
                value={chosen}
                onChange={(e) => setIndex(Number(e.target.value))}
                aria-valuetext={`learning rate ${rate(at.x)}, loss ${at.y.toFixed(4)}`}
                data-testid="lr-slider"
              />
            </label>
            <span>
              lr {rate(at.x)} · loss {at.y.toFixed(4)}
            </span>
            <button type="button" onClick={() => onPick(at.x)} data-testid="lr-use">
              Use {rate(at.x)}
            </button>
            <button type="button" onClick={() => onPick(suggestion.valley)}>
              Use the valley
            </button>
          </div>
        </>
      )}
    </div>
  );
}
