// The private endpoint connection workflow (DESIGN.md section 4, house style habit 9) as a
// transition table. The registry owner approves or rejects; deleting the endpoint (or the
// registry-side connection, or the registry) disconnects. Rejected and Disconnected are final, as in
// Azure, where a rejected or disconnected connection must be recreated from the endpoint side.

export type ConnectionStatus = "Pending" | "Approved" | "Rejected" | "Disconnected";
export const CONNECTION_STATUSES: readonly ConnectionStatus[] = ["Pending", "Approved", "Rejected", "Disconnected"];

/** The audit `action` of a transition. */
export type ConnectionAction = "create" | "approve" | "reject" | "disconnect";

/** Who asks: the registry owner (PUT on the connection) or the system (an endpoint or registry went away). */
export type TransitionCause = "owner" | "system";

interface Edge {
  from: ConnectionStatus;
  to: ConnectionStatus;
  action: ConnectionAction;
  cause: TransitionCause;
}

export const TRANSITIONS: readonly Edge[] = [
  { from: "Pending", to: "Approved", action: "approve", cause: "owner" },
  { from: "Pending", to: "Rejected", action: "reject", cause: "owner" },
  { from: "Approved", to: "Rejected", action: "reject", cause: "owner" },
  { from: "Pending", to: "Disconnected", action: "disconnect", cause: "system" },
  { from: "Approved", to: "Disconnected", action: "disconnect", cause: "system" },
  { from: "Rejected", to: "Disconnected", action: "disconnect", cause: "system" },
];

export type TransitionResult =
  | { ok: true; action: ConnectionAction; to: ConnectionStatus }
  /** The same status again: nothing changes and nothing is audited (idempotent PUTs, SDK retries). */
  | { ok: true; action: "none"; to: ConnectionStatus }
  | { ok: false; from: ConnectionStatus; to: ConnectionStatus };

export function transition(from: ConnectionStatus, to: ConnectionStatus, cause: TransitionCause): TransitionResult {
  if (from === to && cause === "owner" && from !== "Disconnected") return { ok: true, action: "none", to };
  const edge = TRANSITIONS.find((e) => e.from === from && e.to === to && e.cause === cause);
  return edge ? { ok: true, action: edge.action, to } : { ok: false, from, to };
}

/** The state a new connection starts in: manual requests wait for the owner, others are approved. */
export function initialStatus(manual: boolean): ConnectionStatus {
  return manual ? "Pending" : "Approved";
}
