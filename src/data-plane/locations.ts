// Relative Location values. @azure/container-registry appends `location.substring(1)` to its
// endpoint, so every Location Cove sends is a path starting with "/" (never absolute). Names and
// digests are already validated (only [a-z0-9._/-] and [a-z0-9:]), so nothing needs escaping.
export const blobLocation = (name: string, digest: string): string => `/v2/${name}/blobs/${digest}`;
export const uploadLocation = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;
export const manifestLocation = (name: string, digest: string): string => `/v2/${name}/manifests/${digest}`;
