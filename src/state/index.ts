// The state module: ONE versioned view of registries and the network (view.ts), built from the
// store's records (read-facts.ts, the only reader) and rebuilt on the store's change feed
// (holder.ts). The data plane, DNS, the decision and the listeners all read it.
export { StateHolder, type StateHolderOptions, type StateSubscriber } from "./holder.js";
export { buildView, type StateView, type ViewOptions } from "./view.js";
export { readStateFacts, type StateFacts } from "./read-facts.js";
