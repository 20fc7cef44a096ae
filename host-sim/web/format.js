// Numbers and errors as the page's text.

export const integer = new Intl.NumberFormat('en-US');
export const ms = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : '—');
export const bytes = (n) => `${integer.format(n)} B (${(n / 1024).toFixed(1)} KiB)`;
export const messageOf = (error) => (error instanceof Error ? error.message : String(error));
