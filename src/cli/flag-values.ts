/** Numbers from command-line flags: a bad value stops the command with a message naming the flag. */
import { UsageError } from '../core/errors.js';

export function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`--${flag} takes a whole number from ${min} to ${max}, not "${text}".`);
  }
  return value;
}

export function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${flag} takes a number above 0, not "${text}".`);
  return value;
}

/** A flag given in seconds (fractions allowed), in milliseconds. */
export function seconds(flag: string, text: string): number {
  return Math.round(positive(flag, text) * 1000);
}
