// The ARM-compatible management API: the front door (arm/) and one folder per resource provider
// (resources/, containerregistry/, network/, privatedns/, authorization/), each with its own routes.
export { createManagementApi, mapArmError, type ManagementApi, type ManagementApiDeps } from "./arm/front-door.js";
export { ARM_ERRORS, armError, armErrorResult } from "./arm/errors.js";
