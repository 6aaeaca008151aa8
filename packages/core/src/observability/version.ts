/**
 * The library's name and version as requests and messages carry them. A constant, not a read of
 * package.json at run time (bundlers and the Lambda runtime may not ship it beside the code); a
 * unit test checks it against packages/core/package.json.
 */
export const LIBRARY_NAME = 'secrets-store';
export const LIBRARY_VERSION = '0.1.0';
