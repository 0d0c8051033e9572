// The network policy: one snapshot of the stored network, and the pure decision over it.
export type {
  ConnectionStatus, Decision, DenyReason, EndpointAddress, LinkView, Location, NetworkSnapshot, RegistryNetwork, Via, ZoneView,
} from "./types.js";
export { buildSnapshot, emptySnapshot, SnapshotHolder, type SnapshotOptions } from "./snapshot.js";
export { decide } from "./decide.js";
export { ipv4ToNumber, unwrapMapped } from "./ip-address.js";
