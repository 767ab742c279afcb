import { describe, expect, it } from 'vitest';
import { formatCtime } from '../src/index.js';

describe('formatCtime', () => {
  it('renders local time like time.ctime()', () => {
    expect(formatCtime(new Date(2026, 10, 24, 10, 0, 0))).toBe('Tue Nov 24 10:00:00 2026');
    expect(formatCtime(new Date(1993, 5, 20, 23, 21, 5))).toBe('Sun Jun 20 23:21:05 1993');
  });

  it('pads a one-digit day with a space and times with zeros', () => {
    expect(formatCtime(new Date(2026, 2, 1, 9, 5, 7))).toBe('Sun Mar  1 09:05:07 2026');
    expect(formatCtime(new Date(2027, 0, 9, 0, 0, 0))).toBe('Sat Jan  9 00:00:00 2027');
    expect(formatCtime(new Date(2024, 1, 29, 23, 59, 59))).toBe('Thu Feb 29 23:59:59 2024');
  });

  it('defaults to now', () => {
    expect(formatCtime()).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
  });

  it('refuses an invalid date', () => {
    expect(() => formatCtime(new Date(Number.NaN))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
