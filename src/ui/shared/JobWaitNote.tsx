/**
 * Why a tab's buttons are greyed out while a job started elsewhere runs (useAction's `waitingFor`):
 * the worker runs one job on the model at a time.
 */
export function JobWaitNote({ job }: { job: string | null }) {
  if (!job) return null;
  return (
    <p className="notice" role="status" data-testid="job-wait">
      A job is running ({job}): the buttons that start another wait for it to end. To use them now, cancel it
      at the top of the page.
    </p>
  );
}
