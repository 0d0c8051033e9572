// The network policy: facts in (facts.ts), one immutable snapshot of them (snapshot.ts), and the pure
// decision over it (decide.ts). It is handed facts; it never imports storage or state.
export type {
  ConnectionStatus, Decision, DenyReason, EndpointAddress, LinkView, Location, NetworkSnapshot, RegistryNetwork, Via, ZoneView,
} from "./types.js";
export { noNetworkFacts, type LinkFact, type NetworkFacts, type RecordSetFact, type SubnetFact, type ZoneFact } from "./facts.js";
export { buildSnapshot, emptySnapshot, type SnapshotOptions } from "./snapshot.js";
export { decide } from "./decide.js";
export { ipv4ToNumber, unwrapMapped } from "./ip-address.js";
export { networkFacts, type ArmDoc, type NetworkRecords } from "./arm-facts.js";
