export { loadConfig, verifyConfigFile, readConfigFile, ConfigError } from "./load.js";
export { FIELDS, envName, type CoveConfig } from "./schema.js";
