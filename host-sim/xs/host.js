/*
 * xtml-host: host-only I/O of the desktop XS host (host_io.c), for test
 * programs. Not available on a device: code that runs there must not import it.
 */

/** The program's arguments (after the entry module on the command line). */
export function args() @ "xs_host_args";
/** A file's bytes. */
export function readFile(path) @ "xs_host_read_file";
/** A UTF-8 text file as a string. */
export function readText(path) @ "xs_host_read_text";
/** The next line of standard input without its newline; undefined at its end. */
export function readLine() @ "xs_host_read_line";
/** Write text and a newline to standard output, flushed. */
export function writeLine(text) @ "xs_host_write_line";
/** The bytes a string of hex digits spells, as an ArrayBuffer. */
export function fromHex(text) @ "xs_host_from_hex";
/** Returns 0 and does nothing: a marker for callgrind (--dump-before=xs_host_mark). */
export function mark() @ "xs_host_mark";
