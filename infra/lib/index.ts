// The public surface of @secrets-store/infra, by explicit list (DESIGN.md: "The public surface is
// deliberate"). The action lists (perms.ts), the Lambda defaults and the repository's own stack
// (infra/bin) are not part of it.
export {
  type ConfigureFunctionOptions,
  INSTALLED_EVENT,
  type RewrapGrantOptions,
  type SecretsGrantOptions,
  SecretsStoreBackend,
  type SecretsStoreBackendProps,
  UNINSTALLED_EVENT,
} from './secrets-store-backend.ts';
