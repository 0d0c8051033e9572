// The lab's error catalogue (docs/errors.md, "Lab"): one code per thing a user can get wrong, with
// the HTTP status the management endpoint answers it with. Nothing half-made survives any of them.
export const LAB_ERRORS = {
  LabNotRunning: 409,
  LabAlreadyUp: 409,
  InvalidHostsFile: 400,
  UnknownSubnet: 400,
  AddressOutsideSubnet: 400,
  AddressReserved: 400,
  DuplicateAddress: 400,
  DuplicateHost: 400,
  LabRangeOverlap: 400,
  UnknownLabHost: 404,
  LabNeedsRoot: 403,
  LabSetupFailed: 500,
} as const;

export type LabErrorCode = keyof typeof LAB_ERRORS;

export class LabError extends Error {
  readonly status: number;
  constructor(readonly code: LabErrorCode, message: string) {
    super(message);
    this.name = "LabError";
    this.status = LAB_ERRORS[code];
  }
}
