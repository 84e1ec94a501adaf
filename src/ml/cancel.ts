// The one cancellation signal of long jobs (training, downloads): thrown where a job stops early.
export class Cancelled extends Error {
  constructor() {
    super('Cancelled.');
  }
}
