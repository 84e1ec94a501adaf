import {
  BACKENDS,
  labelSmoothing,
  mixupAlpha,
  passBatchNorm,
  featureStatistics,
  epochStatistics,
  BN_ADAPT_IMAGES,
  type DeviceInfo,
  type ModelSummary,
  type TrainConfig,
} from '../../protocol';

/** The Train tab's settings; a summary line when folded (after the first run). */
export function TrainSettings({
  config,
  device,
  model,
  seedValue,
  onChange,
  onBackend,
}: {
  config: TrainConfig;
  device: DeviceInfo | null;
  model: ModelSummary | null;
  /** The seed shown (a new one waits for the user's choice). */
  seedValue: number;
  onChange(patch: Partial<TrainConfig>): void;
  /** Switching restarts the engine (the worker picks its backend once, at start). */
  onBackend(backend: string): void;
}) {
  const last = model?.history[model.history.length - 1];
  return (
    <details className="settings" open>
      <summary>
        Settings{' '}
        <span className="muted small">
          {config.size} px · batch {config.batchSize} · frozen stage {config.frozenMode} · split seed{' '}
          {config.seed} · {device?.backend ?? '…'}
        </span>
      </summary>
      <div className="settings-grid">
        <label>
          Image size (px)
          <input
            type="number"
            min={32}
            step={32}
            value={config.size}
            onChange={(e) => onChange({ size: Number(e.target.value) })}
          />
        </label>
        <label>
          Batch size
          <input
            type="number"
            min={2}
            value={config.batchSize}
            onChange={(e) => onChange({ batchSize: Number(e.target.value) })}
          />
        </label>
        <label>
          Frozen stage
          <select
            value={config.frozenMode}
            onChange={(e) => onChange({ frozenMode: e.target.value as TrainConfig['frozenMode'] })}
          >
            <option value="fast">fast (cached body features)</option>
            <option value="faithful">faithful (BatchNorm trains)</option>
          </select>
        </label>
        <label title="The fast frozen stage's cached training features: BatchNorm on running statistics (inference mode) or on each shuffled batch's own statistics, as the unfrozen body (and fast.ai's frozen body) computes them">
          Cached features' BatchNorm
          <select
            value={featureStatistics(config)}
            disabled={config.frozenMode !== 'fast'}
            onChange={(e) =>
              onChange({ featureStatistics: e.target.value as TrainConfig['featureStatistics'] })
            }
          >
            <option value="running">running statistics</option>
            <option value="batch">each batch's statistics</option>
          </select>
        </label>
        <label title="Augmented copies of each training image whose body features the fast frozen stage computes (its longest part); its epochs cycle through them. Fewer: a shorter frozen stage, each copy seen more often">
          Augmented copies
          <select
            value={config.variants}
            disabled={config.frozenMode !== 'fast'}
            onChange={(e) => onChange({ variants: Number(e.target.value) })}
          >
            {[...new Set([1, 2, 4, 8, config.variants])]
              .sort((a, b) => a - b)
              .map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
          </select>
        </label>
        <label title="When a batch only fits the device in passes (the unfrozen stage on a CPU): 'whole batch' computes what the batch in one pass computes, as fast.ai and PyTorch do (a statistics pass first, ~20% more time); 'each pass' normalises every pass with its own statistics (noisier: it measured worse); 'running' keeps the body's running statistics">
          BatchNorm over passes
          <select
            value={passBatchNorm(config)}
            onChange={(e) =>
              onChange({ unfrozenBatchNorm: e.target.value as TrainConfig['unfrozenBatchNorm'] })
            }
          >
            <option value="whole-batch">whole batch, as one pass (fast.ai)</option>
            <option value="batch">each pass's own statistics</option>
            <option value="running">running statistics (body)</option>
          </select>
        </label>
        <label
          title={`After each epoch that trains through the body, its BatchNorm running statistics re-measured on up to ${BN_ADAPT_IMAGES} training images before validation, so validation, checkpoints and predictions use the final weights' statistics: 'as validation sees them' (centre crops, no augmentation), 'augmented' (PyTorch's update_bn) or 'running averages' (fast.ai: as training left them). Training computes the same either way; the pass costs what inference on those images does`}
        >
          Statistics after each epoch
          <select
            value={epochStatistics(config)}
            onChange={(e) => onChange({ epochStatistics: e.target.value as TrainConfig['epochStatistics'] })}
          >
            <option value="plain">re-measured, as validation sees images</option>
            <option value="augmented">re-measured, augmented</option>
            <option value="off">running averages (fast.ai)</option>
          </select>
        </label>
        <label>
          Backend
          <select value={device?.backend ?? ''} onChange={(e) => onBackend(e.target.value)}>
            {BACKENDS.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
        <label title="Images per forward/backward pass (gradients are summed to the batch); empty: chosen from the device's memory">
          Images per pass
          <input
            type="number"
            min={1}
            placeholder="auto"
            value={config.imagesPerPass || ''}
            onChange={(e) => onChange({ imagesPerPass: Number(e.target.value) || 0 })}
          />
        </label>
        <FractionField
          label="Label smoothing"
          title="Label smoothing ε of the training loss: the target keeps 1 − ε on the true class and spreads ε over all classes (fast.ai uses 0.1); 0 is plain cross-entropy"
          max={0.5}
          step={0.05}
          value={labelSmoothing(config)}
          onValue={(labelSmoothing) => onChange({ labelSmoothing })}
        />
        <FractionField
          label="Mixup α"
          title="Mixup's α: each training image is blended with another of its batch (weight λ ~ Beta(α, α), at least 0.5) and its target alike — on the cached features in the fast frozen stage, on the pixels otherwise (fast.ai uses 0.4); 0 is off"
          max={1}
          step={0.1}
          value={mixupAlpha(config)}
          onValue={(mixup) => onChange({ mixup })}
        />
        <label title="Which images are held out for validation (20 %)">
          Split seed
          <input
            type="number"
            value={seedValue}
            onChange={(e) => onChange({ seed: Number(e.target.value) })}
          />
        </label>
      </div>
      <p className="muted small">
        Backend {device?.backend ?? '…'} ({device?.adapter ?? '…'})
        {device?.race?.winner === 'webgpu'
          ? `: faster than wasm in a timed training step (${device.race.webgpuMs.toFixed(0)} vs ${device.race.wasmMs.toFixed(0)} ms)`
          : ''}
        .{' '}
        {model &&
          `${model.classes.length} classes · ${model.train} training / ${model.valid} validation images` +
            (model.imagesPerPass < model.config.batchSize
              ? ` · each batch computed in passes of ${model.imagesPerPass} images (device memory).`
              : '.')}{' '}
        {last && (
          <span title={`${last.tensors} tensors`}>Engine memory: {(last.bytes / 1e6).toFixed(0)} MB.</span>
        )}
      </p>
    </details>
  );
}

/** A number setting from 0 to `max`; what is typed is clamped there (empty or not a number: 0). */
function FractionField(p: {
  label: string;
  title: string;
  max: number;
  step: number;
  value: number;
  onValue(value: number): void;
}) {
  return (
    <label title={p.title}>
      {p.label}
      <input
        type="number"
        min={0}
        max={p.max}
        step={p.step}
        value={p.value}
        onChange={(e) => p.onValue(Math.min(p.max, Math.max(0, Number(e.target.value) || 0)))}
      />
    </label>
  );
}
