// One job at a time on the model. Requests arrive as messages and run as they come: without this, a
// second tab's "Analyse the validation set" (or an unfreeze, a settings change, a Grad-CAM) ran
// between a fit's batches, on weights the fit was changing, and the header showed the fit's progress
// under the newcomer's name. Now a request that needs the model is refused, with the running job's
// name, while a job runs — except those that only read it (REQUESTS' `duringJob`: predictions).
// Requests without the model (data, checkpoint records, Cancel) always run.
import { StudioError, traitsOf, type RequestName } from '../protocol';

export class JobGate {
  private running: RequestName | null = null;

  /** `work` for request `name`, or a 'busy' refusal naming the job that runs. */
  async run<T>(name: RequestName, work: () => Promise<T>): Promise<T> {
    const traits = traitsOf(name);
    if (this.running && traits.model && !traits.duringJob) {
      const label = traitsOf(this.running).label ?? this.running;
      throw new StudioError(
        'busy',
        `Another job is running (${label}). Wait for it to end, or cancel it at the top of the page, then try again.`,
      );
    }
    if (!traits.job) return work();
    this.running = name;
    try {
      return await work();
    } finally {
      this.running = null;
    }
  }
}
