import type { PendingList } from '../../protocol';

interface Props {
  pending: PendingList[];
  onRename(jobId: number, className: string): void;
  onRemove(jobId: number): void;
}

/** Dropped lists waiting for Download: class (editable), URL count, skipped lines and why. */
export function PendingTable({ pending, onRename, onRemove }: Props) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>File</th>
          <th>Class</th>
          <th>URLs</th>
          <th>Skipped</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {pending.map((list) => (
          <tr key={list.jobId} data-job={list.jobId}>
            <td>{list.fileName}</td>
            <td>
              <input
                aria-label={`Class for ${list.fileName}`}
                value={list.className}
                onChange={(e) => onRename(list.jobId, e.target.value)}
              />
            </td>
            <td>{list.urlCount}</td>
            <td>
              <span title="blank / duplicate / refused lines">
                {list.skipped.blank} blank · {list.skipped.duplicate} duplicate · {list.skipped.invalid}{' '}
                refused
              </span>
              {list.refused.length > 0 && (
                <details className="refused" data-testid="refused-lines">
                  <summary>Show refused lines</summary>
                  <ul>
                    {list.refused.map((r) => (
                      <li key={`${r.line}-${r.text}`}>
                        line {r.line}: <code>{r.text}</code> — {r.reason}
                      </li>
                    ))}
                    {list.skipped.invalid > list.refused.length && (
                      <li>… and {list.skipped.invalid - list.refused.length} more</li>
                    )}
                  </ul>
                </details>
              )}
            </td>
            <td>
              <button
                type="button"
                aria-label={`Remove ${list.fileName}`}
                onClick={() => onRemove(list.jobId)}
              >
                Remove
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
