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
  { key: 'maxBytes', label: 'Largest download (MB)', scale: 1_000_000, min: 1 },
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
        <label className="wide check">
          <input
            type="checkbox"
            checked={settings.relay}
            onChange={(e) => onChange({ ...settings, relay: e.target.checked })}
          />
          Fetch images from hosts that refuse CORS through this app&apos;s server (image relay)
        </label>
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
        A browser may only read images whose server allows it (CORS); most hosts in a Google Images list do
        not. When the studio runs from its own server (<code>npm start</code>, <code>npm run serve</code>),
        that server fetches those images for this page only (public addresses only, images only, the same size
        limit), and the report marks them &quot;via relay&quot;. A static host has no relay: there, a proxy
        you trust can fetch them for you (its prefix is put before each URL), or they are counted as
        &quot;CORS refused&quot;.
      </p>
    </details>
  );
}
