/** JSON on stdout: indented on a terminal, one line when piped. */
export function printJson(value: unknown, stdout: NodeJS.WriteStream = process.stdout): void {
  stdout.write(`${JSON.stringify(value, null, stdout.isTTY ? 2 : undefined)}\n`);
}
