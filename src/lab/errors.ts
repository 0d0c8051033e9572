// The lab's error catalogue (docs/errors.md, "Lab"): one code per thing a user can get wrong, with
// the HTTP status the management endpoint answers it with and when it happens. Nothing half-made
// survives any of them. test/lab/errors-doc.test.ts holds the doc's table to this one.
export const LAB_ERRORS = {
  LabNotRunning: { status: 409, when: "lab up or down while Cove serves in loopback mode, or networkMode lab without the core `cove serve --lab` makes." },
  LabAlreadyUp: { status: 409, when: "lab up while the lab has hosts, or serve --lab while another lab (or its leftovers) is on the machine." },
  InvalidHostsFile: { status: 400, when: "The hosts file is not YAML/JSON, not a list, over 64 hosts or 64 KiB, or a host has a bad name, an unknown key, a reserved name or a bad address." },
  UnknownSubnet: { status: 400, when: "A host names a subnet (VNET/SUBNET or id) that is not in Cove's model, or a VNET/SUBNET that is in two VNets." },
  AddressOutsideSubnet: { status: 400, when: "A host's address is outside its subnet's prefix, or an internet host's address is inside a VNet." },
  AddressReserved: { status: 400, when: "A host's address is reserved in its subnet (Azure's five), a private endpoint's IP, the lab's own, or no address is free." },
  DuplicateAddress: { status: 400, when: "Two hosts have the same address." },
  DuplicateHost: { status: 400, when: "Two hosts have the same name." },
  LabRangeOverlap: { status: 400, when: "A subnet overlaps the lab's own /24 around labAddress." },
  UnknownLabHost: { status: 404, when: "lab exec (or preflight --host) names a host the lab does not have." },
  LabNeedsRoot: { status: 403, when: "serve --lab, lab up, exec or down run without root." },
  LabSetupFailed: { status: 500, when: "An ip command failed (the message names it and ip's error); what the call made is removed." },
} as const;

export type LabErrorCode = keyof typeof LAB_ERRORS;

export class LabError extends Error {
  readonly status: number;
  constructor(readonly code: LabErrorCode, message: string) {
    super(message);
    this.name = "LabError";
    this.status = LAB_ERRORS[code].status;
  }
}
