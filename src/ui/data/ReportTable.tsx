import { useState } from 'react';
import type { FailureReason, FailureRecord } from '../../data/schema';
import { toCsv } from '../../data/url-list';
import { formatBytes } from '../../data/db';
import { downloadText } from './files';

export const REASON_LABELS: Record<FailureReason, string> = {
  'invalid-url': 'refused line',
  http: 'HTTP error',
  timeout: 'timeout',
  cors: 'CORS refused',
  network: 'unreachable',
  'not-image': 'not an image',
  unsupported: 'unsupported format',
  corrupt: 'corrupt',
  truncated: 'truncated',
  'too-large': 'too large',
  duplicate: 'duplicate',
};
const REASONS = Object.keys(REASON_LABELS) as FailureReason[];

interface Props {
  counts: Map<string, number>;
  relayed: Map<string, number>;
  failures: FailureRecord[];
  usage?: { used: number; quota: number; persisted: boolean };
}

export function ReportTable({ counts, relayed, failures, usage }: Props) {
  const [open, setOpen] = useState<string | null>(null);
  const classes = [...new Set([...counts.keys(), ...failures.map((f) => f.className)])].sort();
  if (!classes.length) return <p className="muted">No images yet.</p>;
  const failuresOf = (c: string) => failures.filter((f) => f.className === c);
  const hasCors = failures.some((f) => f.reason === 'cors');
  // Only the reasons that occurred get a column (eleven empty ones do not fit a laptop screen).
  const reasons = REASONS.filter((r) => failures.some((f) => f.reason === r));
  const anyRelayed = relayed.size > 0;
  return (
    <div className="card">
      <div className="row">
        <h3>Dataset</h3>
        {usage && (
          <span className="muted small" data-testid="storage">
            Storage: {formatBytes(usage.used)} of {formatBytes(usage.quota)}
            {usage.persisted ? ' (persistent)' : ' (the browser may evict it under pressure)'}
          </span>
        )}
      </div>
      <table className="table" data-testid="report">
        <thead>
          <tr>
            <th>Class</th>
            <th>Stored</th>
            {anyRelayed && <th>via relay</th>}
            <th>Failed</th>
            {reasons.map((r) => (
              <th key={r}>{REASON_LABELS[r]}</th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          {classes.map((c) => {
            const failed = failuresOf(c);
            return (
              <tr key={c} data-class={c}>
                <td>{c}</td>
                <td data-col="stored">{counts.get(c) ?? 0}</td>
                {anyRelayed && <td data-col="via-relay">{relayed.get(c) || ''}</td>}
                <td data-col="failed">{failed.length}</td>
                {reasons.map((r) => (
                  <td key={r} data-col={r}>
                    {failed.filter((f) => f.reason === r).length || ''}
                  </td>
                ))}
                <td>
                  {failed.length > 0 && (
                    <button type="button" onClick={() => setOpen(open === c ? null : c)}>
                      {open === c ? 'Hide' : 'Show'} failures
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {open && (
        <div className="failures" data-testid="failure-list">
          <div className="row">
            <h4>Failed downloads: {open}</h4>
            <button
              type="button"
              onClick={() =>
                downloadText(
                  `failures_${open}.csv`,
                  toCsv(
                    ['url', 'reason', 'detail'],
                    failuresOf(open).map((f) => [f.url, f.reason, f.detail]),
                  ),
                )
              }
            >
              Download as CSV
            </button>
          </div>
          <ul>
            {failuresOf(open).map((f) => (
              <li key={`${f.reason}-${f.url}`}>
                <span className="tag">{REASON_LABELS[f.reason]}</span> <code>{f.url}</code> — {f.detail}
              </li>
            ))}
          </ul>
        </div>
      )}
      {hasCors && (
        <p className="muted small">
          &quot;CORS refused&quot;: those servers do not let web pages read their images, and no image relay
          was available (the app&apos;s own server relays them when you run it with <code>npm start</code> or{' '}
          <code>npm run serve</code>; a static host has none). Your browser, not this app, enforces it. Set a
          CORS proxy in Settings, or download those images yourself and drop the folder here.
        </p>
      )}
    </div>
  );
}
