import type { IngestSettings } from '../../protocol';

interface Field {
  key: keyof IngestSettings;
  label: string;
  scale?: number;
  min: number;
}

const FIELDS: Field[] = [
  { key: 'maxPerClass', label: 'Max images per class', min: 1 },
  { key: 'parallel', label: 'Parallel requests', min: 1 },
  { key: 'timeoutMs', label: 'Timeout (s)', scale: 1000, min: 1 },
  { key: 'retries', label: 'Retries', min: 0 },
  { key: 'maxSize', label: 'Longest side (px)', min: 32 },
];

export function SettingsPanel({
  settings,
  onChange,
}: {
  settings: IngestSettings;
  onChange(s: IngestSettings): void;
}) {
  return (
    <details className="settings">
      <summary>Settings</summary>
      <div className="settings-grid">
        {FIELDS.map(({ key, label, scale = 1, min }) => (
          <label key={key}>
            {label}
            <input
              type="number"
              min={min}
              value={(settings[key] as number) / scale}
              onChange={(e) =>
                onChange({ ...settings, [key]: Math.max(min, Number(e.target.value)) * scale })
              }
            />
          </label>
        ))}
        <label className="wide">
          CORS proxy prefix (optional)
          <input
            type="url"
            placeholder="https://your-proxy.example/?url="
            value={settings.corsProxy}
            onChange={(e) => onChange({ ...settings, corsProxy: e.target.value.trim() })}
          />
        </label>
      </div>
      <p className="muted small">
        A browser may only read images whose server allows it (CORS). Images from servers that do not are
        counted as &quot;CORS refused&quot;. A proxy you trust can fetch them for you: its prefix is put
        before each URL.
      </p>
    </details>
  );
}
