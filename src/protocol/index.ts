// The one message protocol between the UI thread and the ML worker.
// Commands go in (UI → worker), events come out (worker → UI). Requests are commands that expect
// exactly one reply (or a failure with a human-readable message), matched by id.
export * from './assets';
export * from './device';
export * from './ingest';
export * from './train';
export * from './requests';
export * from './messages';
