export * from './perms.ts';
export * from './secrets-store-backend.ts';
export * from './secrets-store-stack.ts';
export * from './uninstall-alarms.ts';
