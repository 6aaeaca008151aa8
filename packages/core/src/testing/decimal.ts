/**
 * DynamoDB numbers: decimals of up to 38 significant digits, magnitude 1E-130 to 9.99..E+125,
 * compared and added exactly (a JavaScript number would round at 17 digits).
 */
import { validationError } from './dynamoErrors.ts';

/** `coefficient * 10 ** exponent`, with no trailing zero in the coefficient (zero is 0n, 0). */
export interface Decimal {
  readonly coefficient: bigint;
  readonly exponent: number;
}

const MAX_SIGNIFICANT_DIGITS = 38;
const MAX_ADJUSTED_EXPONENT = 125;
const MIN_ADJUSTED_EXPONENT = -130;
const NUMBER_SYNTAX = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function normalized(coefficient: bigint, exponent: number): Decimal {
  if (coefficient === 0n) return { coefficient: 0n, exponent: 0 };
  let c = coefficient;
  let e = exponent;
  while (c % 10n === 0n) {
    c /= 10n;
    e += 1;
  }
  return { coefficient: c, exponent: e };
}

function digitCount(coefficient: bigint): number {
  return (coefficient < 0n ? -coefficient : coefficient).toString().length;
}

/** Checks DynamoDB's precision and range, as on every number it stores or returns. */
function checked(decimal: Decimal): Decimal {
  if (decimal.coefficient === 0n) return decimal;
  const digits = digitCount(decimal.coefficient);
  if (digits > MAX_SIGNIFICANT_DIGITS) {
    throw validationError('Attempting to store more than 38 significant digits in a Number');
  }
  const adjusted = digits - 1 + decimal.exponent;
  if (adjusted > MAX_ADJUSTED_EXPONENT) {
    throw validationError(
      'Number overflow. Attempting to store a number with magnitude larger than supported range',
    );
  }
  if (adjusted < MIN_ADJUSTED_EXPONENT) {
    throw validationError(
      'Number underflow. Attempting to store a number with magnitude smaller than supported range',
    );
  }
  return decimal;
}

export function parseDecimal(text: string): Decimal {
  const match = NUMBER_SYNTAX.exec(text);
  const integer = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || integer.length + fraction.length === 0) {
    throw validationError(
      `A value provided cannot be converted into a number; received ${JSON.stringify(text)}`,
    );
  }
  const sign = match[1] === '-' ? -1n : 1n;
  const coefficient = sign * BigInt(`${integer}${fraction}` || '0');
  const exponent = Number(match[4] ?? '0') - fraction.length;
  return checked(normalized(coefficient, exponent));
}

/** DynamoDB's canonical text: plain notation, no redundant zeros (`"1.50"` is returned as `"1.5"`). */
export function formatDecimal(decimal: Decimal): string {
  const { coefficient, exponent } = decimal;
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString();
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else if (-exponent < digits.length) {
    text = `${digits.slice(0, exponent)}.${digits.slice(exponent)}`;
  } else text = `0.${'0'.repeat(-exponent - digits.length)}${digits}`;
  return negative ? `-${text}` : text;
}

export function canonicalNumber(text: string): string {
  return formatDecimal(parseDecimal(text));
}

function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.coefficient * 10n ** BigInt(a.exponent - exponent),
    b.coefficient * 10n ** BigInt(b.exponent - exponent),
    exponent,
  ];
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const [x, y, exponent] = aligned(a, b);
  return checked(normalized(x + y, exponent));
}

export function negateDecimal(a: Decimal): Decimal {
  return { coefficient: -a.coefficient, exponent: a.exponent };
}

/** Bytes DynamoDB counts for a number: one per two significant digits, plus one. */
export function decimalSize(decimal: Decimal): number {
  return Math.ceil(digitCount(decimal.coefficient) / 2) + 1;
}
