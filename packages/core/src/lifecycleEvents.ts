/**
 * The events of an app installation's life that the uninstall pipeline listens to (EventBridge
 * `detail-type`, with `detail.namespace`): the construct's rule, the cleanup handler and the
 * demo spell them from here.
 */

/** Every secret of `detail.namespace` is deleted (twice: at once, and after the sweep delay). */
export const UNINSTALLED_EVENT = 'AppUninstalled';

/** A reinstall: an older uninstall never deletes what the new installation writes. */
export const INSTALLED_EVENT = 'AppInstalled';

/** The `source` the construct's rule matches unless told otherwise. */
export const DEFAULT_EVENT_SOURCE = 'secrets-store';
