import type { ReactNode } from 'react';

/** For tabs whose feature is not built yet: says what will come, pretends nothing. */
export function Placeholder({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="placeholder">
      <h2>{title}</h2>
      <p className="muted">Not built yet. What will come here:</p>
      {children}
    </div>
  );
}
