/**
 * `formatCtime`: the text of Python's `time.ctime()`, which the recipe's time server sends.
 */
import { InvalidArgumentError } from './errors.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Renders `date` in local time exactly as Python's `time.ctime()` does:
 * `'Tue Nov 24 10:00:00 2026'`, with the day of the month padded to two characters with a
 * space (`'Sun Mar  1 09:05:07 2026'`) and the year unpadded. Python parses it back with
 * `time.strptime(text, '%a %b %d %H:%M:%S %Y')`. Local time follows the `TZ` environment
 * variable, as it does for Python.
 *
 * @param date - the instant to render (default: now)
 * @throws {@link InvalidArgumentError} (`ERR_INVALID_ARGUMENT`) for an invalid `Date`
 */
export function formatCtime(date: Date = new Date()): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(`formatCtime needs a valid Date, got ${String(date)}`);
  }
  const day = date.getDate();
  return (
    `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day < 10 ? ` ${day}` : day} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`
  );
}
