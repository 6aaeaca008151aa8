/**
 * One JSON object per line, as CloudWatch Logs Insights reads them. Only namespaces, counts and
 * ids are ever logged: never a secret, never a key name.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export type Logger = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: LogFields,
) => void;

export function log(
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: LogFields = {},
): void {
  console.log(JSON.stringify({ level, message, ...fields }));
}
